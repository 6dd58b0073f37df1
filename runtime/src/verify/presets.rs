//! Named signature schemes of real vendors: a declaration can say `{preset: github}` instead of
//! spelling the parameters out; keys beside `preset` override the preset's.
//!
//! Each preset is a declaration in the `x-webhook-signature` shape, written from the vendor's
//! documentation, which [`Preset::docs`] cites:
//!
//! | preset | vendor | how it signs |
//! |---|---|---|
//! | `standard-webhooks` | [Standard Webhooks](https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md) | HMAC-SHA256 over `{id}.{timestamp}.{body}`, `webhook-*` headers |
//! | `svix` | [Svix](https://docs.svix.com/receiving/verifying-payloads/how-manual) | the same under `svix-*` headers |
//! | `clerk` | [Clerk](https://clerk.com/docs/webhooks/sync-data) | Svix |
//! | `resend` | [Resend](https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests) | Svix |
//! | `openai` | [OpenAI](https://platform.openai.com/docs/guides/webhooks) | Standard Webhooks |
//! | `github` | [GitHub](https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries) | `X-Hub-Signature-256: sha256=<hex>` over the body |
//! | `stripe` | [Stripe](https://docs.stripe.com/webhooks#verify-manually) | `Stripe-Signature: t=..,v1=<hex>` over `{t}.{body}` |
//! | `slack` | [Slack](https://api.slack.com/authentication/verifying-requests-from-slack) | `X-Slack-Signature: v0=<hex>` over `v0:{timestamp}:{body}` |
//! | `shopify` | [Shopify](https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify) | `X-Shopify-Hmac-Sha256: <base64>` over the body |
//! | `zoom` | [Zoom](https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events) | `x-zm-signature: v0=<hex>` over `v0:{timestamp}:{body}` |
//! | `pagerduty` | [PagerDuty](https://developer.pagerduty.com/docs/webhooks/v3-overview/#verifying-signatures) | `X-PagerDuty-Signature: v1=<hex>[,v1=...]` over the body |
//! | `paddle` | [Paddle](https://developer.paddle.com/webhooks/signature-verification) | `Paddle-Signature: ts=..;h1=<hex>` over `{ts}:{body}` |
//! | `lago` | [Lago](https://getlago.com/docs/api-reference/webhooks/format---signature#hmac) | `X-Lago-Signature: <base64>` over the body (the HMAC option) |
//! | `xero` | [Xero](https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/) | `x-xero-signature: <base64>` over the body |
//! | `dropbox-sign` | [Dropbox Sign](https://developers.hellosign.com/docs/events/walkthrough/) | `event.event_hash` in the body: hex HMAC-SHA256 (API key) over `event_time` + `event_type` |
//! | `adyen` | [Adyen](https://docs.adyen.com/development-resources/webhooks/verify-hmac-signatures/) | `additionalData.hmacSignature` of every notification item: base64 HMAC-SHA256 (hex key) over eight fields |
//! | `adyen-platform` | [Adyen](https://docs.adyen.com/development-resources/webhooks/verify-hmac-signatures/#verify-using-the-hmac-signature-header) | `HmacSignature: <base64>` over the body, hex key (balance platform, management webhooks) |
//! | `vonage` | [Vonage](https://developer.vonage.com/en/getting-started/concepts/webhooks#validating-signed-webhooks) | `Authorization: Bearer <JWT>`, HS256 with the signature secret, `payload_hash` = SHA-256 of the body |
//! | `sendgrid` | [SendGrid](https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features) | ECDSA P-256, base64 DER in `X-Twilio-Email-Event-Webhook-Signature` over `{timestamp}{body}`; the key is SendGrid's public key |
//! | `lob` | [Lob](https://help.lob.com/print-and-mail/getting-data-and-results/using-webhooks#securing-your-webhooks) | `Lob-Signature: <hex>` over `{timestamp}.{body}`, `Lob-Signature-Timestamp` in milliseconds |
//! | `twilio` | [Twilio](https://www.twilio.com/docs/usage/webhooks/webhooks-security) | `X-Twilio-Signature: <base64>` HMAC-SHA1 (auth token) over the full URL + the sorted form parameters |
//! | `roomz`, `roam`, `roostsync`, `roomle` | the seed vendors' docs (`specs/<vendor>/`) | as their specs declare |

