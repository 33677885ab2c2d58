# Convenience recipes mirroring CI. Nothing in the README or CI needs `just`.

default: test

# The regression gate (the README's test command).
test:
    cargo test

# The main job: every scenario against its expectations.
check:
    cargo run --release -- check scenarios

# Regenerate reports/.
report:
    cargo run --release -- report scenarios

# Loom: every schedule of the reference lock within the bounds stated in tests/gate/loom_locks.rs,
# and the models' loom verdicts against the kernel's (tests/gate/loom_models.rs), under --cfg loom in
# release (a separate build, ~4 min the first time), one test at a time.
loom:
    RUSTFLAGS="--cfg loom" cargo test --release --test gate -- --test-threads=1 loom_locks:: loom_models::

# Shuttle: seeded random and PCT schedules of the reference lock, and of the models through the
# bridge against the kernel (both part of cargo test too).
shuttle:
    cargo test --test gate -- locks_shuttle:: shuttle_models::

# Kernel, loom and shuttle side by side on clobber and multi-breaker (~80 s after the loom build).
bench-bridge:
    RUSTFLAGS="--cfg loom" cargo test --release --test gate -- --ignored --nocapture side_by_side

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings
    RUSTFLAGS="--cfg loom" cargo clippy --all-targets --release -- -D warnings

# What CI runs.
ci:
    bash .ci/run

# Benchmarks (the README's table).
bench:
    cargo run --release -- bench
