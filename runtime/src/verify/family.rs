//! The one trait every signature scheme family implements, and how a verifier holds a family
//! with its keys. A family is one file: its declaration type, its key type, verification,
//! signing, and how it describes and prints itself. The registry in `mod.rs` lists the
//! families; nothing else names them.

use std::time::Duration;

use http::HeaderMap;

use super::code::Code;
use super::error::WebhookError;

/// One delivery, as a family checks it.
pub(crate) struct Delivery<'a> {
    pub headers: &'a HeaderMap,
    /// The raw body, as received.
    pub body: &'a [u8],
    /// The full request URL, for schemes that sign it.
    pub url: Option<&'a [u8]>,
    /// Unix seconds.
    pub now: i64,
    /// The replay window in force.
    pub tolerance: Duration,
}

/// What a test kit asks a family to sign.
pub(crate) struct Message<'a> {
    pub body: &'a [u8],
    pub url: Option<&'a [u8]>,
    /// The delivery id, where the scheme has one.
    pub id: Option<&'a str>,
    /// Unix seconds.
    pub timestamp: i64,
}

/// A signed delivery: the headers to send, and the body when the signature changed it.
pub(crate) struct Signed {
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

impl Signed {
    pub fn headers(headers: HeaderMap) -> Self {
        Signed {
            headers,
            body: None,
        }
    }
}

/// What a generated `Webhook::sign` takes and returns for a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInputs {
    /// `sign(body) -> HeaderMap`.
    Body,
    /// `sign(body, timestamp) -> HeaderMap`.
    BodyTimestamp,
    /// `sign(body, id, timestamp) -> HeaderMap`.
    BodyIdTimestamp,
    /// `sign(url, body) -> HeaderMap`: the scheme signs the request URL.
    UrlBody,
    /// `sign(timestamp) -> HeaderMap`: the body is not involved.
    Timestamp,
    /// `sign() -> HeaderMap`: the secret itself is the credential.
    Nothing,
    /// `sign(body) -> Vec<u8>`: the signature goes inside the body.
    IntoBody,
}

/// How a scheme's generated test-kit `sign` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signing {
    /// Its arguments and result.
    pub inputs: SignInputs,
    /// Its doc comment.
    pub doc: &'static str,
}

/// The doc of a `sign` that does what the vendor does.
pub(crate) const SIGN_DOC: &str =
    "Sign a body as the vendor would (test kit: fixtures, local receivers). Uses the first secret.";

/// A signature scheme family: a declaration type (deserialized from `x-webhook-signature`)
/// that knows its keys, checks and makes signatures, and prints itself.
pub(crate) trait SchemeFamily: Clone + Send + Sync + 'static {
    /// Key material decoded from one secret, wiped on drop where it is secret.
    type Key: Send + Sync + 'static;
    /// Decode one configured secret (never empty).
    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError>;
    /// Check a delivery against every key; `Ok` when any key verifies it.
    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError>;
    /// Sign as the vendor would, with one key (test kit).
    fn sign(&self, key: &Self::Key, message: &Message<'_>) -> Result<Signed, WebhookError>;
    /// Header names a delivery must carry (lowercase).
    fn required_headers(&self) -> Vec<String>;
    /// Headers carrying a secret verbatim (lowercase): stored masked.
    fn credential_headers(&self) -> Vec<String> {
        Vec::new()
    }
    /// The timestamp window this scheme applies by default, if it has a timestamp.
    fn tolerance(&self) -> Option<Duration>;
    /// Does verification need the request URL?
    fn needs_url(&self) -> bool {
        false
    }
    /// A paragraph for the generated docs, starting "Scheme: ".
    fn describe(&self) -> String;
    /// A short label for tables: `hmac-sha512 (Roomz-Signature)`.
    fn label(&self) -> String;
    /// The generated `sign` method, or `None` where this side cannot sign.
    fn signing(&self) -> Option<Signing>;
    /// An expression building this value (without the `Scheme::` variant around it).
    fn construct(&self) -> Code;
}

/// A family with its keys, behind one object-safe face for [`super::Verifier`].
pub(crate) trait Prepared: Send + Sync {
    fn verify(&self, delivery: &Delivery<'_>) -> Result<(), WebhookError>;
    fn sign(&self, message: &Message<'_>) -> Result<Signed, WebhookError>;
    fn key_count(&self) -> usize;
}

struct Keyed<F: SchemeFamily> {
    family: F,
    keys: Vec<F::Key>,
}

impl<F: SchemeFamily> Prepared for Keyed<F> {
    fn verify(&self, delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        self.family.verify(&self.keys, delivery)
    }

    fn sign(&self, message: &Message<'_>) -> Result<Signed, WebhookError> {
        let key = self
            .keys
            .first()
            .ok_or(WebhookError::InvalidSecret("no secret to sign with"))?;
        self.family.sign(key, message)
    }

    fn key_count(&self) -> usize {
        self.keys.len()
    }
}

/// No verification: [`super::Verifier::insecure_without_verification`].
pub(crate) struct Unverified;

impl Prepared for Unverified {
    fn verify(&self, _: &Delivery<'_>) -> Result<(), WebhookError> {
        Ok(())
    }

    fn sign(&self, message: &Message<'_>) -> Result<Signed, WebhookError> {
        let _ = message;
        Ok(Signed::headers(HeaderMap::new()))
    }

    fn key_count(&self) -> usize {
        0
    }
}

/// The object-safe face of a family, for the registry's dispatch.
pub(crate) trait Family: Send + Sync {
    fn prepare(&self, secrets: &[&str]) -> Result<Box<dyn Prepared>, WebhookError>;
    fn required_headers(&self) -> Vec<String>;
    fn credential_headers(&self) -> Vec<String>;
    fn tolerance(&self) -> Option<Duration>;
    fn needs_url(&self) -> bool;
    fn describe(&self) -> String;
    fn label(&self) -> String;
    fn signing(&self) -> Option<Signing>;
    fn construct(&self) -> Code;
}

impl<F: SchemeFamily> Family for F {
    fn prepare(&self, secrets: &[&str]) -> Result<Box<dyn Prepared>, WebhookError> {
        let mut keys = Vec::with_capacity(secrets.len());
        for secret in secrets {
            if secret.is_empty() {
                return Err(WebhookError::InvalidSecret("secret is empty"));
            }
            keys.push(self.key(secret)?);
        }
        if keys.is_empty() {
            return Err(WebhookError::InvalidSecret("no secret given"));
        }
        Ok(Box::new(Keyed {
            family: self.clone(),
            keys,
        }))
    }
    fn required_headers(&self) -> Vec<String> {
        SchemeFamily::required_headers(self)
    }
    fn credential_headers(&self) -> Vec<String> {
        SchemeFamily::credential_headers(self)
    }
    fn tolerance(&self) -> Option<Duration> {
        SchemeFamily::tolerance(self)
    }
    fn needs_url(&self) -> bool {
        SchemeFamily::needs_url(self)
    }
    fn describe(&self) -> String {
        SchemeFamily::describe(self)
    }
    fn label(&self) -> String {
        SchemeFamily::label(self)
    }
    fn signing(&self) -> Option<Signing> {
        SchemeFamily::signing(self)
    }
    fn construct(&self) -> Code {
        SchemeFamily::construct(self)
    }
}
