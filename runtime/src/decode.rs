use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A body that is valid input to the webhook but does not fit the typed schema.
///
/// It carries the raw body, so the caller can store it and nothing is lost, and says which
/// field failed.
#[derive(Clone)]
pub struct DecodeError {
    /// JSON path of the field that failed (`data.presenceStatus`), `.` for the whole body.
    pub path: String,
    /// What serde said.
    pub message: String,
    /// The event type, when it could be read.
    pub event_type: Option<String>,
    body: Vec<u8>,
}

impl DecodeError {
    /// Build a decode error for a body.
    pub fn new(body: &[u8], path: impl Into<String>, message: impl Into<String>) -> Self {
        DecodeError {
            path: path.into(),
            message: message.into(),
            event_type: None,
            body: body.to_vec(),
        }
    }

    /// The body exactly as received.
    pub fn raw_body(&self) -> &[u8] {
        &self.body
    }

    /// Take the body out.
    pub fn into_raw_body(self) -> Vec<u8> {
        self.body
    }

    /// Note which event type failed to decode.
    pub fn with_event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("path", &self.path)
            .field("message", &self.message)
            .field("event_type", &self.event_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.event_type {
            Some(t) => write!(
                f,
                "`{t}` event does not match its schema at `{}`: {}",
                self.path, self.message
            ),
            None => write!(
                f,
                "body does not match the schema at `{}`: {}",
                self.path, self.message
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Deserialize `body` as `T`, reporting the path of the field that failed.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| DecodeError::new(body, e.path().to_string(), e.inner().to_string()))?;
    de.end()
        .map_err(|e| DecodeError::new(body, ".", e.to_string()))?;
    Ok(value)
}

/// A form body (`application/x-www-form-urlencoded`, as Twilio posts) as the JSON object of its
/// fields, so that the same typed decoding reads it; a field given twice becomes an array.
/// `None` when the body is JSON already (or not a form).
pub fn form_as_json(body: &[u8]) -> Option<Vec<u8>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if matches!(first, b'{' | b'[' | b'"') || !body.contains(&b'=') {
        return None;
    }
    Some(fields_as_json(form_pairs(body)))
}

/// Form fields as the JSON object of their values; a field given twice becomes an array.
pub(crate) fn fields_as_json(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<u8> {
    let mut fields = serde_json::Map::new();
    for (k, v) in pairs {
        match fields.get_mut(&k) {
            Some(serde_json::Value::Array(all)) => all.push(v.into()),
            Some(one) => *one = serde_json::Value::Array(vec![one.take(), v.into()]),
            None => {
                fields.insert(k, v.into());
            }
        }
    }
    serde_json::to_vec(&fields).unwrap_or_default()
}

/// The decoded `name=value` pairs of a form body, in order (a bare `name` has an empty value).
pub(crate) fn form_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (form_decode(&p[..i]), form_decode(&p[i + 1..])),
            None => (form_decode(p), String::new()),
        })
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn form_decode(raw: &[u8]) -> String {
    let hex = crate::verify::keys::hex_val;
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h << 4) | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl DecodeError {
    /// The same error, holding `body` (the bytes as received) instead of what was decoded.
    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }
}

/// An event whose type this SDK does not know (the vendor added it after generation).
/// It is never an error: the type string and the whole payload are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownEvent {
    /// The event type the payload named, if it named one.
    pub event_type: Option<String>,
    /// The whole payload.
    pub payload: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        data: Inner,
    }
    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        n: u8,
    }

    #[test]
    fn forms_become_json_objects_and_json_is_left_alone() {
        let json = form_as_json(b"From=%2B1234&Body=caf%C3%A9+ok&Media=a&Media=b&Empty=").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["From"], "+1234");
        assert_eq!(v["Body"], "caf\u{e9} ok");
        assert_eq!(v["Media"], serde_json::json!(["a", "b"]));
        assert_eq!(v["Empty"], "");
        assert!(form_as_json(br#"{"a": "b=c"}"#).is_none());
        assert!(form_as_json(b"").is_none());
    }

    #[test]
    fn errors_name_the_field_and_keep_the_body() {
        let body = br#"{"data": {"n": "x"}}"#;
        let err = decode::<Outer>(body).unwrap_err();
        assert_eq!(err.path, "data.n");
        assert_eq!(err.raw_body(), body);
    }
}
