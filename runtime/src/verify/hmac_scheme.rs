//! One parametrised HMAC scheme: ROOMZ, RoostSync, GitHub, Stripe, Slack and Shopify are each
//! a few lines of configuration of it.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::keys::{KeySet, KeyedMac};
use super::{check_window, parse_timestamp, WebhookError};
use crate::wire::hex_val;

/// Hash function of the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA1 (legacy vendors only).
    Sha1,
    /// HMAC-SHA256.
    #[default]
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// How the signature bytes are written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Hexadecimal; either case is accepted.
    #[default]
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// How the configured secret string becomes key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SecretEncoding {
    /// The secret's UTF-8 bytes (GitHub, Stripe, Slack, ROOMZ, RoostSync, Shopify).
    #[default]
    Utf8,
    /// The secret is base64.
    Base64,
    /// The secret is hex.
    Hex,
}

/// The shape of the signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderFormat {
    /// The header holds one signature, optionally after a prefix (`sha256=...`).
    #[default]
    Plain,
    /// Comma-separated `key=value` pairs holding the timestamp and signatures (Stripe: `t=..,v1=..`).
    KeyValue,
}

/// A parametrised HMAC signature scheme.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HmacScheme {
    /// Hash function.
    #[serde(default)]
    pub algorithm: Algorithm,
    /// The header carrying the signature.
    pub header: String,
    /// Other names the same header has had (ROOMZ: `X-Roomz-Signature`).
    #[serde(default)]
    pub alternate_headers: Vec<String>,
    /// How the signature bytes are encoded.
    #[serde(default)]
    pub encoding: Encoding,
    /// Text before the signature in a plain header (`sha256=`, `v0=`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// What is signed: a template over `{body}`, `{timestamp}`, `{id}`, `{header:Name}`, and
    /// for URL-bound schemes (Twilio) `{url}` (the full request URL) and `{form}` (the form
    /// body's parameters sorted by name, each as name then value).
    #[serde(default = "body_template")]
    pub signed_content: String,
    /// Plain or key-value header.
    #[serde(default)]
    pub format: HeaderFormat,
    /// In a key-value header, the key of signatures (Stripe: `v1`).
    #[serde(default)]
    pub signature_key: Option<String>,
    /// In a key-value header, the key of the timestamp (Stripe: `t`).
    #[serde(default)]
    pub timestamp_key: Option<String>,
    /// In a key-value header, what separates the pairs (Stripe: `,`; Paddle: `;`).
    #[serde(default = "comma")]
    pub separator: String,
    /// A header carrying the timestamp (Slack: `X-Slack-Request-Timestamp`).
    #[serde(default)]
    pub timestamp_header: Option<String>,
    /// A header carrying a delivery id used by `{id}`.
    #[serde(default)]
    pub id_header: Option<String>,
    /// Replay window in seconds, inclusive.
    #[serde(default = "default_tolerance", rename = "tolerance")]
    pub tolerance_seconds: u64,
    /// How the secret becomes key bytes.
    #[serde(default)]
    pub secret_encoding: SecretEncoding,
    /// The unit of the timestamp the vendor sends (Lob: milliseconds).
    #[serde(default)]
    pub timestamp_unit: TimestampUnit,
}

/// The unit of a delivery's timestamp; the replay window is checked in seconds either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TimestampUnit {
    /// Unix seconds.
    #[default]
    Seconds,
    /// Unix milliseconds.
    Milliseconds,
}

fn comma() -> String {
    ",".into()
}

fn body_template() -> String {
    "{body}".into()
}

fn default_tolerance() -> u64 {
    300
}

/// A piece of the signed-content template.
pub(crate) enum Part<'a> {
    Literal(&'a str),
    Body,
    Timestamp,
    Id,
    Header(&'a str),
    Url,
    Form,
}

pub(crate) fn parts(template: &str) -> impl Iterator<Item = Part<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(stripped) = rest.strip_prefix('{') {
            if let Some(end) = stripped.find('}') {
                let whole = &rest[..end + 2];
                let name = &stripped[..end];
                rest = &stripped[end + 1..];
                return Some(match name {
                    "body" => Part::Body,
                    "timestamp" => Part::Timestamp,
                    "id" => Part::Id,
                    "url" => Part::Url,
                    "form" => Part::Form,
                    other => match other.strip_prefix("header:") {
                        Some(h) => Part::Header(h),
                        // Not a placeholder: signed as written.
                        None => Part::Literal(whole),
                    },
                });
            }
        }
        // A literal runs to the next `{` after its first character, which may be multi-byte.
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let end = rest[first..]
            .find('{')
            .map(|i| i + first)
            .unwrap_or(rest.len());
        let lit = &rest[..end];
        rest = &rest[end..];
        Some(Part::Literal(lit))
    })
}