use serde_json::{json, Value};

use super::Scheme;

/// One vendor's scheme, by name.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name a declaration uses: `github`.
    pub name: &'static str,
    /// Who signs this way.
    pub vendor: &'static str,
    /// The vendor documentation the preset is written from.
    pub docs: &'static str,
    declaration: fn() -> Value,
}

impl Preset {
    /// The preset as an `x-webhook-signature` declaration.
    pub fn declaration(&self) -> Value {
        (self.declaration)()
    }

    /// The preset's scheme.
    pub fn scheme(&self) -> Scheme {
        // Every preset is checked by the tests below to deserialize.
        serde_json::from_value(self.declaration()).unwrap_or(Scheme::None)
    }
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "standard-webhooks",
        vendor: "Standard Webhooks",
        docs: "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
        declaration: || json!({"scheme": "standard-webhooks"}),
    },
    Preset {
        name: "svix",
        vendor: "Svix",
        docs: "https://docs.svix.com/receiving/verifying-payloads/how-manual",
        declaration: || json!({"scheme": "standard-webhooks", "headers": "svix"}),
    },
    Preset {
        name: "clerk",
        vendor: "Clerk (sends through Svix)",
        docs: "https://clerk.com/docs/webhooks/sync-data",
        declaration: || json!({"scheme": "standard-webhooks", "headers": "svix"}),
    },
    Preset {
        name: "resend",
        vendor: "Resend (sends through Svix)",
        docs: "https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests",
        declaration: || json!({"scheme": "standard-webhooks", "headers": "svix"}),
    },
    Preset {
        name: "openai",
        vendor: "OpenAI",
        docs: "https://platform.openai.com/docs/guides/webhooks",
        declaration: || json!({"scheme": "standard-webhooks"}),
    },
    Preset {
        name: "github",
        vendor: "GitHub",
        docs: "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
        declaration: || {
            json!({"scheme": "hmac", "header": "X-Hub-Signature-256", "prefix": "sha256="})
        },
    },
    Preset {
        name: "stripe",
        vendor: "Stripe",
        docs: "https://docs.stripe.com/webhooks#verify-manually",
        declaration: || {
            json!({"scheme": "hmac", "header": "Stripe-Signature", "format": "key-value",
                   "signatureKey": "v1", "timestampKey": "t", "signedContent": "{timestamp}.{body}"})
        },
    },
    Preset {
        name: "slack",
        vendor: "Slack",
        docs: "https://api.slack.com/authentication/verifying-requests-from-slack",
        declaration: || {
            json!({"scheme": "hmac", "header": "X-Slack-Signature", "prefix": "v0=",
                   "signedContent": "v0:{timestamp}:{body}",
                   "timestampHeader": "X-Slack-Request-Timestamp"})
        },
    },
    Preset {
        name: "shopify",
        vendor: "Shopify",
        docs: "https://shopify.dev/docs/apps/build/webhooks/subscribe/https",
        declaration: || {
            // Shopify also delivers with `shopify-*` headers, without the `X-` (accepted by
            // @shopify/shopify-api 13; Shopify/shopify-app-js#3028).
            json!({"scheme": "hmac", "header": "X-Shopify-Hmac-Sha256",
                   "alternateHeaders": ["Shopify-Hmac-Sha256"], "encoding": "base64"})
        },
    },
    Preset {
        name: "zoom",
        vendor: "Zoom",
        docs: "https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events",
        declaration: || {
            json!({"scheme": "hmac", "header": "x-zm-signature", "prefix": "v0=",
                   "signedContent": "v0:{timestamp}:{body}",
                   "timestampHeader": "x-zm-request-timestamp"})
        },
    },
    Preset {
        name: "pagerduty",
        vendor: "PagerDuty (v3 webhooks)",
        docs: "https://developer.pagerduty.com/docs/webhooks/v3-overview/#verifying-signatures",
        declaration: || {
            json!({"scheme": "hmac", "header": "X-PagerDuty-Signature", "format": "key-value",
                   "signatureKey": "v1"})
        },
    },
    Preset {
        name: "paddle",
        vendor: "Paddle Billing",
        docs: "https://developer.paddle.com/webhooks/signature-verification",
        declaration: || {
            json!({"scheme": "hmac", "header": "Paddle-Signature", "format": "key-value",
                   "separator": ";", "signatureKey": "h1", "timestampKey": "ts",
                   "signedContent": "{timestamp}:{body}"})
        },
    },
    Preset {
        name: "lago",
        vendor: "Lago (HMAC signatures)",
        docs: "https://getlago.com/docs/api-reference/webhooks/format---signature#hmac",
        declaration: || {
            json!({"scheme": "hmac", "header": "X-Lago-Signature", "encoding": "base64"})
        },
    },
    Preset {
        name: "xero",
        vendor: "Xero",
        docs: "https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/",
        declaration: || {
            json!({"scheme": "hmac", "header": "x-xero-signature", "encoding": "base64"})
        },
    },
    Preset {
        name: "dropbox-sign",
        vendor: "Dropbox Sign (HelloSign)",
        docs: "https://developers.hellosign.com/docs/events/walkthrough/",
        declaration: || {
            json!({"scheme": "body-signature", "signature": "/event/event_hash",
                   "signedContent": "{body:/event/event_time}{body:/event/event_type}"})
        },
    },
    Preset {
        name: "adyen",
        vendor: "Adyen (standard notifications)",
        docs: "https://docs.adyen.com/development-resources/webhooks/verify-hmac-signatures/",
        declaration: || {
            json!({"scheme": "body-signature", "items": "/notificationItems",
                   "item": "/NotificationRequestItem", "signature": "/additionalData/hmacSignature",
                   "signedContent": "{body:/pspReference}:{body:/originalReference}:{body:/merchantAccountCode}:{body:/merchantReference}:{body:/amount/value}:{body:/amount/currency}:{body:/eventCode}:{body:/success}",
                   "encoding": "base64", "secretEncoding": "hex"})
        },
    },
    Preset {
        name: "adyen-platform",
        vendor: "Adyen (balance platform, management)",
        docs: "https://docs.adyen.com/development-resources/webhooks/verify-hmac-signatures/",
        declaration: || {
            json!({"scheme": "hmac", "header": "HmacSignature", "encoding": "base64",
                   "secretEncoding": "hex"})
        },
    },
    Preset {
        name: "vonage",
        vendor: "Vonage (signed webhooks)",
        docs: "https://developer.vonage.com/en/getting-started/concepts/webhooks#validating-signed-webhooks",
        declaration: || {
            json!({"scheme": "jwt", "algorithm": "HS256", "bodyHashClaim": "payload_hash"})
        },
    },
    Preset {
        name: "sendgrid",
        vendor: "SendGrid (Event Webhook)",
        docs: "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
        declaration: || {
            json!({"scheme": "public-key", "algorithm": "ecdsa-p256-sha256",
                   "header": "X-Twilio-Email-Event-Webhook-Signature",
                   "timestampHeader": "X-Twilio-Email-Event-Webhook-Timestamp",
                   "signedContent": "{timestamp}{body}"})
        },
    },
    Preset {
        name: "lob",
        vendor: "Lob",
        docs: "https://help.lob.com/print-and-mail/getting-data-and-results/using-webhooks#securing-your-webhooks",
        declaration: || {
            json!({"scheme": "hmac", "header": "Lob-Signature", "signedContent": "{timestamp}.{body}",
                   "timestampHeader": "Lob-Signature-Timestamp", "timestampUnit": "milliseconds"})
        },
    },
    Preset {
        name: "twilio",
        vendor: "Twilio (form-encoded webhooks)",
        docs: "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
        declaration: || {
            json!({"scheme": "hmac", "header": "X-Twilio-Signature", "algorithm": "sha1",
                   "encoding": "base64", "signedContent": "{url}{form}"})
        },
    },
    Preset {
        name: "roomz",
        vendor: "ROOMZ",
        docs: "seed 000 and vendor-notes (specs/roomz)",
        declaration: || {
            json!({"scheme": "hmac", "algorithm": "sha512", "header": "Roomz-Signature",
                   "alternateHeaders": ["X-Roomz-Signature"], "encoding": "base64"})
        },
    },
    Preset {
        name: "roam",
        vendor: "Roam",
        docs: "seed 004 and vendor-notes (specs/roam)",
        declaration: || json!({"scheme": "standard-webhooks"}),
    },
    Preset {
        name: "roostsync",
        vendor: "RoostSync",
        docs: "seed 003 (specs/roostsync)",
        declaration: || {
            json!({"scheme": "hmac", "header": "X-RoostSync-Signature", "prefix": "sha256="})
        },
    },
    Preset {
        name: "roomle",
        vendor: "Roomle",
        docs: "seed 002 (specs/roomle); header, encoding, key derivation and plaintext are documented defaults",
        declaration: || json!({"scheme": "encrypted-token"}),
    },
];

