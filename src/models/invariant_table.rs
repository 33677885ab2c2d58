//! How a Rust model declares its named invariants: one line each, `Variant: Kind "id" =>
//! "summary"`, from which [`invariants!`] makes the model's `Inv` enum, its `ALL` table (the
//! ids scenario files name, in `lockstep list` order), `props()` and `by_id()`.

/// Declares a model's invariants (see the module documentation).
macro_rules! invariants {
    ($($variant:ident: $kind:ident $id:literal => $summary:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Inv {
            $($variant,)*
        }

        pub const ALL: &[(Inv, lockstep_sim::Property)] = &[
            $((
                Inv::$variant,
                lockstep_sim::Property {
                    id: $id,
                    kind: lockstep_sim::PropertyKind::$kind,
                    summary: $summary,
                },
            ),)*
        ];

        /// The invariants as properties, in `ALL`'s order.
        pub fn props() -> &'static [lockstep_sim::Property] {
            static P: std::sync::OnceLock<Vec<lockstep_sim::Property>> = std::sync::OnceLock::new();
            P.get_or_init(|| ALL.iter().map(|(_, p)| *p).collect())
        }

        /// The invariant a scenario names `id`.
        pub fn by_id(id: &str) -> Option<Inv> {
            ALL.iter().find(|(_, p)| p.id == id).map(|(i, _)| *i)
        }
    };
}
pub(crate) use invariants;
