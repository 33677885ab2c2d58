//! The bug-class lints (`lockstep lint`): the whole table of lint id × protocol version for
//! the shipped protocol files and the example, one small file whose variants each show one
//! lint, and the command line (output, exit codes, bad input).

use std::collections::BTreeSet;

use lockstep::lang::lint::{lint, Rule};

use crate::support::lockstep;

/// (variant, lints that fire on it) for one protocol file.
type Table = &'static [(&'static str, &'static [&'static str])];

/// init-lock: the clobber (ungated release) from v0 to v2, the late publish (ungated claim
/// write) from v0 to v3, no anchor in v0 and v1, the canary's split claim; nothing on v4.
const INIT_LOCK: Table = &[
    ("v4-gated-publish", &[]),
    ("v3-gen-release", &["ungated-claim-write"]),
    ("v2-anchored", &["ungated-claim-write", "ungated-release"]),
    (
        "v1-reclaim",
        &[
            "ungated-claim-write",
            "ungated-release",
            "finally-without-anchor",
        ],
    ),
    (
        "v0-flag",
        &[
            "ungated-claim-write",
            "ungated-release",
            "finally-without-anchor",
        ],
    ),
    ("canary-split-claim", &["judge-then-act"]),
];

/// The migration lease: v1's unfenced version write and unconditional delete; both versions
/// rely on the lease's expiry, not an anchor, when the request is cancelled.
const MIGRATION_LEASE: Table = &[
    ("v2-fenced", &["finally-without-anchor"]),
    (
        "v1-single-lease",
        &[
            "ungated-claim-write",
            "ungated-release",
            "finally-without-anchor",
        ],
    ),
];

/// The restart lock, on files: V1's untokened release and blind break of L; V2's release and
/// break that act on a read of L in a later step (F2-b, F2-a); the rejected mutex designs'
/// reap of M after reading it (F3-x1, F3-x2); the canary's unserialized judge of L. V3's
/// findings are the seed's own residuals (protocols.md §3.6, 2 and 3), each shown by a
/// scenario: the blind unlink of a stale RL (`double-crash.toml`) and the release of M after
/// reading its token (`paused-releaser.toml`), and the removal of its own M and RL with no
/// look at whose they are, in the same class (a pause longer than STALE).
const RESTART_LOCK: Table = &[
    ("v3-registry-mutex", &["judge-then-act", "ungated-release"]),
    ("v1-unlink-recreate", &["judge-then-act", "ungated-release"]),
    ("v2-rename-readback", &["judge-then-act"]),
    (
        "x1-content-stale-mutex",
        &["judge-then-act", "ungated-release"],
    ),
    ("x2-rename-restore", &["judge-then-act", "ungated-release"]),
    ("canary-no-mutex", &["judge-then-act"]),
];

/// The pidfile lock: v1 unlinks a pidfile it judged stale, and releases its own without a
/// look; v2's numbered claims are unique names, never judged and destroyed.
const PIDFILE_LOCK: Table = &[
    ("v2-generations", &[]),
    ("v1-unlink-stale", &["judge-then-act", "ungated-release"]),
];

/// The prewarm lock (protocols.md §4.4): V0 and V1 rm -rf the fixed lock name after judging
/// it (D1-a, two reclaimers) and release with an unconditional rm -rf (D0-b, D1-c). V2 renames
/// the fixed lock name to its tombstone after a stat and a separate read under its intent, a
/// judge-then-act that intents do not serialize: the three-reclaimer residual
/// (`scenarios/deep/prewarm-three-reclaimers.toml`, reports/findings.md); its undo of a claim
/// that met an intent renames the lock away with no look at whose it is. V3 keeps the shapes
/// but makes each safe by a check the walk cannot see (the tombstone's inode and mtime
/// verified and put back, an `rmdir` that refuses a written claim, owner files written 'wx'):
/// its findings are the lint's conservative side.
const PREWARM_LOCK: Table = &[
    ("v2-intents", &["judge-then-act", "ungated-release"]),
    ("v0-mtime-only", &["judge-then-act", "ungated-release"]),
    ("v1-pid-liveness", &["judge-then-act", "ungated-release"]),
    (
        "v3-verified-reclaim",
        &["judge-then-act", "ungated-release"],
    ),
    ("canary-no-recheck", &["judge-then-act", "ungated-release"]),
];

/// The isolate: no claim, no finally, no poll; its versions differ in what an abort does, which
/// no lint of this class describes. The search judges them (and its module, the init lock,
/// has its own table).
const ISOLATE: Table = &[
    ("w0-none", &[]),
    ("w1-condemn", &[]),
    ("w2-abort-all", &[]),
    ("w2-reset-flag-first", &[]),
    ("w3-shipped", &[]),
    ("canary-reset-before-reject", &[]),
];

/// A claim made in a branch that returns is not held past the `if` (the walk carried it on,
/// and called the later unlink of the judged path an ungated release); one made in a branch
/// that goes on may be.
const BRANCHES: Table = &[
    ("returns", &["judge-then-act"]),
    ("goes-on", &["ungated-release"]),
];

