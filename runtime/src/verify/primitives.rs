//! What every scheme family shares and none owns: timestamps and the replay window, header
//! lookups, the signed-content template, signature encodings, and pre-keyed HMAC states. A leaf:
//! it imports no family, so families never import each other.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::error::WebhookError;
use crate::wire::hex_val;

/// Hash function of an HMAC.
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

/// A pre-keyed HMAC over one of the supported hashes: the key's inner and outer hash states,
/// computed once per verifier and cloned per request (keying again would cost two compression
/// rounds per request). With the `zeroize` features of hmac, sha1 and sha2, every copy of the
/// state is wiped when it is dropped: the stored one with the verifier, each request's when it
/// finishes.
#[derive(Clone)]
pub(crate) enum KeyedMac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl KeyedMac {
    pub fn new(alg: Algorithm, key: &[u8]) -> Self {
        // `new_from_slice` accepts keys of any length for HMAC; the error arm cannot happen.
        match alg {
            Algorithm::Sha1 => {
                KeyedMac::Sha1(Hmac::new_from_slice(key).unwrap_or_else(|_| unreachable!()))
            }
            Algorithm::Sha256 => {
                KeyedMac::Sha256(Hmac::new_from_slice(key).unwrap_or_else(|_| unreachable!()))
            }
            Algorithm::Sha512 => {
                KeyedMac::Sha512(Hmac::new_from_slice(key).unwrap_or_else(|_| unreachable!()))
            }
        }
    }

    /// A keyed state from a configured secret.
    pub fn from_secret(
        alg: Algorithm,
        secret: &str,
        encoding: SecretEncoding,
    ) -> Result<Self, WebhookError> {
        Ok(KeyedMac::new(alg, &decode_secret(secret, encoding)?))
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            KeyedMac::Sha1(m) => m.update(data),
            KeyedMac::Sha256(m) => m.update(data),
            KeyedMac::Sha512(m) => m.update(data),
        }
    }

    /// Finalize into a stack buffer; returns the buffer and the digest length.
    pub fn finish(self) -> ([u8; 64], usize) {
        let mut out = [0u8; 64];
        let n = match self {
            KeyedMac::Sha1(m) => copy(&mut out, &m.finalize().into_bytes()),
            KeyedMac::Sha256(m) => copy(&mut out, &m.finalize().into_bytes()),
            KeyedMac::Sha512(m) => copy(&mut out, &m.finalize().into_bytes()),
        };
        (out, n)
    }
}

fn copy(out: &mut [u8; 64], bytes: &[u8]) -> usize {
    out[..bytes.len()].copy_from_slice(bytes);
    bytes.len()
}

/// Base64 with or without padding; a secret that decodes to nothing is refused.
pub(crate) fn b64_flexible(s: &str) -> Result<Zeroizing<Vec<u8>>, WebhookError> {
    let decoded = STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s.trim_end_matches('=')))
        .map_err(|_| WebhookError::InvalidSecret("secret is not valid base64"))?;
    if decoded.is_empty() {
        return Err(WebhookError::InvalidSecret("secret decodes to no bytes"));
    }
    Ok(Zeroizing::new(decoded))
}

/// A secret's key bytes under its declared encoding.
pub(crate) fn decode_secret(
    s: &str,
    enc: SecretEncoding,
) -> Result<Zeroizing<Vec<u8>>, WebhookError> {
    match enc {
        SecretEncoding::Utf8 => Ok(Zeroizing::new(s.as_bytes().to_vec())),
        SecretEncoding::Base64 => b64_flexible(s),
        SecretEncoding::Hex => {
            let s = s.trim();
            if !s.len().is_multiple_of(2) {
                return Err(WebhookError::InvalidSecret("hex secret has an odd length"));
            }
            let mut out = Zeroizing::new(vec![0u8; s.len() / 2]);
            for (i, pair) in s.as_bytes().chunks(2).enumerate() {
                out[i] = (hex_val(pair[0])
                    .ok_or(WebhookError::InvalidSecret("secret is not hex"))?
                    << 4)
                    | hex_val(pair[1]).ok_or(WebhookError::InvalidSecret("secret is not hex"))?;
            }
            Ok(out)
        }
    }
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

/// A MAC written as the scheme writes signatures.
pub(crate) fn encode_signature(encoding: Encoding, mac: &[u8]) -> String {
    match encoding {
        Encoding::Hex => mac.iter().map(|b| format!("{b:02x}")).collect(),
        Encoding::Base64 => STANDARD.encode(mac),
    }
}

/// Parse a timestamp header: decimal digits only (no sign, no fraction, no spaces), no overflow.
pub(crate) fn parse_timestamp(header: &'static str, raw: &[u8]) -> Result<i64, WebhookError> {
    let malformed = |reason| WebhookError::MalformedHeader {
        header: header.into(),
        reason,
    };
    if raw.is_empty() || raw.len() > 19 || !raw.iter().all(u8::is_ascii_digit) {
        return Err(malformed("timestamp must be decimal integer seconds"));
    }
    raw.iter()
        .try_fold(0i64, |acc, d| {
            acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })
        .ok_or(malformed("timestamp out of range"))
}

/// The replay window, inclusive and overflow-free.
pub(crate) fn check_window(
    timestamp: i64,
    now: i64,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let tol = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let skew = (i128::from(now) - i128::from(timestamp)).unsigned_abs();
    if skew > tol as u128 {
        return Err(WebhookError::TimestampOutOfTolerance { timestamp, now });
    }
    Ok(())
}

/// Look a header up (names are case-insensitive in `HeaderMap`); absent → its own error.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h [u8], WebhookError> {
    headers
        .get(name)
        .map(|v| v.as_bytes())
        .ok_or_else(|| WebhookError::MissingHeader(name.to_string()))
}

/// Set a header a signer writes; a name or value HTTP cannot carry is an error, not a panic.
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

/// A piece of a signed-content template.
pub(crate) enum Part<'a> {
    Literal(&'a str),
    Body,
    Timestamp,
    Id,
    Header(&'a str),
    Url,
    Form,
}

/// The pieces of a template over `{body}`, `{timestamp}`, `{id}`, `{header:Name}`, `{url}` and
/// `{form}`; anything else in braces is literal text.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_strict_decimal() {
        assert_eq!(parse_timestamp("t", b"1614265330").unwrap(), 1614265330);
        for bad in [
            &b"+123"[..],
            b"-1",
            b"1.0",
            b"",
            b" 1",
            b"99999999999999999999",
            b"9223372036854775808",
            b"\xff",
        ] {
            assert!(parse_timestamp("t", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_timestamp("t", b"9223372036854775807").unwrap(),
            i64::MAX
        );
    }

    #[test]
    fn window_is_inclusive_and_overflow_free() {
        let tol = Duration::from_secs(300);
        assert!(check_window(1000, 1300, tol).is_ok());
        assert!(check_window(1000, 1301, tol).is_err());
        assert!(check_window(1000, 700, tol).is_ok());
        assert!(check_window(1000, 699, tol).is_err());
        assert!(check_window(i64::MAX, i64::MIN, tol).is_err());
        assert!(check_window(0, 0, Duration::MAX).is_ok());
    }

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
    }
}
