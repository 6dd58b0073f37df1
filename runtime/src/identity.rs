//! Event identity: where a delivery says which event it is.
//!
//! A vendor names an event in one or more places: a request header (`X-GitHub-Event`), a body
//! field at any depth (`/event/event_type`, `/notificationItems/0/NotificationRequestItem/eventCode`),
//! or several joined (GitHub: the header `issues` and the body's `action` `opened`). A generated
//! SDK declares its vendor's [`EventIdentity`]; [`Delivery::read`] reads those values from a
//! delivery, and the SDK matches them against each event's values. Decoding never guesses: an
//! event is chosen by its identity, and only where several events share one identity are their
//! schemas tried, with exactly one allowed to accept the body ([`decode_one_of`]).

use std::borrow::Cow;
use std::fmt;

use http::HeaderMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{decode, DecodeError};

pub use crate::wire::body_as_json;

/// One place an event's identity is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityPart<'a> {
    /// A request header, by name (case-insensitive).
    Header(&'a str),
    /// A body field at a JSON pointer (RFC 6901; `/items/0/type` reads the first item of an
    /// array). A form body is read as the object of its fields.
    Body(&'a str),
}

/// How a value is compared with the values events declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Byte for byte (values from the spec's `enum`/`const`).
    Exact,
    /// ASCII case and the separators `_`, `-`, `.`, `/` and space are ignored: values taken
    /// from the spec's webhook keys (`branch-protection-rule` for `branch_protection_rule`).
    Loose,
}

/// Where a vendor's deliveries name their event, part by part.
#[derive(Debug, Clone, Copy)]
pub struct EventIdentity<'a> {
    /// The parts, in the order events list their values.
    pub parts: &'a [(IdentityPart<'a>, Comparison)],
}

impl<'a> EventIdentity<'a> {
    /// An identity read from these parts.
    pub const fn new(parts: &'a [(IdentityPart<'a>, Comparison)]) -> Self {
        EventIdentity { parts }
    }

    /// The first header this identity needs, if any (decoding without headers cannot work).
    pub fn required_header(&self) -> Option<&'a str> {
        self.parts.iter().find_map(|(part, _)| match part {
            IdentityPart::Header(name) => Some(*name),
            IdentityPart::Body(_) => None,
        })
    }
}

/// A delivery body ready to decode, with its identity values read.
#[derive(Debug)]
pub struct Delivery<'a> {
    /// The JSON to decode: the body itself, or the JSON made from a form or multipart body.
    pub json: Cow<'a, [u8]>,
    /// The body as received (kept in errors).
    pub body: &'a [u8],
    /// Each part's value as sent, `None` where the delivery does not carry it.
    raw: Vec<Option<String>>,
    /// Each part's value as compared (normalized for [`Comparison::Loose`] parts).
    keys: Vec<Option<String>>,
}

impl<'a> Delivery<'a> {
    /// Read a delivery: the body (JSON, a form, or multipart form data) and its identity
    /// values. `headers` is `None` when only the body is known ([`Delivery::read_body`]).
    pub fn read(
        identity: &EventIdentity<'_>,
        headers: Option<&HeaderMap>,
        body: &'a [u8],
    ) -> Result<Self, DecodeError> {
        let content_type = headers
            .and_then(|h| h.get(http::header::CONTENT_TYPE))
            .and_then(|v| v.to_str().ok());
        let json = match body_as_json(body, content_type) {
            Some(json) => Cow::Owned(json),
            None => Cow::Borrowed(body),
        };
        let mut raw = Vec::with_capacity(identity.parts.len());
        for (part, _) in identity.parts {
            raw.push(match part {
                IdentityPart::Header(name) => match headers {
                    Some(headers) => header_value(headers, name),
                    None => {
                        return Err(DecodeError::new(
                            body,
                            ".",
                            format!(
                                "the event type is in the `{name}` header: decode with \
                                 `Event::from_request(headers, body)`"
                            ),
                        ))
                    }
                },
                IdentityPart::Body(pointer) => read_pointer(&json, pointer)
                    .map_err(|e| DecodeError::new(body, ".", e.to_string()))?,
            });
        }
        let keys = identity
            .parts
            .iter()
            .zip(&raw)
            .map(|((_, comparison), value)| match comparison {
                Comparison::Exact => value.clone(),
                Comparison::Loose => value.as_deref().map(loose),
            })
            .collect();
        Ok(Delivery {
            json,
            body,
            raw,
            keys,
        })
    }

