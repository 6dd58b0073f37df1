//! Public-key signatures in a header: ECDSA P-256 (SendGrid: base64 DER over
//! `{timestamp}{body}`), RSA PKCS#1 v1.5 with SHA-256, and Ed25519. The "secret" is the vendor's
//! public key, as PEM or base64 DER (SubjectPublicKeyInfo); ring does the verification.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, Signed, Signing};
use super::pem::{der_of, spki_key};
use super::primitives::{check_window, header, parse_timestamp, parts, Encoding, Part};

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
    fn public_key(&self, text: &str) -> Result<PublicKey, WebhookError> {
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

    fn check(&self, keys: &[PublicKey], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        let Delivery {
            headers,
            body,
            now,
            tolerance,
            ..
        } = *delivery;
        let raw = header(headers, &self.header)?;
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
                let raw = header(headers, h)?;
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

impl SchemeFamily for PublicKeyScheme {
    type Key = PublicKey;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        self.public_key(secret)
    }

    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        self.check(keys, delivery)
    }

    fn sign(&self, _: &Self::Key, _: &Message<'_>) -> Result<Signed, WebhookError> {
        Err(WebhookError::InvalidSecret("a public key cannot sign"))
    }

    fn required_headers(&self) -> Vec<String> {
        let mut names = vec![self.header.to_ascii_lowercase()];
        names.extend(self.timestamp_header.iter().map(|t| t.to_ascii_lowercase()));
        names
    }

    fn tolerance(&self) -> Option<Duration> {
        self.timestamp_header
            .is_some()
            .then(|| Duration::from_secs(self.tolerance_seconds))
    }

    fn describe(&self) -> String {
        format!(
            "Scheme: a {:?} signature in the `{}` header over `{}`, checked with the vendor's \
             public key (give it where other vendors take a secret).",
            self.algorithm, self.header, self.signed_content
        )
    }

    fn label(&self) -> String {
        format!("{:?} ({})", self.algorithm, self.header)
            .to_lowercase()
            .replace(&self.header.to_lowercase(), &self.header)
    }

    fn signing(&self) -> Option<Signing> {
        None
    }

    fn construct(&self) -> Code {
        let PublicKeyScheme {
            algorithm,
            header,
            encoding,
            prefix,
            signed_content,
            timestamp_header,
            tolerance_seconds,
        } = self;
        Code::Struct(
            "PublicKeyScheme",
            vec![
                ("algorithm", Code::variant("PublicKeyAlgorithm", algorithm)),
                ("header", Code::Owned(header.clone())),
                ("encoding", Code::variant("Encoding", encoding)),
                ("prefix", Code::owned_option(prefix)),
                ("signed_content", Code::Owned(signed_content.clone())),
                ("timestamp_header", Code::owned_option(timestamp_header)),
                ("tolerance_seconds", Code::Int(*tolerance_seconds)),
            ],
        )
    }
}
