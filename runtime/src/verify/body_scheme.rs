//! Signatures inside the body: the signature sits at a JSON pointer and the signed content is a
//! template over body fields. Dropbox Sign signs `event_time` + `event_type` with the API key;
//! Adyen signs eight fields of each notification item with a hex HMAC key, and a batch verifies
//! only if every item does.

use serde::Deserialize;
use serde_json::Value;

use super::code::Code;
use super::error::WebhookError;
use super::family::{Delivery, Message, SchemeFamily, SignInputs, Signed, Signing};
use super::primitives::{
    encode_signature, signature_matches, Algorithm, Encoding, KeyedMac, SecretEncoding,
};

/// An HMAC carried inside the JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BodySignatureScheme {
    /// Hash function of the HMAC.
    #[serde(default)]
    pub algorithm: Algorithm,
    /// A JSON pointer to an array of items, each signed on its own (Adyen: `/notificationItems`).
    /// Without it, the whole body is the one signed object.
    #[serde(default)]
    pub items: Option<String>,
    /// Within each item, a pointer to the signed object (Adyen: `/NotificationRequestItem`).
    #[serde(default)]
    pub item: Option<String>,
    /// Pointer (within the signed object) to the signature.
    pub signature: String,
    /// What is signed: literal text and `{body:/pointer}` fields of the signed object; a
    /// missing field is empty text, a number or boolean its JSON text.
    pub signed_content: String,
    /// How the signature is written.
    #[serde(default)]
    pub encoding: Encoding,
    /// How the secret becomes key bytes (Adyen: hex).
    #[serde(default)]
    pub secret_encoding: SecretEncoding,
}

impl BodySignatureScheme {
    /// The signed objects of a body: each item, or the body itself.
    fn signed_objects<'b>(&self, body: &'b Value) -> Result<Vec<&'b Value>, WebhookError> {
        let Some(items) = &self.items else {
            return Ok(vec![body]);
        };
        let list = body
            .pointer(items)
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
            .ok_or(WebhookError::MalformedBody(
                "the body has no items to verify",
            ))?;
        list.iter()
            .map(|item| match &self.item {
                Some(p) => item
                    .pointer(p)
                    .ok_or(WebhookError::MalformedBody("an item has no signed object")),
                None => Ok(item),
            })
            .collect()
    }

    /// The signed content of one object, following the template.
    pub(crate) fn content(&self, object: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = self.signed_content.as_str();
        while let Some(start) = rest.find("{body:") {
            out.extend_from_slice(&rest.as_bytes()[..start]);
            let after = &rest[start + "{body:".len()..];
            let Some(end) = after.find('}') else {
                out.extend_from_slice(&rest.as_bytes()[start..]);
                return out;
            };
            match object.pointer(&after[..end]) {
                Some(Value::String(s)) => out.extend_from_slice(s.as_bytes()),
                Some(Value::Null) | None => {}
                Some(other) => out.extend_from_slice(other.to_string().as_bytes()),
            }
            rest = &after[end + 1..];
        }
        out.extend_from_slice(rest.as_bytes());
        out
    }

    fn check(&self, keys: &[KeyedMac], body: &[u8]) -> Result<(), WebhookError> {
        // The body as the SDK decodes it: Dropbox Sign posts multipart form data whose `json`
        // field holds the signed event.
        let json = crate::wire::body_as_json(body, None);
        let body: Value = serde_json::from_slice(json.as_deref().unwrap_or(body))
            .map_err(|_| WebhookError::MalformedBody("the body is not JSON"))?;
        for object in self.signed_objects(&body)? {
            let signature = object
                .pointer(&self.signature)
                .and_then(Value::as_str)
                .ok_or(WebhookError::MalformedBody(
                    "a signed object carries no signature",
                ))?;
            let content = self.content(object);
            let any = keys.iter().cloned().any(|mut mac| {
                mac.update(&content);
                let (expected, n) = mac.finish();
                signature_matches(self.encoding, signature.as_bytes(), &expected[..n])
            });
            if !any {
                return Err(WebhookError::SignatureMismatch);
            }
        }
        Ok(())
    }

    /// Sign every signed object of a JSON body in place, as the vendor would (test kit).
    fn signed_body(&self, key: &KeyedMac, body: &[u8]) -> Result<Vec<u8>, WebhookError> {
        let mut value: Value = serde_json::from_slice(body)
            .map_err(|_| WebhookError::MalformedBody("the body is not JSON"))?;
        let count = self.signed_objects(&value)?.len();
        for i in 0..count {
            let object = match (&self.items, &self.item) {
                (None, _) => &mut value,
                (Some(items), item) => {
                    let entry = value
                        .pointer_mut(items)
                        .and_then(|l| l.get_mut(i))
                        .ok_or(WebhookError::MalformedBody("an item disappeared"))?;
                    match item {
                        Some(p) => entry
                            .pointer_mut(p)
                            .ok_or(WebhookError::MalformedBody("an item has no signed object"))?,
                        None => entry,
                    }
                }
            };
            let mut mac = key.clone();
            mac.update(&self.content(object));
            let (out, n) = mac.finish();
            let text = encode_signature(self.encoding, &out[..n]);
            set_pointer(object, &self.signature, Value::String(text))?;
        }
        serde_json::to_vec(&value).map_err(|_| WebhookError::MalformedBody("cannot re-encode"))
    }
}

