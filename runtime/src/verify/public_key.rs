//! Public-key signatures in a header: ECDSA P-256 (SendGrid: base64 DER over
//! `{timestamp}{body}`), RSA PKCS#1 v1.5 with SHA-256, and Ed25519. The "secret" is the vendor's
//! public key, as PEM or base64 DER (SubjectPublicKeyInfo); ring does the verification.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use http::HeaderMap;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;

use super::hmac_scheme::{parts, Encoding, Part};
use super::{check_window, parse_timestamp, WebhookError};

/// The signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublicKeyAlgorithm {
    /// ECDSA over P-256 with SHA-256, the signature DER-encoded (ASN.1).
    EcdsaP256Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (2048 to 8192-bit keys).
    RsaPkcs1Sha256,
    /// Ed25519.
    Ed25519,
}

impl PublicKeyAlgorithm {
    fn ring(self) -> &'static dyn VerificationAlgorithm {
        match self {
            PublicKeyAlgorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            PublicKeyAlgorithm::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            PublicKeyAlgorithm::Ed25519 => &signature::ED25519,
        }
    }
}

/// A signature made with the vendor's private key, checked with its public key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicKeyScheme {
    /// The signature algorithm.
    pub algorithm: PublicKeyAlgorithm,
    /// The header carrying the signature.
    pub header: String,
    /// How the signature bytes are written (default base64).
    #[serde(default = "base64_encoding")]
    pub encoding: Encoding,
    /// Text before the signature.
    #[serde(default)]
    pub prefix: Option<String>,
    /// What is signed: a template over `{body}`, `{timestamp}` and `{header:Name}`.
    #[serde(default = "body_template")]
    pub signed_content: String,
    /// A header carrying the timestamp (SendGrid: `X-Twilio-Email-Event-Webhook-Timestamp`).
    #[serde(default)]
    pub timestamp_header: Option<String>,
    /// Replay window in seconds, inclusive, where there is a timestamp.
    #[serde(default = "default_tolerance", rename = "tolerance")]
    pub tolerance_seconds: u64,
}

fn base64_encoding() -> Encoding {
    Encoding::Base64
}

fn body_template() -> String {
    "{body}".into()
}

fn default_tolerance() -> u64 {
    300
}

/// A parsed public key: the bytes ring wants for the algorithm.
pub(crate) struct PublicKey {
    bytes: Vec<u8>,
}

impl PublicKeyScheme {
    pub(crate) fn key(&self, text: &str) -> Result<PublicKey, WebhookError> {
        let der = der_of(text)?;
        // A SubjectPublicKeyInfo carries the key in its BIT STRING; a bare key is used as given
        // (a PKCS#1 RSA key, a raw 32-byte Ed25519 key).
        let bytes = spki_key(&der).map(<[u8]>::to_vec).unwrap_or(der);
        let plausible = match self.algorithm {
            PublicKeyAlgorithm::EcdsaP256Sha256 => bytes.len() == 65 && bytes[0] == 4,
            PublicKeyAlgorithm::Ed25519 => bytes.len() == 32,
            PublicKeyAlgorithm::RsaPkcs1Sha256 => bytes.first() == Some(&0x30),
        };
        if !plausible {
            return Err(WebhookError::InvalidSecret(
                "the key is not a public key of the declared algorithm",
            ));
        }
        Ok(PublicKey { bytes })
    }

    pub(crate) fn verify(
        &self,
        keys: &[&PublicKey],
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        let raw = super::header(headers, &self.header)?;
        let raw = raw.trim_ascii();
        let raw = match &self.prefix {
            Some(p) => raw
                .strip_prefix(p.as_bytes())
                .ok_or(WebhookError::MalformedHeader {
                    header: self.header.clone(),
                    reason: "signature lacks the expected prefix",
                })?,
            None => raw,
        };
        let signature = match self.encoding {
            Encoding::Base64 => STANDARD.decode(raw).ok(),
            Encoding::Hex => hex(raw),
        }
        .filter(|s| s.len() <= 1024)
        .ok_or(WebhookError::MalformedHeader {
            header: self.header.clone(),
            reason: "the signature cannot be decoded",
        })?;
        let timestamp = match &self.timestamp_header {
            Some(h) => {
                let raw = super::header(headers, h)?;
                check_window(parse_timestamp("timestamp", raw)?, now, tolerance)?;
                Some(raw)
            }
            None => None,
        };
        let mut message = Vec::with_capacity(body.len() + 32);
        for part in parts(&self.signed_content) {
            match part {
                Part::Literal(l) => message.extend_from_slice(l.as_bytes()),
                Part::Body => message.extend_from_slice(body),
                Part::Timestamp => message.extend_from_slice(timestamp.unwrap_or_default()),
                Part::Id | Part::Url | Part::Form => {}
                Part::Header(h) => {
                    if let Some(v) = headers.get(h) {
                        message.extend_from_slice(v.as_bytes());
                    }
                }
            }
        }
        let ok = keys.iter().any(|k| {
            UnparsedPublicKey::new(self.algorithm.ring(), &k.bytes)
                .verify(&message, &signature)
                .is_ok()
        });
        if ok {
            Ok(())
        } else {
            Err(WebhookError::SignatureMismatch)
        }
    }
}

fn hex(raw: &[u8]) -> Option<Vec<u8>> {
    if !raw.len().is_multiple_of(2) {
        return None;
    }
    raw.chunks(2)
        .map(|p| Some((crate::wire::hex_val(p[0])? << 4) | crate::wire::hex_val(p[1])?))
        .collect()
}

/// PEM (any `-----BEGIN ...-----` block) or base64 DER → DER bytes.
fn der_of(text: &str) -> Result<Vec<u8>, WebhookError> {
    let text = text.trim();
    let b64: String = if text.starts_with("-----BEGIN") {
        text.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat()
    } else {
        text.split_whitespace().collect()
    };
    STANDARD
        .decode(&b64)
        .or_else(|_| STANDARD_NO_PAD.decode(b64.trim_end_matches('=')))
        .ok()
        .filter(|d| !d.is_empty())
        .ok_or(WebhookError::InvalidSecret(
            "expected a public key, as PEM or base64 DER",
        ))
}

/// A public key as PEM text, whichever of PEM or base64 DER (SubjectPublicKeyInfo) it came in.
pub(crate) fn as_pem(text: &str) -> Result<String, WebhookError> {
    if text.trim().starts_with("-----BEGIN") {
        return Ok(text.trim().to_string());
    }
    let der = der_of(text)?;
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    ))
}

/// One DER element: (tag, contents, the rest after it). Lengths up to four bytes.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The subjectPublicKey of a SubjectPublicKeyInfo, if `der` is one.
fn spki_key(der: &[u8]) -> Option<&[u8]> {
    let (0x30, spki, _) = tlv(der)? else {
        return None;
    };
    let (0x30, _algorithm, rest) = tlv(spki)? else {
        return None;
    };
    let (0x03, bits, _) = tlv(rest)? else {
        return None;
    };
    match bits.split_first()? {
        (0, key) => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_der_never_panics() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x02, 0x30],
        ] {
            assert!(spki_key(input).is_none());
        }
    }
}
