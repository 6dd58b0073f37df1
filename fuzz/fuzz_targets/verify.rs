//! Every signature scheme's verify over arbitrary headers × body × secret.
//! Input: secret, then header values, then the body, separated by NUL bytes.
#![no_main]
use std::time::{Duration, UNIX_EPOCH};

use hookgen_runtime::verify::{
    Algorithm, Encoding, HmacScheme, StandardWebhooks, TokenPlaintext, TokenScheme,
};
use hookgen_runtime::{Scheme, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};

const NAMES: [&str; 16] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "stripe-signature",
    "x-slack-signature",
    "x-slack-request-timestamp",
    "roomz-signature",
    "x-roomle-token",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "authorization",
    "x-twilio-email-event-webhook-signature",
    "x-twilio-email-event-webhook-timestamp",
    "x-twilio-signature",
    "paddle-signature",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let Some((secret, rest)) = parts.split_first() else {
        return;
    };
    let secret = String::from_utf8_lossy(secret);
    let (body, values) = match rest.split_last() {
        Some((body, values)) => (*body, values),
        None => (&b""[..], &[][..]),
    };
    let mut headers = HeaderMap::new();
    for (i, v) in values.iter().enumerate() {
        if let Ok(value) = HeaderValue::from_bytes(v) {
            headers.append(HeaderName::from_static(NAMES[i % NAMES.len()]), value);
        }
    }
    let schemes = [
        Scheme::StandardWebhooks(StandardWebhooks::default()),
        Scheme::Hmac(
            HmacScheme::new("Stripe-Signature")
                .key_value("v1", "t")
                .signed_content("{timestamp}.{body}"),
        ),
        Scheme::Hmac(
            HmacScheme::new("X-Slack-Signature")
                .prefix("v0=")
                .timestamp_header("X-Slack-Request-Timestamp")
                .signed_content("v0:{timestamp}:{body}"),
        ),
        Scheme::Hmac(
            HmacScheme::new("Roomz-Signature")
                .algorithm(Algorithm::Sha512)
                .encoding(Encoding::Base64),
        ),
        Scheme::EncryptedToken(TokenScheme {
            plaintext: TokenPlaintext::UnixTimestamp,
            ..TokenScheme::default()
        }),
    ];
    // Every preset too (JWT, public keys, signatures in the body, URL-bound, shared secrets):
    // the secret bytes double as a PEM/DER/JWK key for the public-key ones.
    let presets = hookgen_runtime::verify::presets::presets().iter().map(|p| p.scheme());
    let now = UNIX_EPOCH
        + Duration::from_secs(u64::from(u32::from_le_bytes([data.len() as u8, 1, 2, 0])));
    // An arbitrary signed-content template (a spec can carry any text there): parsed, signed
    // and verified without a panic, multi-byte literals and unclosed placeholders included.
    let template = Scheme::Hmac(
        HmacScheme::new("Roomz-Signature")
            .timestamp_header("webhook-timestamp")
            .signed_content(&*String::from_utf8_lossy(body)),
    );
    if let Ok(v) = Verifier::new(template.clone(), [secret.as_ref()]) {
        let _ = v.sign(body, Some("msg"), Some(1));
    }
    for scheme in schemes.into_iter().chain([template]).chain(presets) {
        if let Ok(v) = Verifier::new(scheme, [secret.as_ref()]) {
            let _ = v.verify_at(&headers, body, now);
            let _ = v.verify_request_at("https://example.com/hook?a=1", &headers, body, now);
        }
    }
});
