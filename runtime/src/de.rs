//! What `#[derive(Decode)]` expands to calls into here: the behaviour of generated types'
//! `Deserialize`, written once.
//!
//! Every payload type is compiled for exactly one deserializer: serde_json's, reading bytes,
//! wrapped in `serde_path_to_error` ([`crate::decode`]). A union cannot decode its members in
//! place (it has to look before it chooses), so it buffers the value's JSON text ([`Json`]) and
//! replays it through that same deserializer. serde's own derive buffers into its `Content`
//! type instead and decodes each member a second time through another deserializer, which
//! doubles what the compiler builds for every type a union reaches.
//!
//! [`Json`] needs a serde_json deserializer (from bytes, text, a reader or a `Value`): these are
//! JSON types.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

pub use hookgen_derive::Decode;

/// An object key, borrowed from the input when it can be.
pub struct Key<'de>(Cow<'de, str>);

impl<'de> Key<'de> {
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The key, owned.
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Decode the value of a declared field into its slot; a key sent twice is an error, as with
/// serde's derive.
pub fn next_field<'de, A, T>(
    map: &mut A,
    slot: &mut Option<T>,
    wire: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(de::Error::duplicate_field(wire));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// The error for a required field the object lacks.
pub fn missing_field<E: de::Error>(wire: &'static str) -> E {
    E::missing_field(wire)
}

/// The keys of an object that no declared field took, for its flattened members.
#[derive(Default)]
pub struct Rest(serde_json::Map<String, serde_json::Value>);

impl Rest {
    /// Keep one more key and its value.
    pub fn insert(&mut self, key: String, value: serde_json::Value) {
        self.0.insert(key, value);
    }
    /// Decode a flattened member from the keys kept.
    pub fn decode<T: DeserializeOwned, E: de::Error>(&self) -> Result<T, E> {
        let text = serde_json::to_string(&self.0).map_err(E::custom)?;
        replay(&text).map_err(E::custom)
    }
}

/// A value's JSON text, kept to be decoded as one of several types.
pub struct Json(Box<RawValue>);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Json)
    }
}

impl Json {
    /// The text as received.
    pub fn get(&self) -> &str {
        self.0.get()
    }
    /// Decode the text as `T`.
    pub fn try_decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        replay(self.0.get())
    }
    /// Decode the text as `T`, with the error of the deserializer that read it.
    pub fn decode<T: DeserializeOwned, E: de::Error>(&self) -> Result<T, E> {
        self.try_decode().map_err(E::custom)
    }
    /// The string value of `property` when the text is an object that has one.
    pub fn tag(&self, property: &str) -> Option<String> {
        let mut de = serde_json::Deserializer::from_str(self.0.get());
        de::DeserializeSeed::deserialize(TagSeek(property), &mut de).ok()?
    }
}

/// Looks for one property of an object, skipping over every other value.
struct TagSeek<'a>(&'a str);

impl<'de> de::DeserializeSeed<'de> for TagSeek<'_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TagSeek<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if found.is_none() && key.as_str() == self.0 {
                found = map
                    .next_value::<serde_json::Value>()?
                    .as_str()
                    .map(str::to_owned);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Option<String>, A::Error> {
        Ok(None)
    }
}

