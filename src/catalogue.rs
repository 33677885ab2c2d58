//! A protocol's catalogue as data: its variants, invariants and environment moves, which a
//! scenario is validated against. It sits below `scenario` and `protocol` (which re-exports it)
//! so that reading a scenario needs no protocol implementation.

use lockstep_sim::Property;

/// One historical version (or canary) of a protocol.
#[derive(Clone, Copy, Debug)]
pub struct VariantInfo {
    pub name: &'static str,
    pub summary: &'static str,
    /// A deliberately broken variant that must fail: it guards the harness against passing
    /// silently.
    pub canary: bool,
}

/// An environment move a protocol's scenarios may use.
#[derive(Clone, Copy, Debug)]
pub struct FaultInfo {
    pub name: &'static str,
    pub summary: &'static str,
}

/// What a scenario's frame (`[check]`, `[expect]`) is validated against: the protocol's id,
/// its variants, its invariants (and those every scenario checks without listing them) and its
/// reachability targets.
#[derive(Clone, Debug)]
pub struct Catalogue {
    pub id: &'static str,
    pub variants: &'static [VariantInfo],
    pub invariants: &'static [Property],
    pub always_checked: &'static [Property],
    pub reachable: Vec<Property>,
}

/// The catalogue's variant table of a protocol whose versions are `$all` (a const array or
/// slice of a type with a `const fn info(self) -> VariantInfo`), in that order: each version
/// is described once, in its `info`.
#[macro_export]
macro_rules! variants_of {
    ($all:expr, $n:expr) => {{
        let mut out = [$all[0].info(); $n];
        let mut i = 1;
        while i < $n {
            out[i] = $all[i].info();
            i += 1;
        }
        out
    }};
}