/// Values the template refers to, gathered from one delivery.
struct Signed<'a> {
    body: &'a [u8],
    url: Option<&'a [u8]>,
    timestamp: Option<&'a [u8]>,
    id: Option<&'a [u8]>,
    headers: Option<&'a HeaderMap>,
}

impl HmacScheme {
    /// A scheme with this header, SHA-256, hex, body only: the common case, to adjust with the builders.
    pub fn new(header: impl Into<String>) -> Self {
        HmacScheme {
            algorithm: Algorithm::Sha256,
            header: header.into(),
            alternate_headers: Vec::new(),
            encoding: Encoding::Hex,
            prefix: None,
            signed_content: body_template(),
            format: HeaderFormat::Plain,
            signature_key: None,
            timestamp_key: None,
            separator: comma(),
            timestamp_header: None,
            id_header: None,
            tolerance_seconds: default_tolerance(),
            secret_encoding: SecretEncoding::Utf8,
            timestamp_unit: TimestampUnit::Seconds,
        }
    }

    /// Set the hash function.
    pub fn algorithm(mut self, a: Algorithm) -> Self {
        self.algorithm = a;
        self
    }
    /// Accept the signature under another header name too.
    pub fn alternate_header(mut self, h: impl Into<String>) -> Self {
        self.alternate_headers.push(h.into());
        self
    }
    /// Set the signature encoding.
    pub fn encoding(mut self, e: Encoding) -> Self {
        self.encoding = e;
        self
    }
    /// Set the prefix before the signature.
    pub fn prefix(mut self, p: impl Into<String>) -> Self {
        self.prefix = Some(p.into());
        self
    }
    /// Set the signed-content template.
    pub fn signed_content(mut self, t: impl Into<String>) -> Self {
        self.signed_content = t.into();
        self
    }
    /// Use a key-value header with these keys for signatures and timestamp.
    pub fn key_value(
        mut self,
        signature_key: impl Into<String>,
        timestamp_key: impl Into<String>,
    ) -> Self {
        self.format = HeaderFormat::KeyValue;
        self.signature_key = Some(signature_key.into());
        self.timestamp_key = Some(timestamp_key.into());
        self
    }
    /// Use a key-value header holding only signatures under this key (PagerDuty: `v1=..,v1=..`).
    pub fn key_value_signatures(mut self, signature_key: impl Into<String>) -> Self {
        self.format = HeaderFormat::KeyValue;
        self.signature_key = Some(signature_key.into());
        self.timestamp_key = None;
        self
    }
    /// Separate the pairs of a key-value header with this character (default `,`).
    pub fn separator(mut self, separator: impl Into<String>) -> Self {
        self.separator = separator.into();
        self
    }
    /// Read the timestamp from this header.
    pub fn timestamp_header(mut self, h: impl Into<String>) -> Self {
        self.timestamp_header = Some(h.into());
        self
    }
    /// Read `{id}` from this header.
    pub fn id_header(mut self, h: impl Into<String>) -> Self {
        self.id_header = Some(h.into());
        self
    }
    /// Set the replay window in seconds.
    pub fn tolerance(mut self, seconds: u64) -> Self {
        self.tolerance_seconds = seconds;
        self
    }
    /// Timestamps are in this unit.
    pub fn timestamp_unit(mut self, unit: TimestampUnit) -> Self {
        self.timestamp_unit = unit;
        self
    }
    /// Set how the secret becomes key bytes.
    pub fn secret_encoding(mut self, e: SecretEncoding) -> Self {
        self.secret_encoding = e;
        self
    }

    /// Does a delivery carry a timestamp under this scheme?
    pub fn has_timestamp(&self) -> bool {
        self.timestamp_header.is_some()
            || (self.format == HeaderFormat::KeyValue && self.timestamp_key.is_some())
    }