/// The lint file: one variant per lint, and a clean one.
const LINTS: Table = &[
    ("clean", &[]),
    ("busy", &["poll-without-sleep"]),
    ("split", &["judge-then-act"]),
    ("late", &["ungated-claim-write"]),
    ("clobber", &["ungated-release"]),
    ("unanchored", &["finally-without-anchor"]),
];

fn load(path: &str) -> lockstep::lang::Protocol {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(full).expect("the file is readable");
    lockstep::lang::load(path, &text).expect("the file loads")
}

fn assert_table(path: &str, table: Table) {
    let p = load(path);
    let lints = lint(&p);
    let declared: Vec<&str> = p.variants.iter().map(|v| v.name.as_str()).collect();
    let tabled: Vec<&str> = table.iter().map(|(v, _)| *v).collect();
    assert_eq!(declared, tabled, "{path}: the table covers every variant");
    for (variant, expected) in table {
        let fired: BTreeSet<&str> = lints
            .iter()
            .filter(|l| l.variants.iter().any(|v| v == variant))
            .map(|l| l.finding.rule.id())
            .collect();
        for rule in Rule::ALL {
            assert_eq!(
                fired.contains(rule.id()),
                expected.contains(&rule.id()),
                "{path} [{variant}]: lint `{}` fires: {}, expected {}",
                rule.id(),
                fired.contains(rule.id()),
                expected.contains(&rule.id()),
            );
        }
    }
}

#[test]
fn the_init_lock_table() {
    assert_table("protocols/init-lock.lstep", INIT_LOCK);
}

#[test]
fn the_migration_lease_table() {
    assert_table(
        "examples/migration-lease/migration-lease.lstep",
        MIGRATION_LEASE,
    );
}

#[test]
fn the_restart_lock_table() {
    assert_table("protocols/restart-lock.lstep", RESTART_LOCK);
}

#[test]
fn the_isolate_table() {
    assert_table("protocols/isolate.lstep", ISOLATE);
}

#[test]
fn the_prewarm_lock_table() {
    assert_table("protocols/prewarm-lock.lstep", PREWARM_LOCK);
}