/// Decode buffered JSON through the deserializer every payload type is compiled for (the one
/// [`crate::decode`] uses), so a union's members are not compiled a second time. The error
/// names the path inside the buffered value.
fn replay<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    crate::decode::read_json(json.as_bytes()).map_err(|e| match e.path.as_str() {
        "." => e.inner.to_string(),
        path => format!("at {path}: {}", e.inner),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Decode)]
    struct Inner {
        n: u8,
    }

    #[derive(Debug, PartialEq, Decode)]
    struct Outer {
        #[serde(rename = "innerValue")]
        inner: Inner,
        r#type: Option<String>,
        #[serde(default)]
        count: u32,
        #[serde(flatten)]
        extra: BTreeMap<String, u8>,
    }

    #[derive(Debug, PartialEq, Decode)]
    #[serde(untagged)]
    enum Shape {
        Inner(Box<Inner>),
        Text(String),
        Other(serde_json::Value),
    }

    #[derive(Debug, PartialEq, Decode)]
    struct Flattened {
        id: u8,
        #[serde(flatten)]
        shape: Shape,
    }

    #[test]
    fn fields_are_renamed_optional_defaulted_and_flattened() {
        let outer: Outer =
            crate::decode(br#"{"innerValue":{"n":1},"x":2,"ignored_nothing":3}"#).unwrap();
        assert_eq!(outer.inner, Inner { n: 1 });
        assert_eq!(outer.r#type, None);
        assert_eq!(outer.count, 0);
        assert_eq!(outer.extra.len(), 2);
        let typed: Outer =
            crate::decode(br#"{"type":"t","count":4,"innerValue":{"n":1}}"#).unwrap();
        assert_eq!((typed.r#type.as_deref(), typed.count), (Some("t"), 4));
    }

    #[test]
    fn errors_name_the_field_and_its_path() {
        let missing = crate::decode::<Outer>(br#"{"x":1}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `innerValue`"),
            "{missing}"
        );
        let wrong = crate::decode::<Outer>(br#"{"innerValue":{"n":"one"}}"#).unwrap_err();
        assert_eq!(wrong.path, "innerValue.n");
        let twice = crate::decode::<Inner>(br#"{"n":1,"n":2}"#).unwrap_err();
        assert!(twice.to_string().contains("duplicate field `n`"), "{twice}");
        let extra = crate::decode::<Outer>(br#"{"innerValue":{"n":1},"x":"no"}"#).unwrap_err();
        assert_eq!(extra.path, "x");
        let not_object = crate::decode::<Inner>(b"[1]").unwrap_err();
        assert!(
            not_object.to_string().contains("an object (Inner)"),
            "{not_object}"
        );
    }

    #[test]
    fn untagged_takes_the_first_shape_that_decodes_and_keeps_the_rest() {
        let inner: Shape = crate::decode(br#"{"n":7}"#).unwrap();
        assert_eq!(inner, Shape::Inner(Box::new(Inner { n: 7 })));
        assert_eq!(
            crate::decode::<Shape>(br#""s""#).unwrap(),
            Shape::Text("s".into())
        );
        let other: Shape = crate::decode(br#"{"n":700}"#).unwrap();
        assert_eq!(other, Shape::Other(serde_json::json!({"n": 700})));
        // Through a `Value` too, as a user's `serde_json::from_value` would.
        let from_value: Shape = serde_json::from_value(serde_json::json!({"n": 7})).unwrap();
        assert_eq!(from_value, inner);
    }

    #[test]
    fn a_flattened_union_decodes_from_the_other_keys() {
        let f: Flattened = crate::decode(br#"{"id":1,"n":2}"#).unwrap();
        assert_eq!(f.shape, Shape::Inner(Box::new(Inner { n: 2 })));
    }

    #[derive(Debug, Decode)]
    #[allow(dead_code)]
    struct Node {
        child: Option<Child>,
    }

    #[derive(Debug, Decode)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum Child {
        Node(Box<Node>),
        Other(serde_json::Value),
    }

    #[test]
    fn hostile_nesting_through_a_union_is_an_error_not_a_stack_overflow() {
        // Each union level replays its text with a fresh serde_json depth count; the body's
        // nesting is bounded before any of it is read.
        let depth = 50_000;
        let body = format!(
            r#"{}null{}"#,
            r#"{"child":"#.repeat(depth),
            "}".repeat(depth)
        );
        let decoded = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || crate::decode::<Node>(body.as_bytes()).map(|_| ()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        let error = decoded.unwrap_err();
        assert!(
            error.to_string().contains("nested more than 128"),
            "{error}"
        );
        // Nesting inside strings does not count, and 128 levels decode.
        let fine = format!(r#"{}"[[[["{}"#, r#"{"child":"#.repeat(100), "}".repeat(100));
        assert!(crate::decode::<Node>(fine.as_bytes()).is_ok(), "{fine}");
    }

    #[test]
    fn tag_reads_one_string_property_only() {
        let json: Json = serde_json::from_str(r#"{"a":{"kind":"no"},"kind":"yes"}"#).unwrap();
        assert_eq!(json.tag("kind").as_deref(), Some("yes"));
        let number: Json = serde_json::from_str(r#"{"kind":1}"#).unwrap();
        assert_eq!(number.tag("kind"), None);
        let array: Json = serde_json::from_str("[1]").unwrap();
        assert_eq!(array.tag("kind"), None);
    }
}
