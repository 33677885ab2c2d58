//! `lockstep list`

use crate::models::protocols;

pub fn run() -> u8 {
    for p in protocols() {
        println!("{}: {}", p.id(), p.summary());
        println!("  variants:");
        for v in p.variants() {
            let mark = if v.canary { " [canary]" } else { "" };
            println!("    {}{}: {}", v.name, mark, v.summary);
        }
        println!("  invariants:");
        for i in p.invariants() {
            println!("    {} ({:?}): {}", i.id, i.kind, i.summary);
        }
        println!("  fault moves:");
        for f in p.faults() {
            println!("    {}: {}", f.name, f.summary);
        }
        println!();
    }
    super::EXIT_OK
}
