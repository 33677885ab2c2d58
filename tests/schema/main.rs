//! The `schema` test binary, which exists only with `--features schema` (`cargo test --features
//! schema --test schema`): `lockstep schema` validates every shipped scenario file (as an editor
//! would, with a JSON Schema validator on the TOML read as JSON), and rejects the slips it
//! promises to catch: an unknown key in any section, a value of the wrong kind, a variant or
//! invariant the protocol does not have. Apart from the gate because the validator's crates are
//! a quarter of a cold gate build; `.ci/run` builds it together with the loom binary, whose
//! feature already rebuilds the library.

#[path = "../gate/support/mod.rs"]
mod support;

use support::lockstep;

fn schema() -> jsonschema::Validator {
    let out = lockstep(&["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    jsonschema::validator_for(&doc).expect("a valid JSON Schema")
}

fn as_json(text: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(text).expect("TOML");
    serde_json::to_value(value).expect("JSON")
}

fn scenario_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            scenario_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn every_shipped_scenario_validates() {
    let v = schema();
    let mut files = Vec::new();
    for dir in [
        "scenarios",
        "examples",
        "tests/reach",
        "tests/unfired",
        "tests/reduce",
    ] {
        scenario_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            &mut files,
        );
    }
    files.sort();
    assert!(files.len() > 50, "{} files", files.len());
    for f in files {
        let doc = as_json(&std::fs::read_to_string(&f).unwrap());
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let v = schema();
    let good = std::fs::read_to_string(format!(
        "{}/scenarios/init-lock/clobber.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(v.is_valid(&as_json(&good)));
    for (from, to) in [
        ("init_ms = 400", "init_msec = 400"),
        ("poll_ms = 20", "poll_ms = \"20\""),
        ("strategy = \"scripted\"", "strategy = 3"),
        ("v1-reclaim = \"violated:max-inits\"", "v9 = \"holds\""),
        ("\"bounded-wait\"]", "\"bounded-waits\"]"),
        ("[expect]", "[expected]"),
    ] {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        assert!(!v.is_valid(&as_json(&bad)), "accepted `{to}`");
    }
}
