//! No signature, a shared secret sent as is: in a header of the integrator's choosing
//! (AssemblyAI), inside the body (Figma's `passcode`), or as HTTP Basic credentials (Chargebee).
//! Compared in constant time. It authenticates the sender but does not protect the body; the
//! generated docs say so.

use http::HeaderMap;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::keys::KeySet;
use super::WebhookError;

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
    pub(crate) fn verify(
        &self,
        keys: &KeySet,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        let given: Vec<u8> = match self.location {
            SecretLocation::Header => {
                let name = self.header.as_deref().unwrap_or("Authorization");
                super::header(headers, name)?.trim_ascii().to_vec()
            }
            SecretLocation::Body => {
                let value: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|_| WebhookError::MalformedBody("the body is not JSON"))?;
                value
                    .pointer(self.pointer.as_deref().unwrap_or("/passcode"))
                    .and_then(serde_json::Value::as_str)
                    .ok_or(WebhookError::MalformedBody("the body carries no secret"))?
                    .as_bytes()
                    .to_vec()
            }
            SecretLocation::Basic => {
                use base64::Engine;
                let raw = super::header(headers, "Authorization")?.trim_ascii();
                let encoded = raw
                    .strip_prefix(b"Basic ")
                    .ok_or(WebhookError::MalformedHeader {
                        header: "Authorization".into(),
                        reason: "not Basic credentials",
                    })?;
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| WebhookError::MalformedHeader {
                        header: "Authorization".into(),
                        reason: "not Basic credentials",
                    })?
            }
        };
        let matches = keys
            .raw()
            .any(|secret| secret.len() == given.len() && bool::from(secret.ct_eq(&given)));
        if matches {
            Ok(())
        } else {
            Err(WebhookError::SignatureMismatch)
        }
    }

    /// Headers (and body field) carrying the secret, as the vendor would send them (test kit).
    pub(crate) fn sign(
        &self,
        keys: &KeySet,
        body: &[u8],
    ) -> Result<(HeaderMap, Vec<u8>), WebhookError> {
        let secret = keys
            .raw()
            .next()
            .ok_or(WebhookError::InvalidSecret("no secret to sign with"))?;
        let text = std::str::from_utf8(secret)
            .map_err(|_| WebhookError::InvalidSecret("the secret is not text"))?;
        let mut headers = HeaderMap::new();
        let mut body = body.to_vec();
        match self.location {
            SecretLocation::Header => super::hmac_scheme::insert(
                &mut headers,
                self.header.as_deref().unwrap_or("Authorization"),
                text,
            )?,
            SecretLocation::Basic => {
                use base64::Engine;
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(text)
                );
                super::hmac_scheme::insert(&mut headers, "Authorization", &value)?;
            }
            SecretLocation::Body => {
                let mut value: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|_| WebhookError::MalformedBody("the body is not JSON"))?;
                let pointer = self.pointer.as_deref().unwrap_or("/passcode");
                let field = pointer.rsplit('/').next().unwrap_or("passcode");
                let parent = &pointer[..pointer.len() - field.len()].trim_end_matches('/');
                let target = if parent.is_empty() {
                    Some(&mut value)
                } else {
                    value.pointer_mut(parent)
                };
                if let Some(serde_json::Value::Object(m)) = target {
                    m.insert(field.to_string(), text.into());
                }
                body = serde_json::to_vec(&value)
                    .map_err(|_| WebhookError::MalformedBody("cannot re-encode"))?;
            }
        }
        Ok((headers, body))
    }
}
