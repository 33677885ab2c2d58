#!/usr/bin/env python3
"""The editors' check: every shipped scenario file validates against `lockstep schema`, read
as an editor's TOML extension reads it (the TOML turned into JSON, checked by a JSON Schema
validator), and the schema rejects the slips it promises to catch.

Run by `.ci/run` as `python3 tests/schema/validate.py SCHEMA.json`, with Python's own TOML
reader (3.11+) and the reference JSON Schema validator (`jsonschema`), so the check shares no
code with lockstep's own loader. Exits 1 on the first file or slip that disagrees.
"""

import pathlib
import sys
import tomllib

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Folders of scenario files a user may open in an editor.
FOLDERS = ["scenarios", "proofs", "examples", "tests/reach", "tests/unfired", "tests/reduce", "tests/models"]
# (text in a valid file, what a slip turns it into): each slip must be rejected.
SLIPS = [
    ("init_ms = 400", "init_msec = 400"),
    ("poll_ms = 20", 'poll_ms = "20"'),
    ('strategy = "scripted"', "strategy = 3"),
    ('v1-reclaim = "violated:max-inits"', 'v9 = "holds"'),
    ('"bounded-wait"]', '"bounded-waits"]'),
    ("[expect]", "[expected]"),
]


def main() -> int:
    validator = json_schema_validator(pathlib.Path(sys.argv[1]))
    files = sorted(f for d in FOLDERS for f in (ROOT / d).rglob("*.toml"))
    if len(files) <= 50:
        print(f"only {len(files)} scenario files found under {FOLDERS}")
        return 1
    for f in files:
        errors = [
            f"{e.message} at /{'/'.join(map(str, e.absolute_path))}"
            for e in validator.iter_errors(tomllib.loads(f.read_text()))
        ]
        if errors:
            print(f"{f.relative_to(ROOT)}: {errors}")
            return 1
    good = (ROOT / "scenarios/init-lock/clobber.toml").read_text()
    if not validator.is_valid(tomllib.loads(good)):
        print("scenarios/init-lock/clobber.toml: rejected")
        return 1
    for before, after in SLIPS:
        if before not in good:
            print(f"clobber.toml has no `{before}` to turn into a slip")
            return 1
        if validator.is_valid(tomllib.loads(good.replace(before, after, 1))):
            print(f"the schema accepts the slip `{after}`")
            return 1
    print(f"{len(files)} scenario files validate; {len(SLIPS)} slips are rejected")
    return 0


def json_schema_validator(path: pathlib.Path):
    """A validator for the draft the schema names in `$schema`, once the schema is valid."""
    import json

    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


if __name__ == "__main__":
    sys.exit(main())
