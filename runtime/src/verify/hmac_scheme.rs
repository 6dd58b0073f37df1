//! One parametrised HMAC scheme: ROOMZ, RoostSync, GitHub, Stripe, Slack and Shopify are each
//! a few lines of configuration of it.

use std::time::Duration;

use http::HeaderMap;
use serde::Deserialize;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, SignInputs, Signed, Signing, SIGN_DOC};
use super::primitives::{
    check_window, encode_signature, header, insert, parse_timestamp, parts, signature_matches,
    Algorithm, Encoding, KeyedMac, Part, SecretEncoding,
};

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

/// Values the template refers to, gathered from one delivery.
struct Template<'a> {
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

    fn check(&self, keys: &[KeyedMac], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        let Delivery {
            headers,
            body,
            url,
            now,
            tolerance,
        } = *delivery;
        if url.is_none() && self.needs_url() {
            return Err(WebhookError::UrlRequired);
        }
        let (_, raw) = self.signature_header(headers)?;
        let mut timestamp = None;
        if let Some(h) = &self.timestamp_header {
            timestamp = Some(header(headers, h)?);
        }
        let id = match &self.id_header {
            Some(h) => Some(header(headers, h)?),
            None => None,
        };
        let mut candidates: Vec<&[u8]> = Vec::new();
        match self.format {
            HeaderFormat::Plain => {
                let value = raw.trim_ascii();
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
                    let pair = pair.trim_ascii();
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
        let signed = Template {
            body,
            url,
            timestamp,
            id,
            headers: Some(headers),
        };
        for mac in keys.iter().cloned() {
            let (expected, n) = self.compute(mac, &signed);
            for c in &candidates {
                if self.matches(c, &expected[..n]) {
                    return Ok(());
                }
            }
        }
        Err(WebhookError::SignatureMismatch)
    }

    fn compute(&self, mut mac: KeyedMac, s: &Template<'_>) -> ([u8; 64], usize) {
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

    fn headers_for(&self, key: &KeyedMac, message: &Message<'_>) -> Result<HeaderMap, WebhookError> {
        let Message {
            body,
            url,
            id,
            timestamp,
        } = *message;
        if url.is_none() && self.needs_url() {
            return Err(WebhookError::UrlRequired);
        }
        let mac = key.clone();
        let ts = match self.timestamp_unit {
            TimestampUnit::Seconds => timestamp.to_string(),
            TimestampUnit::Milliseconds => timestamp.saturating_mul(1000).to_string(),
        };
        let mut headers = HeaderMap::new();
        if let (Some(h), Some(id)) = (&self.id_header, id) {
            insert(&mut headers, h, id)?;
        }
        let signed = Template {
            body,
            url,
            timestamp: self.has_timestamp().then_some(ts.as_bytes()),
            id: id.map(str::as_bytes),
            headers: Some(&headers),
        };
        let (out, n) = self.compute(mac, &signed);
        let sig = encode_signature(self.encoding, &out[..n]);
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

impl SchemeFamily for HmacScheme {
    type Key = KeyedMac;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        KeyedMac::from_secret(self.algorithm, secret, self.secret_encoding)
    }

    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        self.check(keys, delivery)
    }

    fn sign(&self, key: &Self::Key, message: &Message<'_>) -> Result<Signed, WebhookError> {
        self.headers_for(key, message).map(Signed::headers)
    }

    fn required_headers(&self) -> Vec<String> {
        let mut names = vec![self.header.to_ascii_lowercase()];
        names.extend(self.timestamp_header.iter().map(|t| t.to_ascii_lowercase()));
        names
    }

    fn tolerance(&self) -> Option<Duration> {
        self.has_timestamp()
            .then(|| Duration::from_secs(self.tolerance_seconds))
    }

    fn needs_url(&self) -> bool {
        HmacScheme::needs_url(self)
    }

    fn describe(&self) -> String {
        let alg = format!("{:?}", self.algorithm).to_uppercase();
        let mut doc = format!(
            "Scheme: HMAC-{alg} of `{}`, {:?}-encoded in the `{}` header",
            self.signed_content.replace('`', "'"),
            self.encoding,
            self.header
        );
        if !self.alternate_headers.is_empty() {
            let names = self.alternate_headers.join("`, `");
            doc.push_str(&format!(" (also accepted as `{names}`)"));
        }
        if let Some(p) = &self.prefix {
            doc.push_str(&format!(", after the prefix `{p}`"));
        }
        doc.push('.');
        if !self.has_timestamp() {
            doc.push_str(
                " The scheme has no timestamp, so it cannot reject replays: deduplicate by event id.",
            );
        }
        doc
    }

    fn label(&self) -> String {
        format!("hmac-{:?} ({})", self.algorithm, self.header)
            .to_lowercase()
            .replace(&self.header.to_lowercase(), &self.header)
    }

    fn signing(&self) -> Option<Signing> {
        let inputs = if HmacScheme::needs_url(self) {
            SignInputs::UrlBody
        } else if self.has_timestamp() {
            SignInputs::BodyTimestamp
        } else {
            SignInputs::Body
        };
        Some(Signing {
            inputs,
            doc: SIGN_DOC,
        })
    }

    /// `HmacScheme::new(header)` and a builder call for each setting that is not the default.
    fn construct(&self) -> Code {
        let HmacScheme {
            algorithm,
            header,
            alternate_headers,
            encoding,
            prefix,
            signed_content,
            format,
            signature_key,
            timestamp_key,
            separator,
            timestamp_header,
            id_header,
            tolerance_seconds,
            secret_encoding,
            timestamp_unit,
        } = self;
        let default = HmacScheme::new(header.clone());
        let text = |s: &String| Code::Text(s.clone());
        let mut code = Code::member("HmacScheme", "new").call(vec![text(header)]);
        if *algorithm != default.algorithm {
            code = code.method("algorithm", vec![Code::variant("Algorithm", algorithm)]);
        }
        for alt in alternate_headers {
            code = code.method("alternate_header", vec![text(alt)]);
        }
        if *encoding != default.encoding {
            code = code.method("encoding", vec![Code::variant("Encoding", encoding)]);
        }
        if let Some(p) = prefix {
            code = code.method("prefix", vec![text(p)]);
        }
        if *signed_content != default.signed_content {
            code = code.method("signed_content", vec![text(signed_content)]);
        }
        if *format == HeaderFormat::KeyValue {
            let signatures = Code::Text(signature_key.clone().unwrap_or_else(|| "v1".into()));
            code = match timestamp_key {
                Some(t) => code.method("key_value", vec![signatures, text(t)]),
                None => code.method("key_value_signatures", vec![signatures]),
            };
            if *separator != default.separator {
                code = code.method("separator", vec![text(separator)]);
            }
        }
        if let Some(t) = timestamp_header {
            code = code.method("timestamp_header", vec![text(t)]);
        }
        if let Some(i) = id_header {
            code = code.method("id_header", vec![text(i)]);
        }
        if *tolerance_seconds != default.tolerance_seconds {
            code = code.method("tolerance", vec![Code::Int(*tolerance_seconds)]);
        }
        if *timestamp_unit != default.timestamp_unit {
            let unit = Code::variant("TimestampUnit", timestamp_unit);
            code = code.method("timestamp_unit", vec![unit]);
        }
        if *secret_encoding != default.secret_encoding {
            let e = Code::variant("SecretEncoding", secret_encoding);
            code = code.method("secret_encoding", vec![e]);
        }
        code
    }
}

/// The parameters of a form body (`a=1&b=x+y`), decoded, sorted by name then value, each
/// distinct pair once: what Twilio signs after the URL.
fn sorted_form(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = crate::wire::form_pairs(body).collect();
    pairs.sort();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_with_multi_byte_literals_signs() {
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
