//! [`Webhook`]: verify and decode in one call, with a vendor's scheme built in. A generated
//! crate's `Webhook` is this type, named for its `Event` and for how its scheme signs:
//!
//! ```text
//! pub type Webhook = hookgen_runtime::Webhook<Event, hookgen_runtime::webhook::Body>;
//! ```
//!
//! The crate's `Event` says which scheme and how to decode ([`Events`]). The second parameter
//! is a marker of what the vendor signs, so the test kit's `sign` takes exactly that: a body, or
//! a body with an id and a timestamp, or a URL and a body. Only a scheme that signs the URL has
//! `verify_request`, and a vendor without a scheme only `insecure_without_verification`.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use http::HeaderMap;

use crate::{DecodeError, Scheme, Verifier, WebhookError, WebhookVerifier};

/// What a generated crate's `Event` tells [`Webhook`]: its vendor's scheme and how a delivery
/// decodes.
pub trait Events: Sized + Send + 'static {
    /// The signature scheme the spec declares ([`Scheme::None`] when it declares none).
    fn scheme() -> Scheme;
    /// Decode a delivery from its request headers and body.
    fn from_request(headers: &HeaderMap, body: &[u8]) -> Result<Self, DecodeError>;
    /// The event's type, as the vendor names it.
    fn event_type(&self) -> &str;
    /// The event's id, when the payload carries one.
    fn event_id(&self) -> Option<String>;
}

/// Verifies and decodes one vendor's deliveries: `E` is its `Event`, `S` what its scheme signs
/// (a marker from this module).
pub struct Webhook<E, S> {
    verifier: Verifier,
    marker: PhantomData<fn() -> (E, S)>,
}

impl<E, S> fmt::Debug for Webhook<E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("verifier", &self.verifier)
            .finish()
    }
}

/// Markers of what a scheme signs, and so of the test kit's `sign`.
mod markers {
    /// `sign(body)`.
    #[derive(Debug)]
    pub enum Body {}
    /// `sign(body, timestamp)`.
    #[derive(Debug)]
    pub enum BodyTimestamp {}
    /// `sign(body, id, timestamp)`.
    #[derive(Debug)]
    pub enum BodyIdTimestamp {}
    /// `sign(url, body)`, and `verify_request`: the scheme signs the request URL.
    #[derive(Debug)]
    pub enum UrlBody {}
    /// `sign(timestamp)`: the body is not involved.
    #[derive(Debug)]
    pub enum TimestampOnly {}
    /// `sign()`: the secret itself is the credential.
    #[derive(Debug)]
    pub enum Nothing {}
    /// `sign(body) -> Vec<u8>`: the signature goes inside the body.
    #[derive(Debug)]
    pub enum IntoBody {}
    /// A scheme the test kit cannot sign for (the vendor holds a private key).
    #[derive(Debug)]
    pub enum NoSigning {}
    /// No scheme is declared: only `insecure_without_verification`.
    #[derive(Debug)]
    pub enum Unsigned {}
}
pub use markers::*;

/// The markers of a declared scheme: a [`Webhook`] with one takes secrets.
pub trait Secured: sealed::Sealed {}
mod sealed {
    pub trait Sealed {}
}
macro_rules! secured {
    ($($marker:ty),*) => { $(impl sealed::Sealed for $marker {} impl Secured for $marker {})* };
}
secured!(
    Body,
    BodyTimestamp,
    BodyIdTimestamp,
    UrlBody,
    TimestampOnly,
    Nothing,
    IntoBody,
    NoSigning
);

impl<E: Events, S> Webhook<E, S> {
    /// The signature scheme this vendor uses, as declared in the spec.
    pub fn scheme() -> Scheme {
        E::scheme()
    }

    /// Accept every delivery without checking where it came from.
    ///
    /// Only for transports that already authenticate the sender; never the default.
    pub fn insecure_without_verification() -> Self {
        Self::from_verifier(Verifier::insecure_without_verification())
    }

    fn from_verifier(verifier: Verifier) -> Self {
        Webhook {
            verifier,
            marker: PhantomData,
        }
    }

    /// Change the replay window (inclusive) for schemes with a timestamp.
    pub fn with_tolerance(self, tolerance: Duration) -> Self {
        Self::from_verifier(self.verifier.with_tolerance(tolerance))
    }

