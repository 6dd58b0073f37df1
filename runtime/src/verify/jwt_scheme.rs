//! A JWS in a header (or `Authorization: Bearer`), checked with `jsonwebtoken`. The algorithm
//! is pinned by the declaration, so `none` and HS/RS confusion cannot happen: a token whose
//! header names another algorithm is refused, and the key is built for the declared one only.
//! Optionally a claim binds the token to the body (Vonage: `payload_hash`, hex SHA-256).

use std::time::Duration;

use http::HeaderMap;
use jsonwebtoken::{Algorithm as JwsAlgorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, SignInputs, Signed, Signing};
use super::pem::as_pem;
use super::primitives::{check_window, header, insert};

/// Signature algorithms a declaration may pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret.
    HS256,
    /// RSA PKCS#1 v1.5 with SHA-256; the key is a public key (PEM, base64 DER or JWK).
    RS256,
    /// ECDSA P-256 with SHA-256; the key is a public key (PEM, base64 DER or JWK).
    ES256,
    /// Ed25519; the key is a public key (PEM, base64 DER or JWK).
    EdDSA,
}

impl JwtAlgorithm {
    fn jws(self) -> JwsAlgorithm {
        match self {
            JwtAlgorithm::HS256 => JwsAlgorithm::HS256,
            JwtAlgorithm::RS256 => JwsAlgorithm::RS256,
            JwtAlgorithm::ES256 => JwsAlgorithm::ES256,
            JwtAlgorithm::EdDSA => JwsAlgorithm::EdDSA,
        }
    }
}

/// A signed JWT accompanying each delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JwtScheme {
    /// The header carrying the token; a `Bearer ` prefix is removed (default `Authorization`).
    #[serde(default = "authorization")]
    pub header: String,
    /// The one algorithm accepted.
    pub algorithm: JwtAlgorithm,
    /// Required `iss`, when set.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    #[serde(default)]
    pub audience: Option<String>,
    /// A claim holding the hex SHA-256 of the raw body (Vonage: `payload_hash`).
    #[serde(default)]
    pub body_hash_claim: Option<String>,
    /// Clock leeway for `exp`, `nbf` and `iat`, in seconds (default 300).
    #[serde(default = "default_tolerance", rename = "tolerance")]
    pub tolerance_seconds: u64,
}

fn authorization() -> String {
    "Authorization".into()
}

fn default_tolerance() -> u64 {
    300
}

/// The key of a verifier for this scheme, built once.
pub(crate) struct JwtKey {
    decoding: DecodingKey,
    /// Kept only for HS256, where the same secret signs (test kit).
    signing: Option<EncodingKey>,
}

impl JwtScheme {
    fn jwt_key(&self, secret: &str) -> Result<JwtKey, WebhookError> {
        let secret = secret.trim();
        if self.algorithm == JwtAlgorithm::HS256 {
            return Ok(JwtKey {
                decoding: DecodingKey::from_secret(secret.as_bytes()),
                signing: Some(EncodingKey::from_secret(secret.as_bytes())),
            });
        }
        let decoding = if secret.starts_with('{') {
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(secret)
                .map_err(|_| WebhookError::InvalidSecret("the key is not a valid JWK"))?;
            DecodingKey::from_jwk(&jwk)
                .map_err(|_| WebhookError::InvalidSecret("the JWK is not a usable public key"))?
        } else {
            let pem = as_pem(secret)?;
            let parsed = match self.algorithm {
                JwtAlgorithm::RS256 => DecodingKey::from_rsa_pem(pem.as_bytes()),
                JwtAlgorithm::ES256 => DecodingKey::from_ec_pem(pem.as_bytes()),
                JwtAlgorithm::EdDSA => DecodingKey::from_ed_pem(pem.as_bytes()),
                JwtAlgorithm::HS256 => unreachable!("handled above"),
            };
            parsed.map_err(|_| {
                WebhookError::InvalidSecret("the key is not a public key of the declared algorithm")
            })?
        };
        Ok(JwtKey {
            decoding,
            signing: None,
        })
    }

    fn token<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, WebhookError> {
        let raw = header(headers, &self.header)?;
        let text = std::str::from_utf8(raw).map_err(|_| WebhookError::MalformedHeader {
            header: self.header.clone(),
            reason: "not ASCII",
        })?;
        let text = text.trim();
        Ok(text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .unwrap_or(text))
    }

