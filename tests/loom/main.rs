//! The loom checks, a test binary of their own that exists only with `--features loom`
//! (`cargo test --features loom --test loom -- --test-threads=1`): the reference init lock
//! under loom within the stated preemption bounds (`loom_locks`), and the models' loom verdicts
//! against the kernel's (`loom_models`). Apart from the gate so that the loom build compiles
//! these modules and the gate's support only, not the whole gate again.

#[path = "../gate/support/mod.rs"]
mod support;

#[path = "../gate/loom_locks.rs"]
mod loom_locks;
#[path = "../gate/loom_models.rs"]
mod loom_models;
