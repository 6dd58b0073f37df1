//! Standard Webhooks (<https://www.standardwebhooks.com/>): what Roam (and Svix) send.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, Verifier as _};
use http::{HeaderMap, HeaderName};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::hmac_scheme::insert;
use super::keys::{Key, KeySet};
use super::{check_window, parse_timestamp, WebhookError};

const ID: &str = "webhook-id";
const TIMESTAMP: &str = "webhook-timestamp";
const SIGNATURE: &str = "webhook-signature";
// Pre-parsed names: looking a `HeaderName` up skips parsing the string on every request.
static ID_NAME: HeaderName = HeaderName::from_static(ID);
static TIMESTAMP_NAME: HeaderName = HeaderName::from_static(TIMESTAMP);
static SIGNATURE_NAME: HeaderName = HeaderName::from_static(SIGNATURE);

/// Standard Webhooks: HMAC-SHA256 (`v1`) or Ed25519 (`v1a`) over `{id}.{timestamp}.{body}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StandardWebhooks {
    /// Replay window in seconds, inclusive (default 300).
    #[serde(default = "default_tolerance", rename = "tolerance")]
    pub tolerance_seconds: u64,
}

fn default_tolerance() -> u64 {
    300
}

impl Default for StandardWebhooks {
    fn default() -> Self {
        StandardWebhooks {
            tolerance_seconds: default_tolerance(),
        }
    }
}

impl StandardWebhooks {
    pub(crate) fn verify(
        &self,
        keys: &KeySet,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        let id = header_named(headers, &ID_NAME, ID)?;
        let ts_raw = header_named(headers, &TIMESTAMP_NAME, TIMESTAMP)?;
        let sigs = header_named(headers, &SIGNATURE_NAME, SIGNATURE)?;
        let ts = parse_timestamp(TIMESTAMP, ts_raw)?;
        check_window(ts, now, tolerance)?;

        let mut any = false;
        // Keys outer, signatures inner: one MAC per key, no allocation; rotation is rare and
        // re-splitting a header is cheap.
        for mut m in keys.macs() {
            m.update(id);
            m.update(b".");
            m.update(ts_raw);
            m.update(b".");
            m.update(body);
            let (mac, len) = m.finish();
            for (version, decoded) in signatures(sigs) {
                any = true;
                if version == Version::V1
                    && decoded.len() == len
                    && bool::from(mac[..len].ct_eq(decoded.as_slice()))
                {
                    return Ok(());
                }
            }
        }
        for (version, decoded) in signatures(sigs) {
            any = true;
            if version == Version::V1a
                && self.verify_ed25519(keys, id, ts_raw, body, decoded.as_slice())
            {
                return Ok(());
            }
        }
        if !any {
            return Err(WebhookError::MalformedHeader {
                header: SIGNATURE.into(),
                reason: "no v1 or v1a signature",
            });
        }
        Err(WebhookError::SignatureMismatch)
    }

    fn verify_ed25519(&self, keys: &KeySet, id: &[u8], ts: &[u8], body: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        let mut msg = Vec::with_capacity(id.len() + ts.len() + body.len() + 2);
        msg.extend_from_slice(id);
        msg.push(b'.');
        msg.extend_from_slice(ts);
        msg.push(b'.');
        msg.extend_from_slice(body);
        keys.iter().any(|k| match k {
            Key::Ed25519Public(pk) => pk.verify(&msg, &sig).is_ok(),
            Key::Ed25519Secret(sk) => sk.verifying_key().verify(&msg, &sig).is_ok(),
            _ => false,
        })
    }

    pub(crate) fn sign(
        &self,
        keys: &KeySet,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<HeaderMap, WebhookError> {
        let ts = timestamp.to_string();
        let key = keys
            .iter()
            .next()
            .ok_or(WebhookError::InvalidSecret("no secret to sign with"))?;
        let sig = match key {
            Key::Mac(alg, key) => {
                let mut m = super::keys::KeyedMac::new(*alg, key);
                for part in [id.as_bytes(), b".", ts.as_bytes(), b".", body] {
                    m.update(part);
                }
                let (out, n) = m.finish();
                format!("v1,{}", STANDARD.encode(&out[..n]))
            }
            Key::Ed25519Secret(sk) => {
                let msg = [id.as_bytes(), b".", ts.as_bytes(), b".", body].concat();
                format!("v1a,{}", STANDARD.encode(sk.sign(&msg).to_bytes()))
            }
            _ => return Err(WebhookError::InvalidSecret("a public key cannot sign")),
        };
        let mut headers = HeaderMap::new();
        insert(&mut headers, ID, id)?;
        insert(&mut headers, TIMESTAMP, &ts)?;
        insert(&mut headers, SIGNATURE, &sig)?;
        Ok(headers)
    }
}

fn header_named<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
    text: &str,
) -> Result<&'h [u8], WebhookError> {
    headers
        .get(name)
        .map(|v| v.as_bytes())
        .ok_or_else(|| WebhookError::MissingHeader(text.to_string()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V1a,
}

/// A decoded signature on the stack.
struct Decoded {
    buf: [u8; 96],
    len: usize,
}

impl Decoded {
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    fn len(&self) -> usize {
        self.len
    }
}

/// The `v1`/`v1a` signatures of a `webhook-signature` header, decoded; unknown versions,
/// empty items and undecodable values are skipped.
fn signatures(header: &[u8]) -> impl Iterator<Item = (Version, Decoded)> + '_ {
    header.split(|b| *b == b' ').filter_map(|item| {
        let comma = item.iter().position(|b| *b == b',')?;
        let version = match &item[..comma] {
            b"v1" => Version::V1,
            b"v1a" => Version::V1a,
            _ => return None,
        };
        let sig = &item[comma + 1..];
        if sig.len() > 128 {
            return None;
        }
        let mut buf = [0u8; 96];
        let len = STANDARD.decode_slice(sig, &mut buf).ok()?;
        Some((version, Decoded { buf, len }))
    })
}
