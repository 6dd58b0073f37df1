//! Signature verification: one [`Verifier`] over a declared [`Scheme`].
//!
//! Policy, decided here once for every generated crate:
//! - signatures are compared as decoded bytes in constant time; a wrong length is a mismatch;
//! - timestamps are plain decimal seconds, within ±300 s (inclusive) unless configured otherwise;
//! - secrets are checked when the verifier is built, zeroized on drop, never printed;
//! - the body is the raw bytes as received: never re-serialised, never copied, not required to be UTF-8.

mod body_scheme;
mod error;
mod hmac_scheme;
mod jwt_scheme;
pub(crate) mod keys;
pub mod presets;
mod public_key;
mod shared_secret;
mod standard;
mod token;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use serde::Deserialize;

pub use body_scheme::BodySignatureScheme;
pub use error::WebhookError;
pub use hmac_scheme::{
    Algorithm, Encoding, HeaderFormat, HmacScheme, SecretEncoding, TimestampUnit,
};
pub use jwt_scheme::{JwtAlgorithm, JwtScheme};
pub use public_key::{PublicKeyAlgorithm, PublicKeyScheme};
pub use shared_secret::{SecretLocation, SharedSecretScheme};
pub use standard::{HeaderFamily, StandardWebhooks};
pub use token::{KeyDerivation, TokenEncoding, TokenIv, TokenPlaintext, TokenScheme};

use keys::KeySet;

/// Default replay window: the reference libraries accept ±300 s.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How a vendor signs its deliveries. Deserializes from the `x-webhook-signature` spec extension.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum Scheme {
    /// [Standard Webhooks](https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    StandardWebhooks(StandardWebhooks),
    /// An HMAC over a template of the body, headers and timestamp (GitHub, Stripe, Slack, ROOMZ, ...).
    Hmac(HmacScheme),
    /// An HMAC inside the JSON body over some of its fields (Dropbox Sign, Adyen).
    BodySignature(BodySignatureScheme),
    /// A signed JWT in a header, optionally bound to the body (Vonage).
    Jwt(JwtScheme),
    /// A signature made with the vendor's private key: ECDSA P-256, RSA or Ed25519 (SendGrid).
    PublicKey(PublicKeyScheme),
    /// A secret sent back verbatim, in a header, the body or Basic credentials (Figma,
    /// Chargebee, AssemblyAI). Authenticates the sender; does not cover the body.
    SharedSecret(SharedSecretScheme),
    /// A token in a header, encrypted under the shared secret (Roomle). Does not cover the body.
    EncryptedToken(TokenScheme),
    /// No verification at all. Only reachable through an explicit opt-in.
    None,
}

impl Scheme {
    /// The timestamp window this scheme applies by default, if it has a timestamp.
    pub fn tolerance(&self) -> Option<Duration> {
        match self {
            Scheme::StandardWebhooks(s) => Some(Duration::from_secs(s.tolerance_seconds)),
            Scheme::Hmac(h) if h.has_timestamp() => Some(Duration::from_secs(h.tolerance_seconds)),
            Scheme::EncryptedToken(t) if t.plaintext == TokenPlaintext::UnixTimestamp => {
                Some(Duration::from_secs(t.tolerance_seconds))
            }
            Scheme::Jwt(j) => Some(Duration::from_secs(j.tolerance_seconds)),
            Scheme::PublicKey(p) if p.timestamp_header.is_some() => {
                Some(Duration::from_secs(p.tolerance_seconds))
            }
            _ => None,
        }
    }

    /// Header names a delivery must carry (lowercase); the receiver reports their absence as 400.
    pub fn required_headers(&self) -> Vec<String> {
        match self {
            Scheme::StandardWebhooks(_) => {
                vec![
                    "webhook-id".into(),
                    "webhook-timestamp".into(),
                    "webhook-signature".into(),
                ]
            }
            Scheme::Hmac(h) => {
                let mut v = vec![h.header.to_ascii_lowercase()];
                v.extend(h.timestamp_header.iter().map(|t| t.to_ascii_lowercase()));
                v
            }
            Scheme::EncryptedToken(t) => vec![t.header.to_ascii_lowercase()],
            Scheme::Jwt(j) => vec![j.header.to_ascii_lowercase()],
            Scheme::PublicKey(p) => {
                let mut v = vec![p.header.to_ascii_lowercase()];
                v.extend(p.timestamp_header.iter().map(|t| t.to_ascii_lowercase()));
                v
            }
            // The headers it sends its secret in are the ones it needs.
            Scheme::SharedSecret(_) => self.credential_headers(),
            Scheme::BodySignature(_) | Scheme::None => vec![],
        }
    }
}

