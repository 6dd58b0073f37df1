//! Roomle's authentication: a token in a header, AES-CBC encrypted (PKCS#5/7) under the secret.
//!
//! Roomle publishes only "AES CBC PKCS5": the header name, token encoding, key derivation, IV
//! handling and plaintext are unknown, so each is a parameter with a documented default.
//!
//! **This scheme does not protect the body.** A valid token proves the sender knows the
//! secret, nothing more: a captured token can be replayed with another body. CBC without a MAC
//! is also malleable: whoever holds a token can flip bits of its plaintext through the IV, so
//! an expected plaintext only narrows what passes. Every failure
//! (bad encoding, bad padding, wrong key, wrong plaintext) is the same error, so the
//! verifier is no padding oracle.

use std::time::Duration;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use zeroize::Zeroizing;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, SignInputs, Signed, Signing};
use super::primitives::{b64_flexible, check_window, header, insert, parse_timestamp};
use crate::wire::hex_val;

/// How the token text encodes its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenEncoding {
    /// Standard base64 (default).
    #[default]
    Base64,
    /// Hexadecimal.
    Hex,
}

/// How the secret becomes an AES key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeyDerivation {
    /// AES-256 with key = SHA-256(secret) (default).
    #[default]
    Sha256,
    /// The secret's bytes are the key (16, 24 or 32 bytes).
    Raw,
    /// The secret is a base64 key (16, 24 or 32 bytes).
    Base64,
}

/// Where the IV comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TokenIv {
    /// The first 16 bytes of the decoded token (default).
    #[default]
    Prefix,
    /// An all-zero IV.
    Zero,
}

/// What the decrypted plaintext must be.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum TokenPlaintext {
    /// Any plaintext that decrypts with valid padding (default: all Roomle documents promise).
    #[default]
    Any,
    /// Exactly this text.
    Exact(String),
    /// Decimal unix seconds, checked against the replay window.
    UnixTimestamp,
}

/// Roomle's encrypted-token scheme.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenScheme {
    /// Header carrying the token (default `X-Roomle-Token`: unknown, configure the real one).
    #[serde(default = "default_header")]
    pub header: String,
    /// Token encoding.
    #[serde(default)]
    pub encoding: TokenEncoding,
    /// Key derivation.
    #[serde(default)]
    pub key_derivation: KeyDerivation,
    /// IV handling.
    #[serde(default)]
    pub iv: TokenIv,
    /// Expected plaintext.
    #[serde(default)]
    pub plaintext: TokenPlaintext,
    /// Replay window in seconds when the plaintext is a timestamp.
    #[serde(default = "default_tolerance", rename = "tolerance")]
    pub tolerance_seconds: u64,
}

fn default_header() -> String {
    "X-Roomle-Token".into()
}

fn default_tolerance() -> u64 {
    300
}

impl Default for TokenScheme {
    fn default() -> Self {
        TokenScheme {
            header: default_header(),
            encoding: TokenEncoding::default(),
            key_derivation: KeyDerivation::default(),
            iv: TokenIv::default(),
            plaintext: TokenPlaintext::default(),
            tolerance_seconds: default_tolerance(),
        }
    }
}

/// Longest token accepted (bytes of header text); longer is refused before decoding.
const MAX_TOKEN: usize = 4096;

impl TokenScheme {
    fn check(
        &self,
        keys: &[Zeroizing<Vec<u8>>],
        headers: &HeaderMap,
        now: i64,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        let raw = header(headers, &self.header)?;
        let fail = || WebhookError::SignatureMismatch;
        if raw.len() > MAX_TOKEN {
            return Err(fail());
        }
        let bytes = self.decode(raw).ok_or_else(fail)?;
        for key in keys {
            let Some(plain) = self.decrypt(key, &bytes) else {
                continue;
            };
            match &self.plaintext {
                TokenPlaintext::Any => return Ok(()),
                TokenPlaintext::Exact(want) => {
                    if plain.len() == want.len()
                        && bool::from(plain.as_slice().ct_eq(want.as_bytes()))
                    {
                        return Ok(());
                    }
                }
                TokenPlaintext::UnixTimestamp => {
                    let Ok(ts) = parse_timestamp("token", &plain) else {
                        continue;
                    };
                    check_window(ts, now, tolerance)?;
                    return Ok(());
                }
            }
        }
        Err(fail())
    }

    fn decode(&self, raw: &[u8]) -> Option<Vec<u8>> {
        let raw = raw.trim_ascii();
        match self.encoding {
            TokenEncoding::Base64 => STANDARD.decode(raw).ok(),
            TokenEncoding::Hex => {
                if !raw.len().is_multiple_of(2) {
                    return None;
                }
                raw.chunks(2)
                    .map(|p| Some((hex_val(p[0])? << 4) | hex_val(p[1])?))
                    .collect()
            }
        }
    }

    fn decrypt(&self, key: &[u8], token: &[u8]) -> Option<Vec<u8>> {
        let (iv, ct): ([u8; 16], &[u8]) = match self.iv {
            TokenIv::Prefix => (token.get(..16)?.try_into().ok()?, &token[16..]),
            TokenIv::Zero => ([0u8; 16], token),
        };
        if ct.is_empty() || ct.len() % 16 != 0 {
            return None;
        }
        macro_rules! dec {
            ($aes:ty) => {
                cbc::Decryptor::<$aes>::new_from_slices(key, &iv)
                    .ok()?
                    .decrypt_padded_vec_mut::<Pkcs7>(ct)
                    .ok()
            };
        }
        match key.len() {
            16 => dec!(aes::Aes128),
            24 => dec!(aes::Aes192),
            32 => dec!(aes::Aes256),
            _ => None,
        }
    }

