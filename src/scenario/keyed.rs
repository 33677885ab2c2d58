//! Tables whose keys are names the user chose (`[expect]`'s variants, a protocol file's
//! `[params]` and `[faults]`), with a span for every key however the table was written.
//!
//! The TOML parser gives a key its span when it is written under a table header (`[expect]`
//! then `v1 = "holds"`), but not when it is part of a dotted key (`expect.v1 = "holds"`): a
//! `Spanned<String>` key then fails to load with "expected a borrowed string", so valid TOML
//! was refused. [`Keyed`] takes the key's span where the parser has one and the value's span
//! otherwise (the value sits on the same line), so messages still point into the file.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_spanned::__unstable as spanned;
use toml::Spanned;

/// A table of user-named keys, each with a span, and spanned values.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyed<V>(BTreeMap<Spanned<String>, Spanned<V>>);

/// A table of user-named keys (`[params]`, a fault param), dotted or not.
pub type Table = Keyed<toml::Value>;

impl<V> Keyed<V> {
    pub fn new() -> Self {
        Keyed(BTreeMap::new())
    }
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed::new()
    }
}

impl<V> Deref for Keyed<V> {
    type Target = BTreeMap<Spanned<String>, Spanned<V>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<V> DerefMut for Keyed<V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<V> IntoIterator for Keyed<V> {
    type Item = (Spanned<String>, Spanned<V>);
    type IntoIter = std::collections::btree_map::IntoIter<Spanned<String>, Spanned<V>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a Keyed<V> {
    type Item = (&'a Spanned<String>, &'a Spanned<V>);
    type IntoIter = std::collections::btree_map::Iter<'a, Spanned<String>, Spanned<V>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Keyed<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(KeyedVisitor(PhantomData))
    }
}

struct KeyedVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for KeyedVisitor<V> {
    type Value = Keyed<V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keyed<V>, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value: Spanned<V> = map.next_value()?;
            let span = key.span.unwrap_or_else(|| value.span());
            out.insert(Spanned::new(span, key.name), value);
        }
        Ok(Keyed(out))
    }
}

/// A key, with its span when the parser gives one.
struct Key {
    name: String,
    span: Option<std::ops::Range<usize>>,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The parser's span protocol (what `Spanned` asks for); a key without a span answers
        // with its plain string instead.
        const FIELDS: &[&str] = &[
            spanned::START_FIELD,
            spanned::END_FIELD,
            spanned::VALUE_FIELD,
        ];
        deserializer.deserialize_struct(spanned::NAME, FIELDS, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(Key {
            name: name.to_string(),
            span: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Key, A::Error> {
        let key =
            Spanned::<String>::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Key {
            span: Some(key.span()),
            name: key.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct File {
        expect: Keyed<String>,
    }

    fn keys(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
        let file: File = toml::from_str(text).expect("loads");
        file.expect
            .keys()
            .map(|k| (k.get_ref().clone(), k.span()))
            .collect()
    }

    #[test]
    fn a_key_under_a_header_has_its_own_span() {
        let text = "[expect]\nv1 = \"holds\"\n";
        assert_eq!(keys(text), vec![("v1".to_string(), 9..11)]);
    }

    #[test]
    fn a_dotted_key_loads_with_its_span() {
        let text = "expect.v1 = \"holds\"\n";
        assert_eq!(keys(text), vec![("v1".to_string(), 7..9)]);
    }

    #[test]
    fn an_inline_table_loads() {
        let found = keys("expect = { v1 = \"holds\", v2 = \"holds\" }\n");
        assert_eq!(found.len(), 2);
    }
}