    fn signature_header<'h>(
        &self,
        headers: &'h HeaderMap,
    ) -> Result<(&str, &'h [u8]), WebhookError> {
        std::iter::once(&self.header)
            .chain(&self.alternate_headers)
            .find_map(|h| headers.get(h.as_str()).map(|v| (h.as_str(), v.as_bytes())))
            .ok_or_else(|| WebhookError::MissingHeader(self.header.clone()))
    }

    /// Does the signed content include the request URL (so verifying needs it)?
    pub fn needs_url(&self) -> bool {
        parts(&self.signed_content).any(|p| matches!(p, Part::Url))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn verify(
        &self,
        keys: &KeySet,
        headers: &HeaderMap,
        body: &[u8],
        url: Option<&[u8]>,
        now: i64,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        if url.is_none() && self.needs_url() {
            return Err(WebhookError::UrlRequired);
        }
        let (_, raw) = self.signature_header(headers)?;
        let mut timestamp = None;
        if let Some(h) = &self.timestamp_header {
            timestamp = Some(super::header(headers, h)?);
        }
        let id = match &self.id_header {
            Some(h) => Some(super::header(headers, h)?),
            None => None,
        };
        let mut candidates: Vec<&[u8]> = Vec::new();
        match self.format {
            HeaderFormat::Plain => {
                let value = trim(raw);
                let sig =
                    match &self.prefix {
                        Some(p) => value.strip_prefix(p.as_bytes()).ok_or(
                            WebhookError::MalformedHeader {
                                header: self.header.clone(),
                                reason: "signature lacks the expected prefix",
                            },
                        )?,
                        None => value,
                    };
                candidates.push(sig);
            }
            HeaderFormat::KeyValue => {
                let sig_key = self.signature_key.as_deref().unwrap_or("v1").as_bytes();
                let ts_key = self.timestamp_key.as_deref().map(str::as_bytes);
                let separator = self.separator.as_bytes().first().copied().unwrap_or(b',');
                for pair in raw.split(|b| *b == separator) {
                    let pair = trim(pair);
                    let Some(eq) = pair.iter().position(|b| *b == b'=') else {
                        continue;
                    };
                    let (k, v) = (&pair[..eq], &pair[eq + 1..]);
                    if k == sig_key {
                        candidates.push(v);
                    } else if Some(k) == ts_key && timestamp.is_none() {
                        timestamp = Some(v);
                    }
                }
            }
        }
        if candidates.is_empty() {
            return Err(WebhookError::MalformedHeader {
                header: self.header.clone(),
                reason: "no signature in header",
            });
        }
        if self.has_timestamp() {
            let ts_name: &'static str = "timestamp";
            let raw_ts = timestamp.ok_or_else(|| WebhookError::MalformedHeader {
                header: self.header.clone(),
                reason: "no timestamp",
            })?;
            let mut ts = parse_timestamp(ts_name, raw_ts)?;
            if self.timestamp_unit == TimestampUnit::Milliseconds {
                ts /= 1000;
            }
            check_window(ts, now, tolerance)?;
        }
        let signed = Signed {
            body,
            url,
            timestamp,
            id,
            headers: Some(headers),
        };
        for mac in keys.macs() {
            let (expected, n) = self.compute(mac, &signed);
            for c in &candidates {
                if self.matches(c, &expected[..n]) {
                    return Ok(());
                }
            }
        }
        Err(WebhookError::SignatureMismatch)
    }

    fn compute(&self, mut mac: KeyedMac, s: &Signed<'_>) -> ([u8; 64], usize) {
        for part in parts(&self.signed_content) {
            match part {
                Part::Literal(l) => mac.update(l.as_bytes()),
                Part::Body => mac.update(s.body),
                Part::Timestamp => mac.update(s.timestamp.unwrap_or_default()),
                Part::Id => mac.update(s.id.unwrap_or_default()),
                Part::Header(h) => {
                    if let Some(v) = s.headers.and_then(|hs| hs.get(h)) {
                        mac.update(v.as_bytes());
                    }
                }
                Part::Url => mac.update(s.url.unwrap_or_default()),
                Part::Form => {
                    for (k, v) in sorted_form(s.body) {
                        mac.update(k.as_bytes());
                        mac.update(v.as_bytes());
                    }
                }
            }
        }
        mac.finish()
    }

    /// Decode a candidate signature and compare it with the expected MAC in constant time.
    fn matches(&self, candidate: &[u8], expected: &[u8]) -> bool {
        signature_matches(self.encoding, candidate, expected)
    }

    pub(crate) fn sign(
        &self,
        keys: &KeySet,
        id: Option<&str>,
        timestamp: i64,
        body: &[u8],
        url: Option<&[u8]>,
    ) -> Result<HeaderMap, WebhookError> {
        if url.is_none() && self.needs_url() {
            return Err(WebhookError::UrlRequired);
        }
        let mac = keys
            .macs()
            .next()
            .ok_or(WebhookError::InvalidSecret("no secret to sign with"))?;
        let ts = match self.timestamp_unit {
            TimestampUnit::Seconds => timestamp.to_string(),
            TimestampUnit::Milliseconds => timestamp.saturating_mul(1000).to_string(),
        };
        let mut headers = HeaderMap::new();
        if let (Some(h), Some(id)) = (&self.id_header, id) {
            insert(&mut headers, h, id)?;
        }
        let signed = Signed {
            body,
            url,
            timestamp: self.has_timestamp().then_some(ts.as_bytes()),
            id: id.map(str::as_bytes),
            headers: Some(&headers),
        };
        let (out, n) = self.compute(mac, &signed);
        let sig = match self.encoding {
            Encoding::Hex => out[..n]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            Encoding::Base64 => STANDARD.encode(&out[..n]),
        };
        let value = match self.format {
            HeaderFormat::Plain => format!("{}{sig}", self.prefix.as_deref().unwrap_or("")),
            HeaderFormat::KeyValue => {
                let sig_pair = format!("{}={sig}", self.signature_key.as_deref().unwrap_or("v1"));
                match &self.timestamp_key {
                    Some(k) => format!("{k}={ts}{}{sig_pair}", self.separator),
                    None => sig_pair,
                }
            }
        };
        insert(&mut headers, &self.header, &value)?;
        if let Some(h) = &self.timestamp_header {
            insert(&mut headers, h, &ts)?;
        }
        Ok(headers)
    }
}

