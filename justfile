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
