//! Secrets, decoded once per verifier into ready-to-use key material.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::hmac_scheme::{Algorithm, SecretEncoding};
use super::token::KeyDerivation;
use super::{Scheme, WebhookError};
use crate::wire::hex_val;

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

/// One configured secret in the form its scheme needs; everything derived from a secret is
/// wiped on drop.
pub(crate) enum Key {
    Mac(KeyedMac),
    Ed25519Public(ed25519_dalek::VerifyingKey),
    Ed25519Secret(Box<ed25519_dalek::SigningKey>),
    Aes(Zeroizing<Vec<u8>>),
    Jwt(Box<super::jwt_scheme::JwtKey>),
    Public(super::public_key::PublicKey),
    /// A secret compared verbatim (shared-secret schemes).
    Raw(Zeroizing<Vec<u8>>),
}

pub(crate) struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    pub fn empty() -> Self {
        KeySet { keys: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter()
    }

    /// The JWT keys.
    pub fn jwt(&self) -> Vec<&super::jwt_scheme::JwtKey> {
        self.keys
            .iter()
            .filter_map(|k| match k {
                Key::Jwt(j) => Some(j.as_ref()),
                _ => None,
            })
            .collect()
    }

    /// The secrets compared verbatim.
    pub fn raw(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().filter_map(|k| match k {
            Key::Raw(bytes) => Some(bytes.as_slice()),
            _ => None,
        })
    }

    /// The public keys.
    pub fn public(&self) -> Vec<&super::public_key::PublicKey> {
        self.keys
            .iter()
            .filter_map(|k| match k {
                Key::Public(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// A copy of each secret's pre-keyed HMAC, ready for one message.
    pub fn macs(&self) -> impl Iterator<Item = KeyedMac> + '_ {
        self.keys.iter().filter_map(|k| match k {
            Key::Mac(mac) => Some(mac.clone()),
            _ => None,
        })
    }

    pub fn new<I, S>(scheme: &Scheme, secrets: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut keys = Vec::new();
        for s in secrets {
            let s = s.as_ref();
            if s.is_empty() {
                return Err(WebhookError::InvalidSecret("secret is empty"));
            }
            keys.push(match scheme {
                Scheme::StandardWebhooks(_) => standard_webhooks_key(s)?,
                Scheme::Hmac(h) => {
                    let bytes = decode_secret(s, h.secret_encoding)?;
                    Key::Mac(KeyedMac::new(h.algorithm, &bytes))
                }
                Scheme::EncryptedToken(t) => Key::Aes(derive_aes_key(s, t.key_derivation)?),
                Scheme::Jwt(j) => Key::Jwt(Box::new(j.key(s)?)),
                Scheme::SharedSecret(_) => Key::Raw(Zeroizing::new(s.as_bytes().to_vec())),
                Scheme::PublicKey(p) => Key::Public(p.key(s)?),
                Scheme::BodySignature(b) => Key::Mac(KeyedMac::new(
                    b.algorithm,
                    &decode_secret(s, b.secret_encoding)?,
                )),
                Scheme::None => {
                    return Err(WebhookError::InvalidSecret("this scheme takes no secret"))
                }
            });
        }
        if keys.is_empty() {
            return Err(WebhookError::InvalidSecret("no secret given"));
        }
        Ok(KeySet { keys })
    }
}

/// `whsec_<base64>` (prefix optional, padding optional) for v1; `whpk_`/`whsk_` for v1a (Ed25519).
fn standard_webhooks_key(s: &str) -> Result<Key, WebhookError> {
    if let Some(b64) = s.strip_prefix("whpk_") {
        let bytes = b64_flexible(b64)?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| WebhookError::InvalidSecret("Ed25519 public key must be 32 bytes"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map_err(|_| WebhookError::InvalidSecret("not an Ed25519 public key"))?;
        return Ok(Key::Ed25519Public(key));
    }
    if let Some(b64) = s.strip_prefix("whsk_") {
        let bytes = b64_flexible(b64)?;
        let arr: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| WebhookError::InvalidSecret("Ed25519 secret key must be 32 bytes"))?,
        );
        return Ok(Key::Ed25519Secret(Box::new(
            ed25519_dalek::SigningKey::from_bytes(&arr),
        )));
    }
    let bytes = b64_flexible(s.strip_prefix("whsec_").unwrap_or(s))?;
    Ok(Key::Mac(KeyedMac::new(Algorithm::Sha256, &bytes)))
}

fn b64_flexible(s: &str) -> Result<Zeroizing<Vec<u8>>, WebhookError> {
    let decoded = STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s.trim_end_matches('=')))
        .map_err(|_| WebhookError::InvalidSecret("secret is not valid base64"))?;
    if decoded.is_empty() {
        return Err(WebhookError::InvalidSecret("secret decodes to no bytes"));
    }
    Ok(Zeroizing::new(decoded))
}

fn decode_secret(s: &str, enc: SecretEncoding) -> Result<Zeroizing<Vec<u8>>, WebhookError> {
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