impl SchemeFamily for BodySignatureScheme {
    type Key = KeyedMac;

    fn key(&self, secret: &str) -> Result<Self::Key, WebhookError> {
        KeyedMac::from_secret(self.algorithm, secret, self.secret_encoding)
    }

    fn verify(&self, keys: &[Self::Key], delivery: &Delivery<'_>) -> Result<(), WebhookError> {
        self.check(keys, delivery.body)
    }

    fn sign(&self, key: &Self::Key, message: &Message<'_>) -> Result<Signed, WebhookError> {
        Ok(Signed {
            headers: http::HeaderMap::new(),
            body: Some(self.signed_body(key, message.body)?),
        })
    }

    fn required_headers(&self) -> Vec<String> {
        Vec::new()
    }

    fn tolerance(&self) -> Option<std::time::Duration> {
        None
    }

    fn describe(&self) -> String {
        let scope = if self.items.is_some() {
            "every item (all must verify)"
        } else {
            "the body"
        };
        format!(
            "Scheme: an HMAC inside the JSON body, at `{}` of {scope}, over `{}`. Fields outside \
             that template are not covered by it.",
            self.signature, self.signed_content
        )
    }

    fn label(&self) -> String {
        format!(
            "body-signature-hmac-{:?} (at {})",
            self.algorithm, self.signature
        )
        .to_lowercase()
    }

    fn signing(&self) -> Option<Signing> {
        Some(Signing {
            inputs: SignInputs::IntoBody,
            doc: "Sign a JSON body as the vendor would (test kit): the signature goes inside it, so\n\
                  the signed body is returned (re-encoded).",
        })
    }

    fn construct(&self) -> Code {
        let BodySignatureScheme {
            algorithm,
            items,
            item,
            signature,
            signed_content,
            encoding,
            secret_encoding,
        } = self;
        Code::Struct(
            "BodySignatureScheme",
            vec![
                ("algorithm", Code::variant("Algorithm", algorithm)),
                ("items", Code::owned_option(items)),
                ("item", Code::owned_option(item)),
                ("signature", Code::Owned(signature.clone())),
                ("signed_content", Code::Owned(signed_content.clone())),
                ("encoding", Code::variant("Encoding", encoding)),
                ("secret_encoding", Code::variant("SecretEncoding", secret_encoding)),
            ],
        )
    }
}

/// Write `value` at `pointer`, creating objects on the way.
fn set_pointer(target: &mut Value, pointer: &str, value: Value) -> Result<(), WebhookError> {
    let mut cur = target;
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = segments.split_last() else {
        return Err(WebhookError::MalformedBody("empty signature pointer"));
    };
    for s in parents {
        if !cur.is_object() {
            return Err(WebhookError::MalformedBody(
                "the signature's parent is not an object",
            ));
        }
        cur = cur
            .as_object_mut()
            .map(|m| {
                m.entry(s.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            })
            .ok_or(WebhookError::MalformedBody(
                "the signature's parent is not an object",
            ))?;
    }
    cur.as_object_mut()
        .ok_or(WebhookError::MalformedBody(
            "the signature's parent is not an object",
        ))?
        .insert(last.clone(), value);
    Ok(())
}
