//! Mutation testing of the catalogue: plausible one-line bugs planted in a shipped protocol
//! file (a comparison flipped or made non-strict, a guard made always true, a write of
//! protocol state deleted), each checked against every scenario of that protocol. A mutant
//! that no expectation notices is a blind spot of the catalogue: a wrong model that would pass
//! `lockstep check scenarios`. The init-lock campaign found the `>=` timeout check
//! (`timeout-boundary.toml`) and the runtime's throw in a nested lock
//! (`nested-runtime-fails.toml`, `nested-runtime-recovers.toml`); the restart-lock one, the
//! read-error rule (`read-error-breaks-live-lock.toml`); the prewarm-lock one, a dead copy of
//! V0's age rule (removed).
//!
//! Ghost code (what the invariants read) and `assume` lines (the scenario's validation) are
//! not mutated: a planted bug is a bug of the protocol, not of its judge. The survivors that
//! remain are listed with why no scenario kills them; a new survivor, or a listed one that is
//! now killed, fails the test, so the list stays true. Each mutant's check stops at its first
//! unexpected result (`--fail-fast`). The init-lock and isolate campaigns are in the long set
//! (`.ci/run` runs them, about three minutes together); the restart-lock and prewarm-lock
//! ones take 10 and 50 minutes on two cores and are run on purpose:
//! `cargo test --test gate -- --ignored mutants_by_hand`.

use crate::support;
use support::lockstep;