    fn token_headers(&self, key: &[u8], timestamp: i64) -> Result<HeaderMap, WebhookError> {
        let plain = match &self.plaintext {
            TokenPlaintext::Exact(s) => s.clone(),
            TokenPlaintext::Any | TokenPlaintext::UnixTimestamp => timestamp.to_string(),
        };
        // Test kit only: a deterministic IV derived from the plaintext keeps fixtures stable.
        let iv: [u8; 16] = match self.iv {
            TokenIv::Prefix => Sha256::digest(plain.as_bytes())[..16]
                .try_into()
                .unwrap_or([0; 16]),
            TokenIv::Zero => [0u8; 16],
        };
        macro_rules! enc {
            ($aes:ty) => {
                cbc::Encryptor::<$aes>::new_from_slices(key, &iv)
                    .map_err(|_| WebhookError::InvalidSecret("bad AES key"))?
                    .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes())
            };
        }
        let ct = match key.len() {
            16 => enc!(aes::Aes128),
            24 => enc!(aes::Aes192),
            _ => enc!(aes::Aes256),
        };
        let token = match self.iv {
            TokenIv::Prefix => [&iv[..], &ct].concat(),
            TokenIv::Zero => ct,
        };
        let text = match self.encoding {
            TokenEncoding::Base64 => STANDARD.encode(token),
            TokenEncoding::Hex => token.iter().map(|b| format!("{b:02x}")).collect(),
        };
        let mut headers = HeaderMap::new();
        insert(&mut headers, &self.header, &text)?;
        Ok(headers)
    }
}
/// The AES key a secret stands for, under the declared derivation.
fn derive_aes_key(s: &str, kd: KeyDerivation) -> Result<Zeroizing<Vec<u8>>, WebhookError> {
    match kd {
        KeyDerivation::Sha256 => Ok(Zeroizing::new(Sha256::digest(s.as_bytes()).to_vec())),
        KeyDerivation::Raw => match s.len() {
            16 | 24 | 32 => Ok(Zeroizing::new(s.as_bytes().to_vec())),
            _ => Err(WebhookError::InvalidSecret(
                "raw AES key must be 16, 24 or 32 bytes",
            )),
        },
        KeyDerivation::Base64 => {
            let k = b64_flexible(s)?;
            match k.len() {
                16 | 24 | 32 => Ok(k),
                _ => Err(WebhookError::InvalidSecret(
                    "AES key must decode to 16, 24 or 32 bytes",
                )),
            }
        }
    }
}

impl SchemeFamily for TokenScheme {
    /// The AES key.
    type Key = Zeroizing<Vec<u8>>;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        derive_aes_key(secret, self.key_derivation)
    }

    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        self.check(keys, delivery.headers, delivery.now, delivery.tolerance)
    }

    fn sign(&self, key: &Self::Key, message: &Message<'_>) -> Result<Signed, WebhookError> {
        self.token_headers(key, message.timestamp)
            .map(Signed::headers)
    }

    fn required_headers(&self) -> Vec<String> {
        vec![self.header.to_ascii_lowercase()]
    }

    fn tolerance(&self) -> Option<Duration> {
        (self.plaintext == TokenPlaintext::UnixTimestamp)
            .then(|| Duration::from_secs(self.tolerance_seconds))
    }

    fn describe(&self) -> String {
        format!(
            "Scheme: an AES-CBC encrypted token in the `{}` header.\n\n**This scheme does not \
             protect the body.** A valid token proves only that the sender knows the secret; a \
             captured token can be replayed with any body, and CBC without a MAC lets its \
             plaintext be altered through the IV. Treat payload contents as untrusted and \
             confirm anything important through the vendor's API.",
            self.header
        )
    }

    fn label(&self) -> String {
        format!("encrypted-token ({})", self.header)
    }

    fn signing(&self) -> Option<Signing> {
        Some(Signing {
            inputs: SignInputs::Timestamp,
            doc: "Build the token header as the vendor would (test kit). The body is not involved:\n\
                  this scheme does not cover it.",
        })
    }

    fn construct(&self) -> Code {
        let TokenScheme {
            header,
            encoding,
            key_derivation,
            iv,
            plaintext,
            tolerance_seconds,
        } = self;
        let plaintext = match plaintext {
            TokenPlaintext::Exact(text) => Code::member("TokenPlaintext", "Exact")
                .call(vec![Code::Owned(text.clone())]),
            other => Code::variant("TokenPlaintext", other),
        };
        Code::Struct(
            "TokenScheme",
            vec![
                ("header", Code::Owned(header.clone())),
                ("encoding", Code::variant("TokenEncoding", encoding)),
                ("key_derivation", Code::variant("KeyDerivation", key_derivation)),
                ("iv", Code::variant("TokenIv", iv)),
                ("plaintext", plaintext),
                ("tolerance_seconds", Code::Int(*tolerance_seconds)),
            ],
        )
    }
}
