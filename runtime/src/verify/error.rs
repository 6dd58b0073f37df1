use std::fmt;

use crate::DecodeError;

/// Why a delivery was refused. The text never contains a secret or a signature.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the scheme needs is absent.
    MissingHeader(String),
    /// A header is present but cannot be read (bad timestamp, no signature in it, not ASCII).
    MalformedHeader {
        /// The header's name.
        header: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The body cannot be read where the scheme carries the signature inside it.
    MalformedBody(&'static str),
    /// The scheme signs the request URL (Twilio): verify with `verify_request`, giving the URL.
    UrlRequired,
    /// No signature in the delivery matches any configured secret.
    SignatureMismatch,
    /// The signed timestamp is outside the replay window.
    TimestampOutOfTolerance {
        /// The delivery's timestamp (unix seconds).
        timestamp: i64,
        /// The verifier's clock (unix seconds).
        now: i64,
    },
    /// A secret could not be used (empty, not decodable for this scheme).
    InvalidSecret(&'static str),
    /// The signature verified but the body does not fit the typed schema; the raw body is inside.
    Decode(DecodeError),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::MissingHeader(h) => write!(f, "missing required header `{h}`"),
            WebhookError::MalformedHeader { header, reason } => {
                write!(f, "malformed header `{header}`: {reason}")
            }
            WebhookError::MalformedBody(reason) => write!(f, "malformed body: {reason}"),
            WebhookError::UrlRequired => f.write_str(
                "this scheme signs the request URL: verify with the full URL the vendor called",
            ),
            WebhookError::SignatureMismatch => f.write_str("signature does not match"),
            WebhookError::TimestampOutOfTolerance { timestamp, now } => {
                write!(
                    f,
                    "timestamp {timestamp} is outside the allowed window (now {now})"
                )
            }
            WebhookError::InvalidSecret(reason) => write!(f, "invalid webhook secret: {reason}"),
            WebhookError::Decode(e) => write!(f, "verified, but {e}"),
        }
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookError::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for WebhookError {
    fn from(e: DecodeError) -> Self {
        WebhookError::Decode(e)
    }
}

impl WebhookError {
    /// Is this an authentication failure (answer 401) rather than a malformed request (400)?
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            WebhookError::SignatureMismatch
                | WebhookError::TimestampOutOfTolerance { .. }
                | WebhookError::InvalidSecret(_)
        )
    }
}
