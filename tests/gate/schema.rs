//! The shipped JSON Schema is the one `lockstep schema` prints. That editors' validators accept
//! every shipped scenario with it, and reject the slips it promises to catch, is checked by
//! `tests/schema/validate.py` (in CI), with Python's TOML reader and the reference JSON Schema
//! validator: nothing of it is lockstep's own code, and none of it is in the gate's build.

use crate::support;
use support::lockstep;

/// The copy in the repository (what an editor setting can point at) is the current schema.
#[test]
fn the_shipped_schema_is_current() {
    let out = lockstep(&["schema"]);
    let shipped = std::fs::read_to_string(format!(
        "{}/docs/scenario.schema.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(
        shipped == out.stdout,
        "docs/scenario.schema.json is stale: `lockstep schema > docs/scenario.schema.json`"
    );
}