    /// The values to match events against, part by part.
    pub fn keys(&self) -> Vec<Option<&str>> {
        self.keys.iter().map(Option::as_deref).collect()
    }

    /// The event type as the delivery names it: the values it carries, joined by `.`
    /// (`issues.opened`), or `None` when it names none.
    pub fn event_type(&self) -> Option<String> {
        let present: Vec<&str> = self.raw.iter().flatten().map(String::as_str).collect();
        (!present.is_empty()).then(|| present.join("."))
    }

    /// Decode as one event's payload type; errors name the event and keep the body as received.
    pub fn decode<T: serde::de::DeserializeOwned>(&self, event: &str) -> Result<T, DecodeError> {
        decode(&self.json).map_err(|e| e.with_event_type(event).with_body(self.body))
    }

    /// The whole payload, for an event this SDK does not know.
    pub fn unknown(&self) -> Result<crate::UnknownEvent, DecodeError> {
        let payload =
            decode::<serde_json::Value>(&self.json).map_err(|e| e.with_body(self.body))?;
        Ok(crate::UnknownEvent {
            event_type: self.event_type(),
            payload,
        })
    }
}

/// Decodes a delivery as one event (named by the second argument).
pub type DecodeAs<E> = fn(&Delivery<'_>, &str) -> Result<E, DecodeError>;

/// Several events share one identity: exactly one candidate's schema may accept the body.
/// `None` when none does; an ambiguity error naming them when more than one does. Never the
/// first that happens to fit.
pub fn decode_one_of<E>(
    delivery: &Delivery<'_>,
    candidates: &[(&str, DecodeAs<E>)],
) -> Result<Option<E>, DecodeError> {
    let mut accepted: Vec<(&str, E)> = Vec::new();
    for (name, decode) in candidates {
        if let Ok(event) = decode(delivery, name) {
            accepted.push((name, event));
        }
    }
    match accepted.len() {
        0 => Ok(None),
        1 => Ok(accepted.pop().map(|(_, e)| e)),
        _ => {
            let names: Vec<&str> = accepted.iter().map(|(n, _)| *n).collect();
            Err(DecodeError::new(
                delivery.body,
                ".",
                format!(
                    "ambiguous: the body fits the events {}; nothing in the delivery tells them apart",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// The value a [`Comparison::Loose`] part is compared by: lower case, separators dropped.
pub fn loose(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | '/' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The string (or number, or boolean) at a JSON pointer of a JSON body, read without building
/// the document: everything off the path is skipped. `Ok(None)` when nothing is there.
pub fn read_pointer(json: &[u8], pointer: &str) -> Result<Option<String>, serde_json::Error> {
    let segments: Vec<String> = if pointer.is_empty() {
        vec![]
    } else {
        pointer
            .strip_prefix('/')
            .unwrap_or(pointer)
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = PointerSeed(&segments).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct PointerSeed<'s>(&'s [String]);

impl<'de> DeserializeSeed<'de> for PointerSeed<'_> {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PointerSeed<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.0.is_empty().then(|| v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.0.split_first() {
                Some((first, rest)) if found.is_none() && *first == *key => {
                    found = map.next_value_seed(PointerSeed(rest))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = self
            .0
            .split_first()
            .and_then(|(first, rest)| Some((first.parse::<usize>().ok()?, rest)));
        if let Some((0, rest)) = wanted {
            // The first item of a batch names the event (Adyen's `notificationItems/0/...`):
            // every item must name the same one, or the batch is no one event.
            let mut found: Option<String> = None;
            while let Some(value) = seq.next_element_seed(PointerSeed(rest))? {
                match (&found, value) {
                    (None, value) => found = value,
                    (Some(first), Some(other)) if *first != other => {
                        return Err(de::Error::custom(format!(
                            "the batch's items name different events (`{first}`, `{other}`)"
                        )))
                    }
                    _ => {}
                }
            }
            return Ok(found);
        }
        let mut found = None;
        let mut index = 0;
        loop {
            match wanted {
                Some((i, rest)) if i == index => match seq.next_element_seed(PointerSeed(rest))? {
                    Some(value) => found = value,
                    None => break,
                },
                _ => {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                }
            }
            index += 1;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: EventIdentity<'static> = EventIdentity::new(&[
        (IdentityPart::Header("X-GitHub-Event"), Comparison::Loose),
        (IdentityPart::Body("/action"), Comparison::Exact),
    ]);

    #[test]
    fn pointers_reach_nested_fields_and_array_items() {
        let body = br#"{"a": [1, {"b": {"c": "x"}}], "d": {"e~f/g": 7}, "n": null}"#;
        assert_eq!(
            read_pointer(body, "/a/1/b/c").unwrap().as_deref(),
            Some("x")
        );
        assert_eq!(
            read_pointer(body, "/d/e~0f~1g").unwrap().as_deref(),
            Some("7")
        );
        assert_eq!(read_pointer(body, "/a/0/b").unwrap(), None);
        assert_eq!(read_pointer(body, "/n").unwrap(), None);
        assert_eq!(read_pointer(body, "/missing").unwrap(), None);
        assert_eq!(read_pointer(body, "/a").unwrap(), None);
        assert!(read_pointer(b"{", "/a").is_err());
        let batch = br#"{"items": [{"code": "CAPTURE"}, {"code": "CAPTURE"}]}"#;
        assert_eq!(
            read_pointer(batch, "/items/0/code").unwrap().as_deref(),
            Some("CAPTURE")
        );
        let mixed = br#"{"items": [{"code": "CAPTURE"}, {"code": "REFUND"}]}"#;
        let err = read_pointer(mixed, "/items/0/code").unwrap_err();
        assert!(err.to_string().contains("different events"), "{err}");
    }

    #[test]
    fn deep_bodies_are_skipped_or_refused_never_a_stack_overflow() {
        // On the test thread's 2 MiB stack: what lies beyond the pointer is skipped without
        // recursion, and nothing is read out of it.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(!matches!(
            read_pointer(deep.as_bytes(), "/0/0"),
            Ok(Some(_))
        ));
        let deep_object = format!("{}{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
        assert!(!matches!(
            read_pointer(deep_object.as_bytes(), "/a/a/a"),
            Ok(Some(_))
        ));
        let pointer = "/a".repeat(100_000);
        assert!(read_pointer(deep_object.as_bytes(), &pointer).is_err());
    }

    #[test]
    fn headers_and_body_together_and_loosely() {
        let mut headers = HeaderMap::new();
        headers.insert("x-github-event", "branch_protection_rule".parse().unwrap());
        let d = Delivery::read(&GITHUB, Some(&headers), br#"{"action": "created"}"#).unwrap();
        assert_eq!(d.keys(), [Some("branchprotectionrule"), Some("created")]);
        assert_eq!(
            d.event_type().as_deref(),
            Some("branch_protection_rule.created")
        );
        let err = Delivery::read(&GITHUB, None, b"{}").unwrap_err();
        assert!(err.to_string().contains("X-GitHub-Event"), "{err}");
    }

    #[test]
    fn multipart_with_a_json_field_is_that_json() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{\"event\": {\"event_type\": \"callback_test\"}}\r\n--XyZ--\r\n";
        let identity =
            EventIdentity::new(&[(IdentityPart::Body("/event/event_type"), Comparison::Exact)]);
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "multipart/form-data; boundary=XyZ".parse().unwrap(),
        );
        for h in [Some(&headers), None] {
            let d = Delivery::read(&identity, h, body).unwrap();
            assert_eq!(d.keys(), [Some("callback_test")]);
        }
        let form = b"json=%7B%22event%22%3A%7B%22event_type%22%3A%22x%22%7D%7D";
        let d = Delivery::read(&identity, None, form).unwrap();
        assert_eq!(d.keys(), [Some("x")]);
    }

    #[test]
    fn ambiguity_names_every_candidate() {
        let identity = EventIdentity::new(&[]);
        let d = Delivery::read(&identity, None, br#"{"a": 1}"#).unwrap();
        fn any(d: &Delivery<'_>, n: &str) -> Result<serde_json::Value, DecodeError> {
            d.decode(n)
        }
        fn none(d: &Delivery<'_>, _: &str) -> Result<serde_json::Value, DecodeError> {
            Err(DecodeError::new(d.body, ".", "no"))
        }
        let err = decode_one_of(&d, &[("one", any), ("two", any)]).unwrap_err();
        assert!(err.message.contains("one, two"), "{err}");
        assert!(decode_one_of(&d, &[("one", any), ("two", none)])
            .unwrap()
            .is_some());
        assert!(decode_one_of(&d, &[("two", none)]).unwrap().is_none());
    }
}
