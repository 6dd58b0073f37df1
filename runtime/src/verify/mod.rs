#![cfg_attr(not(feature = "all-schemes"), allow(dead_code))]
//! Signature verification: one [`Verifier`] over a declared [`Scheme`].
//!
//! Policy, decided here once for every generated crate:
//! - signatures are compared as decoded bytes in constant time; a wrong length is a mismatch;
//! - timestamps are plain decimal seconds, within ±300 s (inclusive) unless configured otherwise;
//! - secrets are checked when the verifier is built, zeroized on drop, never printed;
//! - the body is the raw bytes as received: never re-serialised, never copied, not required to be UTF-8.

mod code;
mod error;
mod family;
#[cfg(any(feature = "jwt", feature = "public-key"))]
mod pem;
pub mod presets;
mod primitives;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use serde::Deserialize;

pub use code::Code;
pub use error::WebhookError;
pub use family::{SignInputs, Signing};
pub use primitives::{Algorithm, Encoding, SecretEncoding};

use family::{Delivery, Family, Message, Prepared, Unverified};

/// Default replay window: the reference libraries accept ±300 s.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The registry of scheme families: each line is a family's cargo feature (optional: a family
/// without one is always compiled), its file, its declaration type and its `Scheme` variant
/// (whose kebab-case name is the `scheme:` of `x-webhook-signature`). A new family is a new
/// file and one line here; a feature in `Cargo.toml` only if it brings dependencies of its own.
macro_rules! families {
    ($($(#[doc = $doc:literal])* $($feature:literal)? $module:ident :: $family:ident => $variant:ident,)*) => {
        $($(#[cfg(feature = $feature)])? mod $module; $(#[cfg(feature = $feature)])? pub use $module::*;)*

        /// How a vendor signs its deliveries. Deserializes from the `x-webhook-signature` spec extension.
        ///
        /// Each family is behind the runtime feature of its name (all on by default); a
        /// generated crate turns on only its vendor's.
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(tag = "scheme", rename_all = "kebab-case")]
        // Built once per verifier; boxing a variant would only cost a pointer chase.
        #[allow(clippy::large_enum_variant)]
        pub enum Scheme {
            $($(#[doc = $doc])* $(#[cfg(feature = $feature)])? $variant($family),)*
            /// No verification at all. Only reachable through an explicit opt-in.
            None,
        }

        impl Scheme {
            fn family(&self) -> Option<&dyn Family> {
                match self {
                    $($(#[cfg(feature = $feature)])? Scheme::$variant(f) => Some(f),)*
                    Scheme::None => None,
                }
            }

            /// The variant's name, as generated code writes it: `Hmac` in `Scheme::Hmac(..)`.
            pub fn variant_name(&self) -> &'static str {
                match self {
                    $($(#[cfg(feature = $feature)])? Scheme::$variant(_) => stringify!($variant),)*
                    Scheme::None => "None",
                }
            }

            /// The runtime feature this scheme's family is behind (`hmac`), which a generated
            /// crate turns on; `None` for [`Scheme::None`].
            pub fn feature(&self) -> Option<&'static str> {
                match self {
                    $($(#[cfg(feature = $feature)])? Scheme::$variant(_) => families!(@feature $($feature)?),)*
                    Scheme::None => None,
                }
            }
        }

        /// The features of the families behind one, in registry order.
        pub const FAMILY_FEATURES: &[&str] = &[$($($feature,)?)*];
    };
    (@feature $feature:literal) => { Some($feature) };
    (@feature) => { None };
}

families! {
    /// [Standard Webhooks](https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    "standard-webhooks" standard::StandardWebhooks => StandardWebhooks,
    /// An HMAC over a template of the body, headers and timestamp (GitHub, Stripe, Slack, ROOMZ, ...).
    "hmac" hmac_scheme::HmacScheme => Hmac,
    /// An HMAC inside the JSON body over some of its fields (Dropbox Sign, Adyen).
    "body-signature" body_scheme::BodySignatureScheme => BodySignature,
    /// A signed JWT in a header, optionally bound to the body (Vonage).
    "jwt" jwt_scheme::JwtScheme => Jwt,
    /// A signature made with the vendor's private key: ECDSA P-256, RSA or Ed25519 (SendGrid).
    "public-key" public_key::PublicKeyScheme => PublicKey,
    /// A secret sent back verbatim, in a header, the body or Basic credentials (Figma,
    /// Chargebee, AssemblyAI). Authenticates the sender; does not cover the body.
    "shared-secret" shared_secret::SharedSecretScheme => SharedSecret,
    /// A token in a header, encrypted under the shared secret (Roomle). Does not cover the body.
    "encrypted-token" token::TokenScheme => EncryptedToken,
}

impl Scheme {
    /// The timestamp window this scheme applies by default, if it has a timestamp.
    pub fn tolerance(&self) -> Option<Duration> {
        self.family().and_then(Family::tolerance)
    }

    /// Header names a delivery must carry (lowercase); the receiver reports their absence as 400.
    pub fn required_headers(&self) -> Vec<String> {
        self.family()
            .map(Family::required_headers)
            .unwrap_or_default()
    }

    /// Headers this scheme sends a secret in, verbatim (lowercase): a `shared-secret` scheme's
    /// header, or `authorization` for its Basic form. Empty for signature schemes.
    pub fn credential_headers(&self) -> Vec<String> {
        self.family()
            .map(Family::credential_headers)
            .unwrap_or_default()
    }

    /// Does verification need the request URL (Twilio)?
    pub fn needs_url(&self) -> bool {
        self.family().is_some_and(Family::needs_url)
    }

    /// A paragraph for generated docs, starting "Scheme: "; `None` for no scheme.
    pub fn describe(&self) -> Option<String> {
        self.family().map(Family::describe)
    }

    /// A short label for tables: `hmac-sha512 (Roomz-Signature)`.
    pub fn label(&self) -> String {
        self.family()
            .map(Family::label)
            .unwrap_or_else(|| "none".into())
    }

    /// What a generated test-kit `sign` takes, or `None` where this side cannot sign.
    pub fn signing(&self) -> Option<Signing> {
        self.family().and_then(Family::signing)
    }

    /// An expression building this scheme in generated code, without the `Scheme::` variant
    /// around it; `None` for [`Scheme::None`].
    pub fn construct(&self) -> Option<Code> {
        self.family().map(Family::construct)
    }
}

/// Verifies (and, for tests, signs) deliveries under one scheme with one or more secrets.
///
/// Several secrets verify during rotation: a delivery signed with any of them passes.
pub struct Verifier {
    scheme: Scheme,
    keys: Box<dyn Prepared>,
    tolerance: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.keys.key_count()),
            )
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
        let secrets: Vec<S> = secrets.into_iter().collect();
        let secrets: Vec<&str> = secrets.iter().map(AsRef::as_ref).collect();
        let family = scheme
            .family()
            .ok_or(WebhookError::InvalidSecret("this scheme takes no secret"))?;
        let keys = family.prepare(&secrets)?;
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
            keys: Box::new(Unverified),
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
        self.scheme.needs_url()
    }

    fn verify_full(
        &self,
        url: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        self.keys.verify(&Delivery {
            headers,
            body,
            url: url.map(str::as_bytes),
            now: unix_seconds(now),
            tolerance: self.tolerance,
        })
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
            .map(|signed| signed.headers)
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
            .map(|signed| signed.headers)
    }

    /// The body as the vendor would send it: for schemes that sign inside the body, each
    /// signed object gets its signature (the body is re-encoded); for others, unchanged.
    pub fn sign_body(&self, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
        let into_body = self.scheme.signing().map(|s| s.inputs) == Some(SignInputs::IntoBody);
        if !into_body {
            return Ok(body.to_vec());
        }
        let signed = self.sign_full(None, body, None, None)?;
        Ok(signed.body.unwrap_or_else(|| body.to_vec()))
    }

    fn sign_full(
        &self,
        url: Option<&str>,
        body: &[u8],
        id: Option<&str>,
        timestamp: Option<i64>,
    ) -> Result<family::Signed, WebhookError> {
        self.keys.sign(&Message {
            body,
            url: url.map(str::as_bytes),
            id,
            timestamp: timestamp.unwrap_or_else(|| unix_seconds(SystemTime::now())),
        })
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
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