pub(crate) fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), WebhookError> {
    let invalid = || WebhookError::MalformedHeader {
        header: name.to_string(),
        reason: "not a valid header",
    };
    let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let v = HeaderValue::from_str(value).map_err(|_| invalid())?;
    headers.insert(n, v);
    Ok(())
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(start);
    &b[start..end.max(start)]
}

/// The parameters of a form body (`a=1&b=x+y`), decoded, sorted by name then value, each
/// distinct pair once: what Twilio signs after the URL.
fn sorted_form(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = crate::wire::form_pairs(body).collect();
    pairs.sort();
    pairs.dedup();
    pairs
}

/// Decode a candidate signature and compare it with the expected MAC in constant time; a
/// wrong length or an undecodable candidate is a mismatch.
pub(crate) fn signature_matches(encoding: Encoding, candidate: &[u8], expected: &[u8]) -> bool {
    let mut buf = [0u8; 96];
    let decoded: &[u8] = match encoding {
        Encoding::Hex => {
            if candidate.len() != expected.len() * 2 {
                return false;
            }
            for (i, pair) in candidate.chunks(2).enumerate() {
                match (hex_val(pair[0]), hex_val(pair[1])) {
                    (Some(h), Some(l)) => buf[i] = (h << 4) | l,
                    _ => return false,
                }
            }
            &buf[..expected.len()]
        }
        Encoding::Base64 => {
            if candidate.len() > 128 {
                return false;
            }
            match STANDARD.decode_slice(candidate, &mut buf) {
                Ok(n) => &buf[..n],
                Err(_) => return false,
            }
        }
    };
    decoded.len() == expected.len() && bool::from(decoded.ct_eq(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parts() {
        let kinds: Vec<String> = parts("v0:{timestamp}:{body}")
            .map(|p| match p {
                Part::Literal(l) => format!("'{l}'"),
                Part::Body => "body".into(),
                Part::Timestamp => "ts".into(),
                Part::Id => "id".into(),
                Part::Header(h) => format!("h:{h}"),
                Part::Url => "url".into(),
                Part::Form => "form".into(),
            })
            .collect();
        assert_eq!(kinds, vec!["'v0:'", "ts", "':'", "body"]);
    }

    #[test]
    fn literals_starting_with_a_multi_byte_character_are_split_at_char_boundaries() {
        // Regression: `rest[1..]` panicked on `é` (two bytes) after a placeholder.
        for template in [
            "{body}\u{e9}",
            "\u{e9}{body}\u{1f600}{",
            "{\u{e9}",
            "\u{e9}",
        ] {
            let joined: String = parts(template)
                .map(|p| match p {
                    Part::Literal(l) => l.to_string(),
                    Part::Body => "{body}".into(),
                    _ => "?".into(),
                })
                .collect();
            assert_eq!(joined, template);
        }
        let scheme = HmacScheme::new("X-Sig").signed_content("{body}\u{e9}:{timestamp}\u{e9}");
        let verifier = crate::Verifier::new(crate::Scheme::Hmac(scheme), ["secret"]).unwrap();
        let headers = verifier.sign(b"{}", None, Some(1)).unwrap();
        assert!(!headers.is_empty());
    }

    #[test]
    fn form_parameters_are_decoded_sorted_and_distinct() {
        let pairs = sorted_form(b"To=%2B1800&From=a+b&Body=caf%C3%A9&From=a+b&Empty=&x=%zz");
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            ["Body=caf\u{e9}", "Empty=", "From=a b", "To=+1800", "x=%zz"]
        );
    }
}
