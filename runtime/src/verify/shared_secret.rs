//! No signature, a shared secret sent as is: in a header of the integrator's choosing
//! (AssemblyAI), inside the body (Figma's `passcode`), or as HTTP Basic credentials (Chargebee).
//! Compared in constant time. It authenticates the sender but does not protect the body; the
//! generated docs say so.

use http::HeaderMap;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, SignInputs, Signed, Signing};
use super::primitives::{header, insert};

/// Where the secret travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretLocation {
    /// The whole value of `header`.
    Header,
    /// The string at `pointer` in the JSON body.
    Body,
    /// `Authorization: Basic`, the secret being `user:password`.
    Basic,
}

/// A secret the vendor sends back verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SharedSecretScheme {
    /// Where it is.
    #[serde(rename = "in")]
    pub location: SecretLocation,
    /// The header, for `in: header`.
    #[serde(default)]
    pub header: Option<String>,
    /// The JSON pointer, for `in: body`.
    #[serde(default)]
    pub pointer: Option<String>,
}

impl SharedSecretScheme {
    fn header_name(&self) -> &str {
        self.header.as_deref().unwrap_or("Authorization")
    }

    fn pointer(&self) -> &str {
        self.pointer.as_deref().unwrap_or("/passcode")
    }

    /// The secret as this delivery presents it.
    fn presented(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
        Ok(match self.location {
            SecretLocation::Header => header(headers, self.header_name())?.trim_ascii().to_vec(),
            SecretLocation::Body => {
                let value: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|_| WebhookError::MalformedBody("the body is not JSON"))?;
                value
                    .pointer(self.pointer())
                    .and_then(serde_json::Value::as_str)
                    .ok_or(WebhookError::MalformedBody("the body carries no secret"))?
                    .as_bytes()
                    .to_vec()
            }
            SecretLocation::Basic => {
                use base64::Engine;
                let not_basic = || WebhookError::MalformedHeader {
                    header: "Authorization".into(),
                    reason: "not Basic credentials",
                };
                let raw = header(headers, "Authorization")?.trim_ascii();
                let encoded = raw.strip_prefix(b"Basic ").ok_or_else(not_basic)?;
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| not_basic())?
            }
        })
    }

    /// The body with the secret at the declared pointer (test kit).
    fn with_secret_in_body(&self, body: &[u8], secret: &str) -> Result<Vec<u8>, WebhookError> {
        let mut value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| WebhookError::MalformedBody("the body is not JSON"))?;
        let pointer = self.pointer();
        let field = pointer.rsplit('/').next().unwrap_or("passcode");
        let parent = &pointer[..pointer.len() - field.len()].trim_end_matches('/');
        let target = if parent.is_empty() {
            Some(&mut value)
        } else {
            value.pointer_mut(parent)
        };
        if let Some(serde_json::Value::Object(m)) = target {
            m.insert(field.to_string(), secret.into());
        }
        serde_json::to_vec(&value).map_err(|_| WebhookError::MalformedBody("cannot re-encode"))
    }
}

impl SchemeFamily for SharedSecretScheme {
    /// The secret itself, compared verbatim.
    type Key = Zeroizing<Vec<u8>>;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        Ok(Zeroizing::new(secret.as_bytes().to_vec()))
    }

    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        let given = self.presented(delivery.headers, delivery.body)?;
        let matches = keys
            .iter()
            .any(|secret| secret.len() == given.len() && bool::from(secret.ct_eq(&given)));
        if matches {
            Ok(())
        } else {
            Err(WebhookError::SignatureMismatch)
        }
    }

    fn sign(&self, key: &Self::Key, message: &Message<'_>) -> Result<Signed, WebhookError> {
        let text = std::str::from_utf8(key)
            .map_err(|_| WebhookError::InvalidSecret("the secret is not text"))?;
        let mut headers = HeaderMap::new();
        match self.location {
            SecretLocation::Header => insert(&mut headers, self.header_name(), text)?,
            SecretLocation::Basic => {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                insert(&mut headers, "Authorization", &format!("Basic {encoded}"))?;
            }
            SecretLocation::Body => {
                return Ok(Signed {
                    headers,
                    body: Some(self.with_secret_in_body(message.body, text)?),
                })
            }
        }
        Ok(Signed::headers(headers))
    }

    // The headers it sends its secret in are the ones it needs.
    fn required_headers(&self) -> Vec<String> {
        self.credential_headers()
    }

    fn credential_headers(&self) -> Vec<String> {
        match self.location {
            SecretLocation::Header => vec![self.header_name().to_ascii_lowercase()],
            SecretLocation::Basic => vec!["authorization".into()],
            SecretLocation::Body => vec![],
        }
    }

    fn tolerance(&self) -> Option<std::time::Duration> {
        None
    }

    fn describe(&self) -> String {
        "Scheme: a shared secret sent back verbatim, compared in constant time.\n\n\
         **This scheme does not protect the body.** It proves only that the sender knows the \
         secret; treat payload contents as untrusted."
            .into()
    }

    fn label(&self) -> String {
        match self.location {
            SecretLocation::Header => format!("shared-secret ({})", self.header_name()),
            SecretLocation::Body => format!("shared-secret (body {})", self.pointer()),
            SecretLocation::Basic => "shared-secret (Basic credentials)".into(),
        }
    }

    fn signing(&self) -> Option<Signing> {
        Some(match self.location {
            SecretLocation::Body => Signing {
                inputs: SignInputs::IntoBody,
                doc: "Put the secret into a JSON body as the vendor would (test kit).",
            },
            SecretLocation::Header | SecretLocation::Basic => Signing {
                inputs: SignInputs::Nothing,
                doc: "The header carrying the secret, as the vendor would send it (test kit).",
            },
        })
    }

    fn construct(&self) -> Code {
        let SharedSecretScheme {
            location,
            header,
            pointer,
        } = self;
        Code::Struct(
            "SharedSecretScheme",
            vec![
                ("location", Code::variant("SecretLocation", location)),
                ("header", Code::owned_option(header)),
                ("pointer", Code::owned_option(pointer)),
            ],
        )
    }
}
