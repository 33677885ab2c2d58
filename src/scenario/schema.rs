//! A JSON Schema of the scenario format (`lockstep schema`), read from the very types the loader
//! deserializes, so editors validate and complete scenario files with what the loader takes.
//!
//! Like [`super::fields_of`], it asks serde rather than a second description: each field of a
//! section's type is deserialized on its own from a probe that records which kind of value the
//! field asks for (an integer, a string, a table of known keys, ...). Fields whose type decides
//! at run time (open values such as `arrive_ms = [0, 5]` or `{ from = 0, to = 100, step = 10 }`,
//! untagged enums) take any value: the schema never rejects a file the loader accepts, and
//! unknown keys, the most common slip, are rejected everywhere (`additionalProperties: false`,
//! as the loader's `deny_unknown_fields`). The loader stays the authority on values.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Map, Value};

/// Records what a value's type asked the deserializer for.
struct Probe<'a>(&'a mut Value);

type Error = de::value::Error;

fn stop<T>() -> Result<T, Error> {
    Err(de::Error::custom("probed"))
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        *self.0 = json!({});
        stop()
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "boolean"});
        v.visit_bool(false)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "integer", "minimum": 0});
        v.visit_u64(0)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "integer"});
        v.visit_i64(0)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "number"});
        v.visit_f64(0.0)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "string"});
        v.visit_str("")
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        // The element type: one element, probed.
        let mut item = json!({});
        let r = v.visit_seq(OneElement(Some(Probe(&mut item))));
        *self.0 = json!({"type": "array", "items": item});
        r
    }
    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "object"});
        stop()
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        if name.contains("Spanned") && fields.len() == 3 {
            // toml's `Spanned<T>`: a start, an end and the value itself.
            return v.visit_map(SpannedMap {
                fields,
                at: 0,
                value: Some(self),
            });
        }
        // A table nested in a section: its type is gone with the visitor, so its keys are
        // described by name only (any value each), which still rejects unknown keys.
        *self.0 = table_schema_with(fields, |_, _| {});
        stop()
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        *self.0 = json!({"type": "string"});
        stop()
    }

    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_u64(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_u64(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_u64(v)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_f64(v)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

/// An object schema over `fields`, each described by `describe`.
fn table_schema_with(fields: &[&'static str], mut describe: impl FnMut(&str, &mut Value)) -> Value {
    let mut properties = Map::new();
    for f in fields {
        let mut slot = json!({});
        describe(f, &mut slot);
        properties.insert((*f).to_string(), slot);
    }
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

struct OneElement<'a>(Option<Probe<'a>>);

impl<'de> SeqAccess<'de> for OneElement<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.0.take() {
            Some(p) => seed.deserialize(p).map(Some),
            None => Ok(None),
        }
    }
}

struct SpannedMap<'a> {
    fields: &'static [&'static str],
    at: usize,
    value: Option<Probe<'a>>,
}

impl<'de> MapAccess<'de> for SpannedMap<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(f) = self.fields.get(self.at) else {
            return Ok(None);
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(f))
            .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.at += 1;
        if self.at < 3 {
            return seed.deserialize(de::value::U64Deserializer::new(0));
        }
        match self.value.take() {
            Some(p) => seed.deserialize(p),
            None => stop(),
        }
    }
}

/// A struct deserializer that offers only `field`, with a probe as its value.
struct OneField<'a> {
    field: &'a str,
    slot: &'a mut Value,
}

impl<'de> Deserializer<'de> for OneField<'_> {
    type Error = Error;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        stop()
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_map(OneFieldMap {
            field: Some(self.field),
            slot: Some(self.slot),
        })
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

struct OneFieldMap<'a> {
    field: Option<&'a str>,
    slot: Option<&'a mut Value>,
}

impl<'de> MapAccess<'de> for OneFieldMap<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.field.take() {
            Some(f) => seed
                .deserialize(de::value::StrDeserializer::new(f))
                .map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.slot.take() {
            Some(slot) => seed.deserialize(Probe(slot)),
            None => stop(),
        }
    }
}

