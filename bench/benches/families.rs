//! The newer signature families, each against its bare primitive, 1 KiB bodies, one run:
//! - `jwt` (HS256) vs a bare `jsonwebtoken::decode` of the same token;
//! - `public-key` (ECDSA P-256, SendGrid's layout) vs a bare `ring` verify of the same bytes;
//! - `body-signature` (Adyen, one item) vs a bare HMAC-SHA256 over the signing string;
//! - URL-bound `hmac` (Twilio) vs a bare HMAC-SHA1 over URL + sorted parameters;
//! - `shared-secret` (header) vs a bare constant-time comparison.
//! The ratios are printed at the end; BENCHMARKS.md records them.

use std::time::{Duration, Instant, UNIX_EPOCH};

use base64::Engine;
use criterion::{black_box, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use hookgen_runtime::verify::presets::preset;
use hookgen_runtime::{Scheme, Verifier};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1,
    ECDSA_P256_SHA256_ASN1_SIGNING,
};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const TS: u64 = 1_700_000_000;

fn body() -> Vec<u8> {
    let mut b = b"{\"type\":\"delivered\",\"data\":{\"text\":\"".to_vec();
    b.resize(1024 - 3, b'x');
    b.extend_from_slice(b"\"}}");
    b
}

/// Mean time per call over a fixed number of iterations (after a warm-up), for the ratio table.
fn mean(mut f: impl FnMut()) -> Duration {
    for _ in 0..2_000 {
        f();
    }
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let now = UNIX_EPOCH + Duration::from_secs(TS + 10);
    let body = body();
    let mut rows: Vec<(&str, Duration, Duration)> = Vec::new();

    // jwt, HS256
    let secret = "a-long-enough-shared-secret-for-hs256";
    let scheme: Scheme =
        serde_json::from_value(serde_json::json!({"scheme": "jwt", "algorithm": "HS256"})).unwrap();
    let jwt = Verifier::new(scheme, [secret]).unwrap();
    let headers = jwt.sign(&body, None, Some(TS as i64)).unwrap();
    let token = headers["authorization"].to_str().unwrap()[7..].to_string();
    let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let bare_jwt = || {
        black_box(jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).is_ok());
    };
    let ours_jwt = || {
        black_box(jwt.verify_at(&headers, &body, now).is_ok());
    };
    assert!(jwt.verify_at(&headers, &body, now).is_ok());
    c.bench_function("jwt_hs256/bare_jsonwebtoken", |b| b.iter(bare_jwt));
    c.bench_function("jwt_hs256/hookgen", |b| b.iter(ours_jwt));
    rows.push((
        "jwt HS256 vs jsonwebtoken::decode",
        mean(ours_jwt),
        mean(bare_jwt),
    ));

    // public-key, ECDSA P-256 (SendGrid)
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let public = pair.public_key().as_ref().to_vec();
    let message = [TS.to_string().as_bytes(), &body].concat();
    let signature = pair.sign(&rng, &message).unwrap().as_ref().to_vec();
    let b64 = base64::engine::general_purpose::STANDARD;
    let sendgrid =
        Verifier::new(preset("sendgrid").unwrap().scheme(), [b64.encode(&public)]).unwrap();
    let mut pk_headers = http::HeaderMap::new();
    pk_headers.insert(
        "x-twilio-email-event-webhook-signature",
        b64.encode(&signature).parse().unwrap(),
    );
    pk_headers.insert(
        "x-twilio-email-event-webhook-timestamp",
        TS.to_string().parse().unwrap(),
    );
    assert!(sendgrid.verify_at(&pk_headers, &body, now).is_ok());
    let bare_pk = || {
        let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &public);
        black_box(key.verify(&message, &signature).is_ok());
    };
    let ours_pk = || {
        black_box(sendgrid.verify_at(&pk_headers, &body, now).is_ok());
    };
    c.bench_function("ecdsa_p256/bare_ring", |b| b.iter(bare_pk));
    c.bench_function("ecdsa_p256/hookgen", |b| b.iter(ours_pk));
    rows.push((
        "public-key ECDSA P-256 vs ring verify",
        mean(ours_pk),
        mean(bare_pk),
    ));

    // body-signature (Adyen, one item)
    let hex_key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
    let adyen = Verifier::new(preset("adyen").unwrap().scheme(), [hex_key]).unwrap();
    let item = serde_json::json!({"notificationItems": [{"NotificationRequestItem": {
        "pspReference": "7914073381342284", "originalReference": "", "merchantAccountCode": "HookgenECOM",
        "merchantReference": "x".repeat(700), "amount": {"value": 1130, "currency": "EUR"},
        "eventCode": "AUTHORISATION", "success": "true"}}]});
    let adyen_body = adyen
        .sign_body(&serde_json::to_vec(&item).unwrap())
        .unwrap();
    let empty = http::HeaderMap::new();
    assert!(adyen.verify_at(&empty, &adyen_body, now).is_ok());
    let key_bytes: Vec<u8> = (0..hex_key.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex_key[i..i + 2], 16).unwrap())
        .collect();
    let signing = format!(
        "7914073381342284::HookgenECOM:{}:1130:EUR:AUTHORISATION:true",
        "x".repeat(700)
    );
    let bare_body = || {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key_bytes).unwrap();
        mac.update(signing.as_bytes());
        black_box(mac.finalize().into_bytes());
    };
    let ours_body = || {
        black_box(adyen.verify_at(&empty, &adyen_body, now).is_ok());
    };
    c.bench_function("body_signature/bare_hmac", |b| b.iter(bare_body));
    c.bench_function("body_signature/hookgen", |b| b.iter(ours_body));
    rows.push((
        "body-signature (Adyen) vs HMAC of the signing string",
        mean(ours_body),
        mean(bare_body),
    ));

    // URL-bound (Twilio)
    let twilio = Verifier::new(
        preset("twilio").unwrap().scheme(),
        ["12345678901234567890123456789012"],
    )
    .unwrap();
    let url = "https://receiver.example.com/webhooks/twilio?tenant=acme";
    let form = format!(
        "CallSid=CA1234567890ABCDE&From=%2B12349013030&To=%2B18005551212&Body={}",
        "x".repeat(900)
    );
    let tw_headers = twilio
        .sign_request(url, form.as_bytes(), None, None)
        .unwrap();
    assert!(twilio
        .verify_request_at(url, &tw_headers, form.as_bytes(), now)
        .is_ok());
    let sorted = format!(
        "{url}Body{}CallSidCA1234567890ABCDEFrom+12349013030To+18005551212",
        "x".repeat(900)
    );
    let bare_url = || {
        let mut mac =
            Hmac::<sha1::Sha1>::new_from_slice(b"12345678901234567890123456789012").unwrap();
        mac.update(sorted.as_bytes());
        black_box(mac.finalize().into_bytes());
    };
    let ours_url = || {
        black_box(
            twilio
                .verify_request_at(url, &tw_headers, form.as_bytes(), now)
                .is_ok(),
        );
    };
    c.bench_function("url_hmac/bare_hmac_sha1", |b| b.iter(bare_url));
    c.bench_function("url_hmac/hookgen", |b| b.iter(ours_url));
    rows.push((
        "URL-bound HMAC (Twilio) vs HMAC-SHA1 of URL + sorted form",
        mean(ours_url),
        mean(bare_url),
    ));

    // shared-secret (header)
    let scheme: Scheme = serde_json::from_value(serde_json::json!({"scheme": "shared-secret", "in": "header", "header": "X-Webhook-Secret"})).unwrap();
    let shared = Verifier::new(scheme, ["s3cret-value-of-thirty-two-bytes"]).unwrap();
    let ss_headers = shared.sign(&body, None, None).unwrap();
    let bare_ss = || {
        black_box(bool::from(
            b"s3cret-value-of-thirty-two-bytes".ct_eq(ss_headers["x-webhook-secret"].as_bytes()),
        ));
    };
    let ours_ss = || {
        black_box(shared.verify_at(&ss_headers, &body, now).is_ok());
    };
    c.bench_function("shared_secret/bare_ct_eq", |b| b.iter(bare_ss));
    c.bench_function("shared_secret/hookgen", |b| b.iter(ours_ss));
    rows.push((
        "shared-secret vs constant-time compare",
        mean(ours_ss),
        mean(bare_ss),
    ));

    c.final_summary();
    println!("\n| family (1 KiB) | hookgen | bare primitive | ratio |\n|---|---|---|---|");
    for (name, ours, bare) in rows {
        println!(
            "| {name} | {:.2} µs | {:.2} µs | {:.2}x |",
            ours.as_secs_f64() * 1e6,
            bare.as_secs_f64() * 1e6,
            ours.as_secs_f64() / bare.as_secs_f64()
        );
    }
}
