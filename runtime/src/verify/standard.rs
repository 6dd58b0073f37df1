//! Standard Webhooks (<https://www.standardwebhooks.com/>): what Roam (and Svix) send.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, Verifier as _};
use http::{HeaderMap, HeaderName};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use zeroize::Zeroizing;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, SignInputs, Signed, Signing, SIGN_DOC};
use super::primitives::{b64_flexible, check_window, insert, parse_timestamp, Algorithm, KeyedMac};

/// The names of the three headers, in one family.
struct Names {
    id: HeaderName,
    timestamp: HeaderName,
    signature: HeaderName,
}

// Pre-parsed names: looking a `HeaderName` up skips parsing the string on every request.
static WEBHOOK: Names = Names {
    id: HeaderName::from_static("webhook-id"),
    timestamp: HeaderName::from_static("webhook-timestamp"),
    signature: HeaderName::from_static("webhook-signature"),
};
static SVIX: Names = Names {
    id: HeaderName::from_static("svix-id"),
    timestamp: HeaderName::from_static("svix-timestamp"),
    signature: HeaderName::from_static("svix-signature"),
};

/// Which names the three headers carry. Verification reads either family (as Svix's own
/// libraries do); signing writes the declared one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderFamily {
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature` (the specification's names).
    #[default]
    Webhook,
    /// `svix-id`, `svix-timestamp`, `svix-signature` (Svix, and Clerk, Resend and others on it).
    Svix,
}

impl HeaderFamily {
    fn names(self) -> &'static Names {
        match self {
            HeaderFamily::Webhook => &WEBHOOK,
            HeaderFamily::Svix => &SVIX,
        }
    }
}

/// Standard Webhooks: HMAC-SHA256 (`v1`) or Ed25519 (`v1a`) over `{id}.{timestamp}.{body}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StandardWebhooks {
    /// Replay window in seconds, inclusive (default 300).
    #[serde(default = "default_tolerance", rename = "tolerance")]
    pub tolerance_seconds: u64,
    /// The header names `sign` writes; both families verify (default `webhook`).
    #[serde(default)]
    pub headers: HeaderFamily,
}

fn default_tolerance() -> u64 {
    300
}

impl Default for StandardWebhooks {
    fn default() -> Self {
        StandardWebhooks {
            tolerance_seconds: default_tolerance(),
            headers: HeaderFamily::Webhook,
        }
    }
}

/// One Standard Webhooks secret: `whsec_` (HMAC), `whpk_` (an Ed25519 public key, verify
/// only) or `whsk_` (an Ed25519 secret key).
pub(crate) enum StandardKey {
    Mac(KeyedMac),
    Ed25519Public(ed25519_dalek::VerifyingKey),
    Ed25519Secret(Box<ed25519_dalek::SigningKey>),
}

/// `whsec_<base64>` (prefix optional, padding optional) for v1; `whpk_`/`whsk_` for v1a (Ed25519).
fn standard_key(s: &str) -> Result<StandardKey, WebhookError> {
    if let Some(b64) = s.strip_prefix("whpk_") {
        let bytes = b64_flexible(b64)?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| WebhookError::InvalidSecret("Ed25519 public key must be 32 bytes"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map_err(|_| WebhookError::InvalidSecret("not an Ed25519 public key"))?;
        return Ok(StandardKey::Ed25519Public(key));
    }
    if let Some(b64) = s.strip_prefix("whsk_") {
        let bytes = b64_flexible(b64)?;
        let arr: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| WebhookError::InvalidSecret("Ed25519 secret key must be 32 bytes"))?,
        );
        return Ok(StandardKey::Ed25519Secret(Box::new(
            ed25519_dalek::SigningKey::from_bytes(&arr),
        )));
    }
    let bytes = b64_flexible(s.strip_prefix("whsec_").unwrap_or(s))?;
    Ok(StandardKey::Mac(KeyedMac::new(Algorithm::Sha256, &bytes)))
}