/// The schema of a section whose type is `T`: its keys, each with the kind of value it takes.
pub fn table_schema<T: for<'de> Deserialize<'de>>() -> Value {
    let fields = super::fields_of::<T>();
    table_schema_with(fields, |field, slot| {
        let _ = T::deserialize(OneField { field, slot });
    })
}

/// The schemas of a protocol's `[params]`, `[[actor]]` and `[faults]` types
/// (`ProtocolInfo::schema`).
pub fn sections_schema<P, A, F>() -> [Value; 3]
where
    P: for<'de> Deserialize<'de>,
    A: for<'de> Deserialize<'de>,
    F: for<'de> Deserialize<'de>,
{
    [
        table_schema::<P>(),
        table_schema::<A>(),
        table_schema::<F>(),
    ]
}

/// What the schema says of one built-in protocol: the JSON Schemas of its `[params]`, one
/// `[[actor]]` and `[faults]`, and its catalogue.
pub struct ProtocolSchema {
    pub sections: [Value; 3],
    pub catalogue: crate::catalogue::Catalogue,
}

/// The whole schema: the frame every scenario shares, and for each built-in protocol (by its
/// `protocol` value) its own `[params]`, `[[actor]]` and `[faults]` keys, invariants and
/// variants. A scenario naming a protocol file gets the frame only (its keys come from the
/// file).
pub fn document(protocols: Vec<ProtocolSchema>) -> Value {
    let mut by_protocol = Vec::new();
    for p in protocols {
        let [params, actor, faults] = p.sections;
        let invariants: Vec<&str> = p.catalogue.invariants.iter().map(|i| i.id).collect();
        let variants: Vec<&str> = p.catalogue.variants.iter().map(|v| v.name).collect();
        by_protocol.push(json!({
            "if": {"properties": {"protocol": {"const": p.catalogue.id}}, "required": ["protocol"]},
            "then": {"properties": {
                "params": params,
                "actor": {"type": "array", "items": actor},
                "faults": faults,
                "check": {"properties": {"invariants": {"items": {"enum": invariants}}}},
                "expect": {"propertyNames": {"enum": variants}},
            }},
        }));
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://lockstep.invalid/scenario.schema.json",
        "title": "lockstep scenario file",
        "description": "Generated by `lockstep schema` from the loader's own types.",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "protocol": {"type": "string", "description": "a built-in protocol id, or the path of a protocol file (*.lstep)"},
            "params": {"type": "object"},
            "actor": {"type": "array", "items": {"type": "object"}},
            "faults": {"type": "object"},
            "check": table_schema::<super::Check>(),
            "explore": table_schema::<super::Explore>(),
            "expect": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": "^(holds|violated:.+|inconclusive:.+)$"},
            },
        },
        "required": ["protocol", "check"],
        "additionalProperties": false,
        "allOf": by_protocol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_has_every_key_the_loader_takes() {
        let doc = document(Vec::new());
        let mut keys: Vec<&str> = doc["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut loader: Vec<&str> = crate::scenario::fields_of::<
            crate::scenario::File<
                crate::scenario::NoFaults,
                crate::scenario::NoFaults,
                crate::scenario::NoFaults,
            >,
        >()
        .to_vec();
        loader.sort_unstable();
        assert_eq!(keys, loader);
    }

    #[test]
    fn fields_get_the_kind_of_value_they_take() {
        let explore = table_schema::<crate::scenario::Explore>();
        assert_eq!(explore["properties"]["runs"]["type"], "integer");
        assert_eq!(explore["properties"]["strategy"]["type"], "string");
        assert_eq!(explore["properties"]["sleep_sets"]["type"], "boolean");
        assert_eq!(explore["additionalProperties"], false);
        let check = table_schema::<crate::scenario::Check>();
        assert_eq!(check["properties"]["invariants"]["type"], "array");
        assert_eq!(check["properties"]["invariants"]["items"]["type"], "string");
    }
}