/// Init-lock mutants no expectation kills, by the line they change (trimmed) and the
/// mutation, with why.
const INIT_LOCK_SURVIVORS: &[(&str, &str, &str)] = &[
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

/// Isolate mutants no expectation kills: each is equivalent to the protocol for every scenario
/// the format can write.
const ISOLATE_SURVIVORS: &[(&str, &str, &str)] = &[
    (
        "lossy[created] = LOSSY_FACTORY && worker == 'static'",
        "&&->||",
        "a dynamic worker has no factory before w3, and w3 (not lossy) never recreates a static one in-process",
    ),
    (
        "counter[gen] += 1",
        "delete",
        "the module counter is per generation, so a fresh generation's restarts by construction; no invariant reads it",
    ),
    (
        "current = 0",
        "delete",
        "w3's static abort kills the process: no request runs after it",
    ),
    (
        "flag = false",
        "delete",
        "the same: nothing reads the flag once the process is dead",
    ),
    (
        "current = 0",
        "delete",
        "w3's dynamic drop also sets the flag, so the next request builds a new isolate either way",
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

/// (line index, the new line, the mutation's name) for every mutant of the actor's code: from
/// `actor NAME(` to the invariants' section.
fn mutants(lines: &[&str]) -> Vec<(usize, String, String)> {
    let start = lines.iter().position(|l| l.starts_with("actor ")).unwrap();
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
        if t.is_empty() || t.starts_with("//") || t.starts_with("assume ") {
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

/// A campaign: a shipped protocol file, the scenario folders (and single files) that check
/// it, the other protocol files it loads, and its known survivors.
struct Campaign {
    protocol: &'static str,
    scenarios: &'static [&'static str],
    modules: &'static [&'static str],
    known: &'static [(&'static str, &'static str, &'static str)],
    least_killed: usize,
}

/// Runs every mutant of `c` against copies of its scenarios that name the mutated file, and
/// asserts the survivors are exactly the known ones.
fn run_campaign(c: &Campaign) {
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{}.lstep", c.protocol);
    let text = std::fs::read_to_string(format!("{root}/protocols/{file}")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = std::path::PathBuf::from(crate::support::tempdir());
    std::fs::create_dir_all(&dir).unwrap();
    let named = format!("protocol = \"{}\"", c.protocol);
    for entry in c.scenarios {
        let path = std::path::PathBuf::from(format!("{root}/{entry}"));
        let files: Vec<_> = if path.is_dir() {
            std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect()
        } else {
            vec![path]
        };
        for s in files {
            let t = std::fs::read_to_string(&s).unwrap();
            if t.contains(&named) {
                let t = t.replace(&named, &format!("protocol = \"{file}\""));
                std::fs::write(dir.join(s.file_name().unwrap()), t).unwrap();
            }
        }
    }
    for m in c.modules {
        std::fs::copy(format!("{root}/protocols/{m}"), dir.join(m)).unwrap();
    }
    let dir_s = dir.to_string_lossy().to_string();
    let (mut survivors, mut killed, mut invalid) = (Vec::new(), 0, 0);
    for (i, new, name) in mutants(&lines) {
        let mut m: Vec<&str> = lines.clone();
        m[i] = &new;
        std::fs::write(dir.join(&file), m.join("\n")).unwrap();
        // A mutant whose space explodes ends inconclusive (killed) within bounds, not after
        // exhausting the machine.
        let out = lockstep(&[
            "check",
            "--fail-fast",
            "--memory-max",
            "4GiB",
            "--wall-time-max",
            "300",
            &dir_s,
        ]);
        match out.code {
            0 => survivors.push((lines[i].trim().to_string(), name)),
            2 => invalid += 1,
            _ => killed += 1,
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{}: {killed} killed, {} survived, {invalid} did not load",
        c.protocol,
        survivors.len()
    );
    let known: Vec<(String, String)> = c
        .known
        .iter()
        .map(|(l, m, _)| (l.to_string(), m.to_string()))
        .collect();
    assert_eq!(
        survivors, known,
        "the survivors changed: kill the new ones with scenarios, or list them with why"
    );
    assert!(killed >= c.least_killed, "only {killed} mutants killed");
}

#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn every_mutant_of_the_init_lock_is_killed_or_known() {
    run_campaign(&Campaign {
        protocol: "init-lock",
        scenarios: &["scenarios/init-lock", "scenarios/canary/split-claim.toml"],
        modules: &[],
        known: INIT_LOCK_SURVIVORS,
        least_killed: 25,
    });
}

#[test]
#[ignore = "long set: .ci/run runs it (cargo test --test gate -- --ignored --skip million --skip by_hand)"]
fn every_mutant_of_the_isolate_is_killed_or_known() {
    run_campaign(&Campaign {
        protocol: "isolate",
        scenarios: &["scenarios/isolate", "scenarios/canary"],
        modules: &["init-lock.lstep"],
        known: ISOLATE_SURVIVORS,
        least_killed: 40,
    });
}

/// Restart-lock mutants no expectation kills (the campaign runs by hand: about 10 minutes).
const RESTART_LOCK_SURVIVORS: &[(&str, &str, &str)] = &[
    (
        "owned = false",
        "delete",
        "a pass that owned the lock has left the loop: `owned` is false at every loop top",
    ),
    (
        "failing = false",
        "delete",
        "a pass whose write failed has thrown: `failing` is false at every loop top",
    ),
    (
        "fn content_stale(c: list[int; 6]) = c.len() < 2 || now() - c[1] * 1ms >= stale",
        "<-><=",
        "every content a process writes has three words: none has exactly two",
    ),
    (
        "l_stamp >= 0 && now() - l_stamp * 1ms < stale && now() < deadline",
        ">=->>",
        "a ghost helper (one-breaker's judge of a fresh lock), not the protocol",
    ),
    (
        "l_stamp >= 0 && now() - l_stamp * 1ms < stale && now() < deadline",
        "<-><=",
        "the same ghost helper",
    ),
    (
        "failing = true",
        "delete",
        "the mutex's write failure throws right after; the flag is read only by the caller's loop",
    ),
    (
        "if e == 'ENOENT' { return true }",
        "==->!=",
        "x2 (rejected) only: an aside rename's error decides whether to retry at once or after 20 ms",
    ),
    (
        "if e == 'ENOENT' { return true }",
        "guard->true",
        "the same: x2's retry timing after a failed aside rename",
    ),
];

/// Prewarm-lock mutants no expectation kills (the campaign runs by hand: about 50 minutes on
/// two cores). Most of the rm -rf ones are equivalent: every caller ignores its errors. The
/// list is compared in file order, one entry per mutated line: a line the file has twice (the
/// `ENOENT` returns of the two levels of its rm -rf) is listed twice.
const PREWARM_LOCK_SURVIVORS: &[(&str, &str, &str)] = &[
    (
        "if c[1] <= 0 { return 'unknown' }",
        "<=-><",
        "a pid is 1 or more in every scenario (`pid = 0` is refused): no owner record holds 0",
    ),
    (
        "if e == 'EPERM' { return 'alive' }",
        "guard->true",
        "kill(pid, 0) with a positive pid answers only ESRCH or EPERM when it fails",
    ),
    (
        "if INTENTS { return 'unknown' }",
        "guard->true",
        "the same: the branch for another kill error is unreachable",
    ),
    (
        "if INTENTS {",
        "guard->true",
        "V0/V1 never create an intent, so waiting for intents before a claim finds none",
    ),
    (
        "if INTENTS {",
        "guard->true",
        "the same, for the listing after the claim",
    ),
    (
        "if VERIFIED {",
        "guard->true",
        "V2 with V3's rmdir undo: V2's verdicts come from its other bugs first",
    ),
    (
        "!(PROBES && r.records && r.my_hostname == my_hostname) && real_now() - r.born > stale",
        ">->>=",
        "a ghost helper (the judge of a legitimate takeover), not the protocol: no version reclaims at exactly the stale age",
    ),
    (
        "if INTENTS {",
        "guard->true",
        "the same as the first two, for a release-waiter",
    ),
    (
        "if s.ino != judged_ino || s.mtime != judged_mtime { return 'none' }",
        "||->&&",
        "needs a new lock created in the same millisecond between two stats of one re-check: three reclaimers at one instant, which proofs/prewarm-three-reclaimers.toml covers (CI) and no gate scenario can afford",
    ),
    (
        "delay = delay * 2",
        "delete",
        "the busy retry's back-off only slows it down: no scenario bounds a reclaim from below",
    ),
    (
        "delay = delay * 2",
        "delete",
        "the same, for an intent's rename",
    ),
    (
        "gone = true",
        "delete",
        "an intent that vanished between the listing and its stat: reading it anyway finds no owner, and removing it is a no-op",
    ),
    (
        "if !gone {",
        "guard->true",
        "the same",
    ),
    (
        "delay = delay * 2",
        "delete",
        "the same back-off, for a release's rename",
    ),
    (
        "dir = s.dir",
        "delete",
        "rm -rf then tries unlink on a directory first: EISDIR, then the rmdir it would have made",
    ),
    (
        "if e == 'ENOENT' { return }",
        "==->!=",
        "rm -rf's errors are ignored by every caller (as in the seed): an ENOENT thrown instead of returned ends it the same way",
    ),
    (
        "if e == 'ENOENT' { return }",
        "guard->true",
        "the same: returning early on any error is what the ignored error would do",
    ),
    (
        "if !dir {",
        "guard->true",
        "unlinking a directory fails (EISDIR) and falls through to rmdir",
    ),
    (
        "if e == 'ENOENT' { return }",
        "==->!=",
        "rm -rf's errors are ignored by every caller (as in the seed): an ENOENT thrown instead of returned ends it the same way",
    ),
    (
        "if e == 'ENOENT' { return }",
        "guard->true",
        "the same: returning early on any error is what the ignored error would do",
    ),
    (
        "if e != 'EISDIR' && e != 'EPERM' { throw e }",
        "!=->==",
        "rm -rf's errors are ignored: whether this one is thrown or falls through, nothing that remains differs in any scenario",
    ),
    (
        "if e != 'EISDIR' && e != 'EPERM' { throw e }",
        "!=->==",
        "rm -rf's errors are ignored: whether this one is thrown or falls through, nothing that remains differs in any scenario",
    ),
    (
        "if e != 'EISDIR' && e != 'EPERM' { throw e }",
        "&&->||",
        "rm -rf's errors are ignored: whether this one is thrown or falls through, nothing that remains differs in any scenario",
    ),
    (
        "if e != 'EISDIR' && e != 'EPERM' { throw e }",
        "guard->true",
        "rm -rf's errors are ignored: whether this one is thrown or falls through, nothing that remains differs in any scenario",
    ),
    (
        "if e != 'ENOTEMPTY' && e != 'EEXIST' && e != 'EPERM' { throw e }",
        "!=->==",
        "the same, for a failing rmdir",
    ),
    (
        "if e != 'ENOTEMPTY' && e != 'EEXIST' && e != 'EPERM' { throw e }",
        "!=->==",
        "the same, for a failing rmdir",
    ),
    (
        "if e == 'ENOENT' { return }",
        "==->!=",
        "the same, for a readdir of a directory already gone",
    ),
    (
        "if e == 'ENOENT' { return }",
        "guard->true",
        "the same",
    ),
    (
        "if e != 'ENOENT' { throw e }",
        "!=->==",
        "the same, for the last rmdir",
    ),
    (
        "if e != 'ENOENT' { throw e }",
        "guard->true",
        "the same",
    ),
];

#[test]
#[ignore = "by hand: about 10 minutes (cargo test --test gate -- --ignored by_hand_restart)"]
fn by_hand_restart_lock_mutants_are_killed_or_known() {
    run_campaign(&Campaign {
        protocol: "restart-lock",
        scenarios: &["scenarios/restart-lock", "scenarios/canary"],
        modules: &[],
        known: RESTART_LOCK_SURVIVORS,
        least_killed: 50,
    });
}

#[test]
#[ignore = "by hand: about 50 minutes (cargo test --test gate -- --ignored by_hand_prewarm)"]
fn by_hand_prewarm_lock_mutants_are_killed_or_known() {
    run_campaign(&Campaign {
        protocol: "prewarm-lock",
        scenarios: &["scenarios/prewarm-lock", "scenarios/canary"],
        modules: &[],
        known: PREWARM_LOCK_SURVIVORS,
        least_killed: 120,
    });
}