    /// Verify the signature over the raw body, then decode the event.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<E, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`Webhook::verify`] with an explicit clock.
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<E, WebhookError> {
        self.verify_signature_at(headers, body, now)?;
        Ok(E::from_request(headers, body)?)
    }

    /// Verify the signature only, e.g. to queue the raw body for later decoding.
    pub fn verify_signature(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_signature_at(headers, body, SystemTime::now())
    }

    /// [`Webhook::verify_signature`] with an explicit clock.
    pub fn verify_signature_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        self.verifier.verify_at(headers, body, now)
    }

    /// The underlying verifier (for receivers and middleware).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

impl<E: Events, S: Secured> Webhook<E, S> {
    /// A verifier for one secret. Fails now if the secret cannot be used.
    pub fn new(secret: impl AsRef<str>) -> Result<Self, WebhookError> {
        Self::with_secrets([secret])
    }

    /// A verifier accepting any of several secrets (rotation).
    pub fn with_secrets<I, T>(secrets: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        Verifier::new(E::scheme(), secrets).map(Self::from_verifier)
    }
}

impl<E: Events> Webhook<E, Body> {
    /// Sign a body as the vendor would (test kit: fixtures, local receivers). Uses the first
    /// secret.
    pub fn sign(&self, body: &[u8]) -> Result<HeaderMap, WebhookError> {
        self.verifier.sign(body, None, None)
    }
}

impl<E: Events> Webhook<E, BodyTimestamp> {
    /// Sign a body at a Unix `timestamp` as the vendor would (test kit). Uses the first secret.
    pub fn sign(&self, body: &[u8], timestamp: i64) -> Result<HeaderMap, WebhookError> {
        self.verifier.sign(body, None, Some(timestamp))
    }
}

impl<E: Events> Webhook<E, BodyIdTimestamp> {
    /// Sign a body with a message `id` at a Unix `timestamp` as the vendor would (test kit).
    /// Uses the first secret.
    pub fn sign(&self, body: &[u8], id: &str, timestamp: i64) -> Result<HeaderMap, WebhookError> {
        self.verifier.sign(body, Some(id), Some(timestamp))
    }
}

impl<E: Events> Webhook<E, UrlBody> {
    /// Sign a request to `url` as the vendor would (test kit). Uses the first secret.
    pub fn sign(&self, url: &str, body: &[u8]) -> Result<HeaderMap, WebhookError> {
        self.verifier.sign_request(url, body, None, None)
    }

    /// Verify a delivery, then decode it. This vendor signs the request URL: `url` is the full
    /// URL it called (scheme, host, path and query), as configured on its side.
    pub fn verify_request(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<E, WebhookError> {
        self.verify_request_at(url, headers, body, SystemTime::now())
    }

    /// [`Webhook::verify_request`] with an explicit clock.
    pub fn verify_request_at(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<E, WebhookError> {
        self.verifier.verify_request_at(url, headers, body, now)?;
        Ok(E::from_request(headers, body)?)
    }
}

impl<E: Events> Webhook<E, TimestampOnly> {
    /// The headers the vendor would send at a Unix `timestamp` (test kit): the body is not
    /// involved. Uses the first secret.
    pub fn sign(&self, timestamp: i64) -> Result<HeaderMap, WebhookError> {
        self.verifier.sign(&[], None, Some(timestamp))
    }
}

impl<E: Events> Webhook<E, Nothing> {
    /// The header carrying the secret, as the vendor would send it (test kit).
    pub fn sign(&self) -> Result<HeaderMap, WebhookError> {
        self.verifier.sign(&[], None, None)
    }
}

impl<E: Events> Webhook<E, IntoBody> {
    /// The body as the vendor would send it (test kit): the signature, or the secret, goes
    /// inside it. Uses the first secret.
    pub fn sign(&self, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
        self.verifier.sign_body(body)
    }
}

impl<E: Events, S: 'static> WebhookVerifier for Webhook<E, S> {
    type Event = E;

    fn verify_signature_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        Webhook::verify_signature_at(self, headers, body, now)
    }

    fn decode(&self, headers: &HeaderMap, body: &[u8]) -> Result<E, DecodeError> {
        E::from_request(headers, body)
    }

    fn event_type(event: &E) -> String {
        event.event_type().to_owned()
    }

    fn event_id(event: &E) -> Option<String> {
        event.event_id()
    }

    fn credential_headers(&self) -> Vec<String> {
        self.verifier.scheme().credential_headers()
    }
}
