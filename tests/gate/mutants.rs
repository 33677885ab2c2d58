//! Mutation testing of the catalogue: plausible one-line bugs planted in the shipped init-lock
//! protocol file (a comparison flipped or made non-strict, a guard made always true, a write of
//! lock state deleted), each checked against every init-lock scenario's expectations. A mutant
//! that no expectation notices is a blind spot of the catalogue: a wrong model that would pass
//! `lockstep check scenarios`. This campaign found the `>=` timeout check
//! (`timeout-boundary.toml`) and the runtime's throw in a nested lock
//! (`nested-runtime-fails.toml`, `nested-runtime-recovers.toml`).
//!
//! Ghost code (what the invariants read) is not mutated: a planted bug is a bug of the protocol,
//! not of its judge. The survivors that remain are listed with why no scenario kills them; a
//! new survivor, or a listed one that is now killed, fails the test, so the list stays true.
//! Each mutant's check stops at its first unexpected result (`--fail-fast`).
//! Ignored in `cargo test` (about two minutes); `.ci/run` runs it:
//! `cargo test --test gate -- --ignored mutants::`.

use crate::support;
use support::lockstep;

/// Mutants no expectation kills, by the line they change (trimmed) and the mutation, with why.
const KNOWN_SURVIVORS: &[(&str, &str, &str)] = &[
    (
        "if ANCHORS && anchor { anchor() }",
        "&&->||",
        "gives v0/v1 an anchor; their verdicts are decided by their other bugs first",
    ),
    (
        "if ANCHORS && anchor { anchor() }",
        "guard->true",
        "the same: an anchor in v0/v1 changes no verdict of theirs",
    ),
    (
        "ok = true",
        "delete",
        "read only by v0's shared db promise, which no nested v0 scenario settles",
    ),
];

const OPERATORS: &[(&str, &str)] = &[
    (" > ", " >= "),
    (" >= ", " > "),
    (" < ", " <= "),
    (" <= ", " < "),
    (" == ", " != "),
    (" != ", " == "),
    (" && ", " || "),
    (" || ", " && "),
];

/// (line index, the new line, the mutation's name) for every mutant of the actor's code.
fn mutants(lines: &[&str]) -> Vec<(usize, String, String)> {
    let start = lines
        .iter()
        .position(|l| l.starts_with("actor Request("))
        .unwrap();
    let end = lines
        .iter()
        .position(|l| l.starts_with("// ---- invariants"))
        .unwrap();
    let mut out = Vec::new();
    let mut ghost: Option<i32> = None;
    let mut depth = 0i32;
    for (i, line) in lines.iter().enumerate().take(end).skip(start) {
        let t = line.trim();
        let opens = line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if let Some(g) = ghost {
            depth += opens;
            if depth <= g {
                ghost = None;
            }
            continue;
        }
        if t.starts_with("ghost {") {
            ghost = Some(depth);
            depth += opens;
            if depth <= ghost.unwrap() {
                ghost = None;
            }
            continue;
        }
        depth += opens;
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        for (a, b) in OPERATORS {
            for (at, _) in line.match_indices(a) {
                let new = format!("{}{b}{}", &line[..at], &line[at + a.len()..]);
                out.push((i, new, format!("{}->{}", a.trim(), b.trim())));
            }
        }
        if let Some(rest) = t.strip_prefix("if ").and_then(|r| r.split_once(" {")) {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push((
                i,
                format!("{indent}if true {{{}", rest.1),
                "guard->true".into(),
            ));
        }
        let assignment = t.contains(" = ") || t.contains(" += ");
        if assignment && !t.contains('{') && !t.contains('}') && !t.starts_with("let ") {
            out.push((i, String::new(), "delete".into()));
        }
    }
    out
}

#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million)"]
fn every_mutant_of_the_init_lock_is_killed_or_known() {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/protocols/init-lock.lstep")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = std::path::PathBuf::from(crate::support::tempdir());
    std::fs::create_dir_all(&dir).unwrap();
    let mut scenarios: Vec<_> = std::fs::read_dir(format!("{root}/scenarios/init-lock"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scenarios.push(format!("{root}/scenarios/canary/split-claim.toml").into());
    for s in &scenarios {
        let t = std::fs::read_to_string(s)
            .unwrap()
            .replace("protocol = \"init-lock\"", "protocol = \"init-lock.lstep\"");
        std::fs::write(dir.join(s.file_name().unwrap()), t).unwrap();
    }
    let dir_s = dir.to_string_lossy().to_string();
    let (mut survivors, mut killed, mut invalid) = (Vec::new(), 0, 0);
    for (i, new, name) in mutants(&lines) {
        let mut m: Vec<&str> = lines.clone();
        m[i] = &new;
        std::fs::write(dir.join("init-lock.lstep"), m.join("\n")).unwrap();
        let out = lockstep(&["check", "--fail-fast", &dir_s]);
        match out.code {
            0 => survivors.push((lines[i].trim().to_string(), name)),
            2 => invalid += 1,
            _ => killed += 1,
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{killed} killed, {} survived, {invalid} did not load",
        survivors.len()
    );
    let known: Vec<(String, String)> = KNOWN_SURVIVORS
        .iter()
        .map(|(l, m, _)| (l.to_string(), m.to_string()))
        .collect();
    assert_eq!(
        survivors, known,
        "the survivors changed: kill the new ones with scenarios, or list them with why"
    );
    assert!(killed >= 25, "only {killed} mutants killed");
}