    fn check(&self, keys: &[JwtKey], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        let Delivery {
            headers,
            body,
            now,
            tolerance,
            ..
        } = *delivery;
        let token = self.token(headers)?;
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| WebhookError::MalformedHeader {
                header: self.header.clone(),
                reason: "not a JWT",
            })?;
        if header.alg != self.algorithm.jws() {
            return Err(WebhookError::MalformedHeader {
                header: self.header.clone(),
                reason: "the token's algorithm is not the declared one",
            });
        }
        let mut validation = Validation::new(self.algorithm.jws());
        // Time claims are checked below against the verifier's clock, not the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        let mut last = WebhookError::SignatureMismatch;
        for key in keys {
            match jsonwebtoken::decode::<serde_json::Value>(token, &key.decoding, &validation) {
                Ok(data) => return self.check_claims(&data.claims, body, now, tolerance),
                Err(e) => {
                    if let jsonwebtoken::errors::ErrorKind::InvalidSignature = e.kind() {
                        last = WebhookError::SignatureMismatch;
                    } else {
                        last = WebhookError::MalformedHeader {
                            header: self.header.clone(),
                            reason: "the token cannot be verified",
                        };
                    }
                }
            }
        }
        Err(last)
    }

    fn check_claims(
        &self,
        claims: &serde_json::Value,
        body: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        let leeway = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
        let time = |name: &str| claims.get(name).and_then(serde_json::Value::as_i64);
        if let Some(exp) = time("exp") {
            if now > exp.saturating_add(leeway) {
                return Err(WebhookError::TimestampOutOfTolerance {
                    timestamp: exp,
                    now,
                });
            }
        }
        if let Some(nbf) = time("nbf") {
            if nbf > now.saturating_add(leeway) {
                return Err(WebhookError::TimestampOutOfTolerance {
                    timestamp: nbf,
                    now,
                });
            }
        }
        // `iat` is the delivery's timestamp: the same replay window as every other scheme.
        if let Some(iat) = time("iat") {
            check_window(iat, now, tolerance)?;
        }
        let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str);
        if let Some(iss) = &self.issuer {
            if text("iss") != Some(iss.as_str()) {
                return Err(WebhookError::SignatureMismatch);
            }
        }
        if let Some(aud) = &self.audience {
            let matches = match claims.get("aud") {
                Some(serde_json::Value::String(a)) => a == aud,
                Some(serde_json::Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(aud)),
                _ => false,
            };
            if !matches {
                return Err(WebhookError::SignatureMismatch);
            }
        }
        if let Some(claim) = &self.body_hash_claim {
            let expected: String = Sha256::digest(body)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let given = text(claim).unwrap_or_default().to_ascii_lowercase();
            if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(WebhookError::SignatureMismatch);
            }
        }
        Ok(())
    }

    /// A token for this body, as the vendor would send it (HS256 only: the other algorithms
    /// are verified with public keys, which cannot sign).
    fn token_for(
        &self,
        key: &JwtKey,
        body: &[u8],
        timestamp: i64,
    ) -> Result<HeaderMap, WebhookError> {
        let signing = key
            .signing
            .as_ref()
            .ok_or(WebhookError::InvalidSecret("a public key cannot sign"))?;
        let mut claims =
            serde_json::json!({"iat": timestamp, "jti": format!("hookgen-{timestamp}")});
        if let Some(iss) = &self.issuer {
            claims["iss"] = iss.clone().into();
        }
        if let Some(aud) = &self.audience {
            claims["aud"] = aud.clone().into();
        }
        if let Some(claim) = &self.body_hash_claim {
            let hash: String = Sha256::digest(body)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            claims[claim] = hash.into();
        }
        let token = jsonwebtoken::encode(&Header::new(self.algorithm.jws()), &claims, signing)
            .map_err(|_| WebhookError::InvalidSecret("the secret cannot sign"))?;
        let mut headers = HeaderMap::new();
        insert(&mut headers, &self.header, &format!("Bearer {token}"))?;
        Ok(headers)
    }
}

impl SchemeFamily for JwtScheme {
    type Key = JwtKey;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        self.jwt_key(secret)
    }

    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        self.check(keys, delivery)
    }

    fn sign(&self, key: &Self::Key, message: &Message<'_>) -> Result<Signed, WebhookError> {
        self.token_for(key, message.body, message.timestamp)
            .map(Signed::headers)
    }

    fn required_headers(&self) -> Vec<String> {
        vec![self.header.to_ascii_lowercase()]
    }

    fn tolerance(&self) -> Option<Duration> {
        Some(Duration::from_secs(self.tolerance_seconds))
    }

    fn describe(&self) -> String {
        let binding = match &self.body_hash_claim {
            Some(c) => format!(", bound to the body by its `{c}` claim"),
            None => "; it does not cover the body".to_string(),
        };
        format!(
            "Scheme: a {:?} JWT in the `{}` header (the algorithm is pinned){binding}.",
            self.algorithm, self.header
        )
    }

    fn label(&self) -> String {
        format!("jwt-{:?} ({})", self.algorithm, self.header)
    }

    fn signing(&self) -> Option<Signing> {
        Some(Signing {
            inputs: SignInputs::BodyTimestamp,
            doc: "A token for this body as the vendor would send it (test kit; shared-secret\n\
                  algorithms only, a public key cannot sign).",
        })
    }

    fn construct(&self) -> Code {
        let JwtScheme {
            header,
            algorithm,
            issuer,
            audience,
            body_hash_claim,
            tolerance_seconds,
        } = self;
        Code::Struct(
            "JwtScheme",
            vec![
                ("header", Code::Owned(header.clone())),
                ("algorithm", Code::variant("JwtAlgorithm", algorithm)),
                ("issuer", Code::owned_option(issuer)),
                ("audience", Code::owned_option(audience)),
                ("body_hash_claim", Code::owned_option(body_hash_claim)),
                ("tolerance_seconds", Code::Int(*tolerance_seconds)),
            ],
        )
    }
}
