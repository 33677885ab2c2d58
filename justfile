# Convenience recipes mirroring CI. Nothing in the README or CI needs `just`.

default: test

# The regression gate (the README's test command).
test:
    cargo test

# The main job: every scenario against its expectations.
check:
    cargo run -- check scenarios

# Regenerate reports/.
report:
    cargo run --release -- report scenarios

# Loom: every schedule of the reference lock within the bounds stated in tests/gate/loom_locks.rs,
# and the models' loom verdicts against the kernel's (tests/gate/loom_models.rs), with the cargo
# feature `loom` (the library is rebuilt once, on the test build's dependencies), one test at a time.
loom:
    cargo test --features loom --test loom -- --test-threads=1 loom_locks:: loom_models::

# The editors' check: every shipped scenario validates against `lockstep schema` (feature `schema`:
# the JSON Schema validator the gate's build does without).
schema:
    cargo test --features schema --test schema

# Shuttle: seeded random and PCT schedules of the reference lock, and of the models through the
# bridge against the kernel (both part of cargo test too).
shuttle:
    cargo test --test gate -- locks_shuttle:: shuttle_models::

# Kernel, loom and shuttle side by side on clobber and multi-breaker (~80 s after the loom build).
bench-bridge:
    cargo test --features loom --test loom -- --ignored --nocapture side_by_side

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings
    cargo clippy --all-targets --features loom,schema -- -D warnings

# What CI runs.
ci:
    bash .ci/run

# Benchmarks (the README's table).
bench:
    cargo run --release -- bench
