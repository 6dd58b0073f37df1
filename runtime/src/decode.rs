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
    read_json(body).map_err(|e| DecodeError::new(body, e.path, e.inner.to_string()))
}

/// Where JSON failed to decode, and what serde_json said.
pub(crate) struct JsonError {
    pub path: String,
    pub inner: serde_json::Error,
}

/// The one way payload and response types are read from JSON. Every generated type's
/// `Deserialize` is compiled for this deserializer only (see [`crate::de`]), so webhook
/// decoding, union members and the client's responses all come through here.
///
/// The body's nesting is checked first. serde_json stops at 128 levels while it decodes, but
/// a union's buffered text is skipped over without that count, and its replay starts a count
/// of its own: without the check, hostile input nested through a union would recurse until
/// the stack overflows.
pub(crate) fn read_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    if !nesting_within(body, MAX_NESTING) {
        return Err(JsonError {
            path: ".".to_string(),
            inner: serde::de::Error::custom(format_args!(
                "the JSON is nested more than {MAX_NESTING} levels deep"
            )),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| JsonError {
        path: e.path().to_string(),
        inner: e.into_inner(),
    })?;
    de.end().map_err(|inner| JsonError {
        path: ".".to_string(),
        inner,
    })?;
    Ok(value)
}

/// serde_json's own recursion limit.
const MAX_NESTING: usize = 128;

/// Whether no array or object in `json` lies more than `limit` levels deep (strings skipped).
fn nesting_within(json: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
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
    use crate::wire::form_as_json;

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
