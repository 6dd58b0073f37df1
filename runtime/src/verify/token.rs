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

use super::keys::{Key, KeySet};
use super::{check_window, header, parse_timestamp, WebhookError};
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
    pub(crate) fn verify(
        &self,
        keys: &KeySet,
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
        for key in keys.iter() {
            let Key::Aes(k) = key else { continue };
            let Some(plain) = self.decrypt(k, &bytes) else {
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

    pub(crate) fn sign(&self, keys: &KeySet, timestamp: i64) -> Result<HeaderMap, WebhookError> {
        let Some(Key::Aes(key)) = keys.iter().next() else {
            return Err(WebhookError::InvalidSecret("no secret to sign with"));
        };
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
        super::hmac_scheme::insert(&mut headers, &self.header, &text)?;
        Ok(headers)
    }
}