/// Verifies (and, for tests, signs) deliveries under one scheme with one or more secrets.
///
/// Several secrets verify during rotation: a delivery signed with any of them passes.
pub struct Verifier {
    scheme: Scheme,
    keys: KeySet,
    tolerance: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field("secrets", &format_args!("[{} redacted]", self.keys.len()))
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl Verifier {
    /// Build a verifier; every secret is checked now, so a bad one fails here and not per request.
    pub fn new<I, S>(scheme: Scheme, secrets: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let keys = KeySet::new(&scheme, secrets)?;
        let tolerance = scheme.tolerance().unwrap_or(DEFAULT_TOLERANCE);
        Ok(Verifier {
            scheme,
            keys,
            tolerance,
        })
    }

    /// A verifier that accepts every delivery. Use only where the transport already authenticates.
    pub fn insecure_without_verification() -> Self {
        Verifier {
            scheme: Scheme::None,
            keys: KeySet::empty(),
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// Change the replay window (inclusive) for schemes with a timestamp.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Verify against the system clock.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Verify with an explicit clock (tests, replays).
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        self.verify_full(None, headers, body, now)
    }

    /// Verify a delivery whose signature covers the request URL (Twilio), against the system
    /// clock. `url` is the full URL the vendor called, query string included.
    pub fn verify_request(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.verify_full(Some(url), headers, body, SystemTime::now())
    }

    /// [`Verifier::verify_request`] with an explicit clock.
    pub fn verify_request_at(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        self.verify_full(Some(url), headers, body, now)
    }

    /// Does this scheme sign the request URL (so that `verify_request` is needed)?
    pub fn needs_url(&self) -> bool {
        matches!(&self.scheme, Scheme::Hmac(h) if h.needs_url())
    }

    fn verify_full(
        &self,
        url: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        let now = unix_seconds(now);
        match &self.scheme {
            Scheme::StandardWebhooks(s) => s.verify(&self.keys, headers, body, now, self.tolerance),
            Scheme::Hmac(h) => h.verify(
                &self.keys,
                headers,
                body,
                url.map(str::as_bytes),
                now,
                self.tolerance,
            ),
            Scheme::EncryptedToken(t) => t.verify(&self.keys, headers, now, self.tolerance),
            Scheme::BodySignature(b) => b.verify(&self.keys, body),
            Scheme::SharedSecret(s) => s.verify(&self.keys, headers, body),
            Scheme::Jwt(j) => j.verify(&self.keys.jwt(), headers, body, now, self.tolerance),
            Scheme::PublicKey(p) => {
                p.verify(&self.keys.public(), headers, body, now, self.tolerance)
            }
            Scheme::None => Ok(()),
        }
    }

    /// Sign a body as the vendor would, with the first secret (test kit: build fixtures, drive receivers).
    /// `id` and `timestamp` are used where the scheme has them (defaults: a fixed id and `now`).
    pub fn sign(
        &self,
        body: &[u8],
        id: Option<&str>,
        timestamp: Option<i64>,
    ) -> Result<HeaderMap, WebhookError> {
        self.sign_full(None, body, id, timestamp)
    }

    /// [`Verifier::sign`] for a scheme that signs the request URL (Twilio).
    pub fn sign_request(
        &self,
        url: &str,
        body: &[u8],
        id: Option<&str>,
        timestamp: Option<i64>,
    ) -> Result<HeaderMap, WebhookError> {
        self.sign_full(Some(url), body, id, timestamp)
    }

    fn sign_full(
        &self,
        url: Option<&str>,
        body: &[u8],
        id: Option<&str>,
        timestamp: Option<i64>,
    ) -> Result<HeaderMap, WebhookError> {
        let timestamp = timestamp.unwrap_or_else(|| unix_seconds(SystemTime::now()));
        match &self.scheme {
            Scheme::StandardWebhooks(s) => s.sign(
                &self.keys,
                id.unwrap_or("msg_hookgen_test"),
                timestamp,
                body,
            ),
            Scheme::Hmac(h) => h.sign(&self.keys, id, timestamp, body, url.map(str::as_bytes)),
            Scheme::EncryptedToken(t) => t.sign(&self.keys, timestamp),
            Scheme::Jwt(j) => match self.keys.jwt().first() {
                Some(key) => j.sign(key, body, timestamp),
                None => Err(WebhookError::InvalidSecret("no secret to sign with")),
            },
            Scheme::PublicKey(_) => Err(WebhookError::InvalidSecret("a public key cannot sign")),
            Scheme::SharedSecret(s) => s.sign(&self.keys, body).map(|(h, _)| h),
            Scheme::BodySignature(_) | Scheme::None => Ok(HeaderMap::new()),
        }
    }

    /// The body as the vendor would send it: for schemes that sign inside the body, each
    /// signed object gets its signature (the body is re-encoded); for others, unchanged.
    pub fn sign_body(&self, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
        match &self.scheme {
            Scheme::BodySignature(b) => b.sign(&self.keys, body),
            Scheme::SharedSecret(s) if s.location == SecretLocation::Body => {
                s.sign(&self.keys, body).map(|(_, b)| b)
            }
            _ => Ok(body.to_vec()),
        }
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
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

/// What a receiver needs from a generated `Webhook`: verification, decoding, and the event's
/// identity. Every generated crate implements it for its `Webhook`.
pub trait WebhookVerifier: Send + Sync + 'static {
    /// The crate's `Event` enum.
    type Event: Send + 'static;
    /// Verify the signature over the raw body at `now`.
    fn verify_signature_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError>;
    /// Decode a verified delivery; the headers take part in identifying the event.
    fn decode(&self, headers: &HeaderMap, body: &[u8]) -> Result<Self::Event, crate::DecodeError>;
    /// The event's type, as the vendor names it.
    fn event_type(event: &Self::Event) -> String;
    /// The event's id, when the payload carries one (the idempotency key with no `webhook-id`).
    fn event_id(event: &Self::Event) -> Option<String>;
    /// Headers the vendor's scheme sends a secret in ([`Scheme::credential_headers`]): stored
    /// masked, like `Authorization`.
    fn credential_headers(&self) -> Vec<String> {
        Vec::new()
    }
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
}