impl SchemeFamily for StandardWebhooks {
    type Key = StandardKey;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        standard_key(secret)
    }

    fn verify(&self, keys: &[StandardKey], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        let Delivery {
            headers,
            body,
            now,
            tolerance,
            ..
        } = *delivery;
        // The family whose id header is present; all three headers come from it.
        // One lookup per header on the common path (this runs for every delivery).
        let (names, id): (&'static Names, _) = match headers.get(&WEBHOOK.id) {
            Some(id) => (&WEBHOOK, id.as_bytes()),
            None if headers.contains_key(&SVIX.id) => (&SVIX, header_named(headers, &SVIX.id)?),
            None => (&WEBHOOK, header_named(headers, &WEBHOOK.id)?),
        };
        let ts_raw = header_named(headers, &names.timestamp)?;
        let sigs = header_named(headers, &names.signature)?;
        let ts = parse_timestamp(names.timestamp.as_str(), ts_raw)?;
        check_window(ts, now, tolerance)?;

        let mut any = false;
        // Keys outer, signatures inner: one MAC per key, no allocation; rotation is rare and
        // re-splitting a header is cheap.
        for mut m in keys.iter().filter_map(mac_of) {
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
                && verify_ed25519(keys, id, ts_raw, body, decoded.as_slice())
            {
                return Ok(());
            }
        }
        if !any {
            return Err(WebhookError::MalformedHeader {
                header: names.signature.as_str().into(),
                reason: "no v1 or v1a signature",
            });
        }
        Err(WebhookError::SignatureMismatch)
    }


    fn sign(&self, key: &StandardKey, message: &Message<'_>) -> Result<Signed, WebhookError> {
        let Message {
            body, timestamp, ..
        } = *message;
        let id = message.id.unwrap_or("msg_hookgen_test");
        let ts = timestamp.to_string();
        let sig = match key {
            StandardKey::Mac(mac) => {
                let mut m = mac.clone();
                for part in [id.as_bytes(), b".", ts.as_bytes(), b".", body] {
                    m.update(part);
                }
                let (out, n) = m.finish();
                format!("v1,{}", STANDARD.encode(&out[..n]))
            }
            StandardKey::Ed25519Secret(sk) => {
                let msg = [id.as_bytes(), b".", ts.as_bytes(), b".", body].concat();
                format!("v1a,{}", STANDARD.encode(sk.sign(&msg).to_bytes()))
            }
            StandardKey::Ed25519Public(_) => {
                return Err(WebhookError::InvalidSecret("a public key cannot sign"))
            }
        };
        let names = self.headers.names();
        let mut headers = HeaderMap::new();
        insert(&mut headers, names.id.as_str(), id)?;
        insert(&mut headers, names.timestamp.as_str(), &ts)?;
        insert(&mut headers, names.signature.as_str(), &sig)?;
        Ok(Signed::headers(headers))
    }

    fn required_headers(&self) -> Vec<String> {
        let names = self.headers.names();
        [&names.id, &names.timestamp, &names.signature]
            .map(|n| n.as_str().to_string())
            .into()
    }

    fn tolerance(&self) -> Option<Duration> {
        Some(Duration::from_secs(self.tolerance_seconds))
    }

    fn describe(&self) -> String {
        "Scheme: [Standard Webhooks](https://www.standardwebhooks.com/): HMAC-SHA256 (`v1`) or \
         Ed25519 (`v1a`) over `{webhook-id}.{webhook-timestamp}.{body}`, timestamp within ±300 s."
            .into()
    }

    fn label(&self) -> String {
        match self.headers {
            HeaderFamily::Svix => "standard-webhooks (svix-* headers)".into(),
            HeaderFamily::Webhook => "standard-webhooks".into(),
        }
    }

    fn signing(&self) -> Option<Signing> {
        Some(Signing {
            inputs: SignInputs::BodyIdTimestamp,
            doc: SIGN_DOC,
        })
    }

    fn construct(&self) -> Code {
        let StandardWebhooks {
            tolerance_seconds,
            headers,
        } = self;
        Code::Struct(
            "StandardWebhooks",
            vec![
                ("tolerance_seconds", Code::Int(*tolerance_seconds)),
                ("headers", Code::variant("HeaderFamily", headers)),
            ],
        )
    }
}

fn mac_of(key: &StandardKey) -> Option<KeyedMac> {
    match key {
        StandardKey::Mac(mac) => Some(mac.clone()),
        _ => None,
    }
}

fn verify_ed25519(keys: &[StandardKey], id: &[u8], ts: &[u8], body: &[u8], sig: &[u8]) -> bool {
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
            StandardKey::Ed25519Public(pk) => pk.verify(&msg, &sig).is_ok(),
            StandardKey::Ed25519Secret(sk) => sk.verifying_key().verify(&msg, &sig).is_ok(),
            StandardKey::Mac(_) => false,
        })
}

fn header_named<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<&'h [u8], WebhookError> {
    headers
        .get(name)
        .map(|v| v.as_bytes())
        .ok_or_else(|| WebhookError::MissingHeader(name.as_str().to_string()))
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