/// The findings that are the seed's bugs point at the calls that make them: V1's blind
/// `rm -rf` of the lock (reclaim and release), V2's rename of the lock it judged.
#[test]
fn the_prewarm_lock_findings_point_at_the_calls() {
    let out = lockstep(&[
        "lint",
        "protocols/prewarm-lock.lstep",
        "--variant",
        "v1-pid-liveness",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out
        .stdout
        .contains("warning[ungated-release]: protocols/prewarm-lock.lstep:"));
    assert!(out
        .stdout
        .contains("the process removes its claim `cache/locks/tpl.lock`"));
    let out = lockstep(&[
        "lint",
        "protocols/prewarm-lock.lstep",
        "--variant",
        "v2-intents",
    ]);
    assert!(
        out.stdout.contains("await rename(LOCK, my_tombstone())"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_pidfile_lock_table() {
    assert_table("examples/pidfile-lock/pidfile-lock.lstep", PIDFILE_LOCK);
}

/// Which restart-lock findings name which path: V1's release of L is the ungated one, and V3
/// never judges L itself (its judge-then-act findings are on M and RL, its residuals).
#[test]
fn the_restart_lock_findings_name_their_paths() {
    let p = load("protocols/restart-lock.lstep");
    let lints = lint(&p);
    let on = |variant: &str, rule: Rule| -> BTreeSet<String> {
        lints
            .iter()
            .filter(|l| l.finding.rule == rule && l.variants.iter().any(|v| v == variant))
            .map(|l| l.finding.root.clone())
            .collect()
    };
    assert_eq!(
        on("v1-unlink-recreate", Rule::UngatedRelease),
        BTreeSet::from(["home/restart.lock".to_string()])
    );
    let v3 = on("v3-registry-mutex", Rule::JudgeThenAct);
    assert!(!v3.contains("home/restart.lock"), "{v3:?}");
    assert!(v3.contains("home/restart.lock.mutex.reclaim"), "{v3:?}");
}

#[test]
fn a_claim_in_a_branch_that_returns_ends_with_it() {
    assert_table("tests/gate/lints/branches.lstep", BRANCHES);
}

#[test]
fn each_lint_fires_on_its_own_variant_only() {
    assert_table("tests/gate/lints/lints.lstep", LINTS);
}

/// `allows.lstep` is `lints.lstep` with directives: `late`'s and `split`'s findings are
/// allowed (after the code, and from the line above), `busy`'s is not (its allow sits on the
/// base's wait, which polls with a sleep), so that allow silences nothing and is reported.
#[test]
fn an_allow_silences_its_line_and_an_allow_that_silences_nothing_is_reported() {
    const ALLOWS: Table = &[
        ("clean", &[]),
        ("busy", &["poll-without-sleep"]),
        ("split", &[]),
        ("late", &[]),
        ("clobber", &["ungated-release"]),
        ("unanchored", &["finally-without-anchor"]),
    ];
    assert_table("tests/gate/lints/allows.lstep", ALLOWS);
    let out = lockstep(&["lint", "tests/gate/lints/allows.lstep"]);
    assert!(
        out.stdout.contains("warning[unused-allow]: tests/gate/lints/allows.lstep:30:28: this allows `poll-without-sleep` on line 31, and no variant's `poll-without-sleep` finding is there"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches("warning[").count(), 4, "{}", out.stdout);
    // A name that is no lint is the file's error, located.
    let bad = format!("{}/misspelt.lstep", crate::support::tempdir());
    let text = std::fs::read_to_string("tests/gate/lints/allows.lstep").expect("read");
    std::fs::write(
        &bad,
        text.replace("allow(ungated-claim-write)", "allow(ungated-claim-writes)"),
    )
    .expect("write");
    let out = lockstep(&["lint", &bad]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("misspelt.lstep:40:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("`ungated-claim-writes` is not a lint"),
        "{}",
        out.stderr
    );
    // So is a `// lockstep:` comment that is not a directive.
    std::fs::write(
        &bad,
        text.replace("allow(ungated-claim-write)", "allows ungated-claim-write"),
    )
    .expect("write");
    let out = lockstep(&["lint", &bad]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is a directive"), "{}", out.stderr);
}

#[test]
fn every_lint_is_shown_by_some_file() {
    let mut seen = BTreeSet::new();
    for table in [
        INIT_LOCK,
        MIGRATION_LEASE,
        RESTART_LOCK,
        PREWARM_LOCK,
        PIDFILE_LOCK,
        LINTS,
    ] {
        for (_, ids) in table {
            seen.extend(ids.iter().copied());
        }
    }
    // An allow that silences nothing names no variant (allows.lstep shows it).
    seen.insert(Rule::UnusedAllow.id());
    for rule in Rule::ALL {
        assert!(seen.contains(rule.id()), "no file shows `{}`", rule.id());
    }
}

#[test]
fn the_command_prints_each_lint_with_its_place_note_and_help() {
    let out = lockstep(&["lint", "protocols/init-lock.lstep"]);
    assert_eq!(out.code, 0, "lints are hints: {}", out.stderr);
    assert!(out.stdout.contains(
        "warning[ungated-release]: protocols/init-lock.lstep:386:16: a `finally` writes shared `cells`"
    ));
    assert!(out.stdout.contains("386 │     release: { release(level) }"));
    assert!(out.stdout.contains("= note: the clobber"));
    assert!(out.stdout.contains("= help: keep the claim's token"));
    assert!(out.stderr.contains("7 lint(s) in 1 protocol file(s)"));
    insta::assert_snapshot!("lint_init_lock", out.stdout);
    let again = lockstep(&["lint", "protocols/init-lock.lstep"]);
    assert_eq!(out.stdout, again.stdout, "the output is deterministic");
}

#[test]
fn a_fixed_variant_is_quiet_and_deny_fails_a_buggy_one() {
    let quiet = lockstep(&[
        "lint",
        "--deny",
        "--variant",
        "v4-gated-publish",
        "protocols/init-lock.lstep",
    ]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stdout, "");
    let denied = lockstep(&[
        "lint",
        "--deny",
        "--variant",
        "v3-gen-release",
        "protocols/init-lock.lstep",
    ]);
    assert_eq!(denied.code, 1);
    assert!(denied.stdout.contains("warning[ungated-claim-write]"));
    let json = lockstep(&[
        "lint",
        "--json",
        "--variant",
        "v3-gen-release",
        "protocols/init-lock.lstep",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(v[0]["id"], "ungated-claim-write");
    assert_eq!(v[0]["line"], 370);
}

#[test]
fn bad_input_is_a_usage_error() {
    let unknown = lockstep(&["lint", "--variant", "v9", "protocols/init-lock.lstep"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no variant `v9`"),
        "{}",
        unknown.stderr
    );
    let missing = lockstep(&["lint", "no/such.lstep"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    let bad = format!("{}/bad.lstep", crate::support::tempdir());
    std::fs::write(
        &bad,
        "protocol bad\nplatform workerd\n\nvariant v1 from v0\n",
    )
    .expect("write");
    let out = lockstep(&["lint", &bad]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bad.lstep:4:17"), "{}", out.stderr);
}

#[test]
fn run_and_check_show_the_lints_before_exploring() {
    let run = lockstep(&[
        "run",
        "--variant",
        "v1-single-lease",
        "examples/migration-lease/scenarios/slow-migration.toml",
    ]);
    assert!(
        run.stderr.contains(
            "warning[ungated-release]: examples/migration-lease/migration-lease.lstep:142:16"
        ),
        "{}",
        run.stderr
    );
    let fixed = lockstep(&[
        "run",
        "--variant",
        "v2-fenced",
        "examples/migration-lease/scenarios/slow-migration.toml",
    ]);
    assert!(
        !fixed.stderr.contains("ungated-release"),
        "{}",
        fixed.stderr
    );
    let check = lockstep(&["check", "examples"]);
    assert_eq!(check.code, 0, "lints change no verdict: {}", check.stderr);
    assert!(check.stderr.contains("warning[ungated-claim-write]"));
}
