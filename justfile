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

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

# What CI runs.
ci:
    bash .ci/run

# Loom: every schedule of the reference lock within the bounds stated in tests/loom_locks.rs.
loom:
    RUSTFLAGS="--cfg loom" cargo test --release --test loom_locks -- --test-threads=1

# Shuttle: seeded random and PCT schedules of the reference lock (part of cargo test too).
shuttle:
    cargo test --test locks_shuttle

# Benchmarks (the README's table).
bench:
    cargo run --release -- bench