/// Every preset, in the order `cargo hookgen schemes` lists them.
pub fn presets() -> &'static [Preset] {
    PRESETS
}

/// The preset of this name.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// A declaration with `preset: NAME` expanded: the preset's keys, then the declaration's own
/// keys over them. A declaration without `preset` is returned as it is.
pub fn expand(declaration: &Value) -> Result<Value, String> {
    let Some(name) = declaration.get("preset") else {
        return Ok(declaration.clone());
    };
    let found = name.as_str().and_then(preset).ok_or_else(|| {
        format!(
            "unknown preset {name}; the presets are {}",
            PRESETS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let mut out = found.declaration();
    if let (Value::Object(out), Value::Object(own)) = (&mut out, declaration) {
        for (k, v) in own.iter().filter(|(k, _)| *k != "preset") {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_a_valid_scheme() {
        for p in presets() {
            let scheme: Result<Scheme, _> = serde_json::from_value(p.declaration());
            assert!(scheme.is_ok(), "{}: {scheme:?}", p.name);
            assert_ne!(p.scheme(), Scheme::None, "{}", p.name);
        }
    }

    #[test]
    fn shopify_deliveries_verify_with_either_header_spelling() {
        let verifier = crate::Verifier::new(preset("shopify").unwrap().scheme(), ["hush"]).unwrap();
        let body = br#"{"id": 1}"#;
        let signed = verifier.sign(body, None, None).unwrap();
        let signature = signed.get("x-shopify-hmac-sha256").unwrap().clone();
        for name in ["x-shopify-hmac-sha256", "shopify-hmac-sha256"] {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::HeaderName::from_static(name), signature.clone());
            assert!(verifier.verify(&headers, body).is_ok(), "{name}");
        }
        let mut tampered = http::HeaderMap::new();
        tampered.insert("shopify-hmac-sha256", signature);
        assert!(verifier.verify(&tampered, b"{}").is_err());
    }

    /// Dropbox Sign's own fixture (`test_fixtures/EventCallbackHelper_AccountCallbacks.json`,
    /// `account`, with the API key of its `EventCallbackHelper` tests), posted as Dropbox Sign
    /// posts it: multipart form data whose `json` field holds the event.
    #[test]
    fn dropbox_sign_multipart_deliveries_verify() {
        let key = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782";
        let event = r#"{"account_guid": "63522885f9261e2b04eea043933ee7313eb674fd", "event": {"event_time": "1348177752", "event_type": "account_confirmed", "event_hash": "6dc5b7aad93cf54915e0089d6c31d61b3833f66f51459171c69f8fa211308848"}}"#;
        let multipart = format!(
            "--Xb0und\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{event}\r\n--Xb0und--\r\n"
        );
        let scheme = preset("dropbox-sign").unwrap().scheme();
        let verifier = crate::Verifier::new(scheme.clone(), [key]).unwrap();
        let headers = http::HeaderMap::new();
        assert!(verifier.verify(&headers, event.as_bytes()).is_ok());
        assert!(verifier.verify(&headers, multipart.as_bytes()).is_ok());
        let reversed: String = key.chars().rev().collect();
        let wrong = crate::Verifier::new(scheme, [reversed]).unwrap();
        assert!(wrong.verify(&headers, multipart.as_bytes()).is_err());
    }

    #[test]
    fn keys_beside_the_preset_override_it() {
        let d = expand(&json!({"preset": "github", "tolerance": 60, "header": "X-Other"})).unwrap();
        assert_eq!(d["header"], "X-Other");
        assert_eq!(d["prefix"], "sha256=");
        assert_eq!(d["tolerance"], 60);
        let e = expand(&json!({"preset": "nope"})).unwrap_err();
        assert!(e.contains("github"), "{e}");
    }
}
