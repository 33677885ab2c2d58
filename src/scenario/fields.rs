//! The keys a scenario section accepts, read from the very types the loader deserializes
//! (serde hands a struct's field names to the deserializer), so `lockstep list --params`
//! cannot drift from what the loader takes.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A deserializer that records the field names of the struct it is asked for, and fails.
struct Fields<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for Fields<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The field names of `T` as a scenario writes them (empty for a type that is not a struct).
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut out: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut out));
    out
}

/// The keys of a protocol's `[params]`, `[[actor]]` and `[faults]` types
/// (`ProtocolInfo::keys`).
pub fn sections_of<'de, P: Deserialize<'de>, A: Deserialize<'de>, F: Deserialize<'de>>(
) -> [&'static [&'static str]; 3] {
    [fields_of::<P>(), fields_of::<A>(), fields_of::<F>()]
}
