//! Standard Webhooks (<https://www.standardwebhooks.com/>): what Roam (and Svix) send.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, Verifier as _};
use http::HeaderMap;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::hmac_scheme::insert;
use super::keys::{Key, KeySet};
use super::{check_window, header, parse_timestamp, WebhookError};

const ID: &str = "webhook-id";
const TIMESTAMP: &str = "webhook-timestamp";
const SIGNATURE: &str = "webhook-signature";

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
        let id = header(headers, ID)?;
        let ts_raw = header(headers, TIMESTAMP)?;
        let sigs = header(headers, SIGNATURE)?;
        let ts = parse_timestamp(TIMESTAMP, ts_raw)?;
        check_window(ts, now, tolerance)?;

        let mut any = false;
        // One MAC per key, compared against every `v1` signature in the header.
        let mut macs: Vec<([u8; 64], usize)> = Vec::with_capacity(keys.len());
        for mac in keys.macs() {
            let mut m = mac.clone();
            m.update(id);
            m.update(b".");
            m.update(ts_raw);
            m.update(b".");
            m.update(body);
            macs.push(m.finish());
        }
        for item in sigs.split(|b| *b == b' ') {
            let Some(comma) = item.iter().position(|b| *b == b',') else {
                continue;
            };
            let (version, sig) = (&item[..comma], &item[comma + 1..]);
            let mut buf = [0u8; 96];
            if sig.len() > 128 {
                continue;
            }
            let Ok(n) = STANDARD.decode_slice(sig, &mut buf) else {
                continue;
            };
            let decoded = &buf[..n];
            match version {
                b"v1" => {
                    any = true;
                    if macs
                        .iter()
                        .any(|(m, len)| *len == n && bool::from(m[..*len].ct_eq(decoded)))
                    {
                        return Ok(());
                    }
                }
                b"v1a" => {
                    any = true;
                    if self.verify_ed25519(keys, id, ts_raw, body, decoded) {
                        return Ok(());
                    }
                }
                _ => {}
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
            Key::Mac(mac) => {
                let mut m = mac.clone();
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
