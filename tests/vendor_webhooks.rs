//! The shared signature vectors through the generated crates' `Webhook`, where a vendor
//! matches, and each crate's test kit signing what its verifier accepts.

use std::time::{Duration, UNIX_EPOCH};

use hookgen_runtime::{WebhookError, WebhookVerifier};
use hookgen_tests::{clock_of, headers_of, vectors};

fn vectors_of(scheme: &str) -> Vec<serde_json::Value> {
    let v: Vec<_> = vectors()
        .into_iter()
        .filter(|v| v["scheme"] == scheme)
        .collect();
    assert!(!v.is_empty(), "no vectors for {scheme}");
    v
}

fn check<E: std::fmt::Debug>(name: &str, expect: &str, got: Result<E, WebhookError>) {
    match expect {
        "ok" => assert!(got.is_ok(), "{name}: {got:?}"),
        _ => assert!(got.is_err(), "{name}: expected an error, got {got:?}"),
    }
}

/// Every vector of `scheme` through a generated crate's `Webhook`; accepted bodies must
/// decode into the variant `decoded` expects.
fn vendor_vectors<W: WebhookVerifier<Event: std::fmt::Debug>>(
    scheme: &str,
    webhook: impl Fn(&str) -> W,
    decoded: impl Fn(&W::Event) -> bool,
) {
    for v in vectors_of(scheme) {
        let wh = webhook(v["secret"].as_str().unwrap());
        let body = v["payload"].as_str().unwrap().as_bytes();
        let headers = headers_of(&v);
        let got = wh
            .verify_signature_at(&headers, body, clock_of(&v))
            .map(|()| wh.decode(&headers, body));
        if v["expect"] == "ok" {
            assert!(
                matches!(&got, Ok(Ok(event)) if decoded(event)),
                "{}",
                v["name"]
            );
        }
        check(
            v["name"].as_str().unwrap(),
            v["expect"].as_str().unwrap(),
            got,
        );
    }
}

#[test]
fn roomz_vectors() {
    vendor_vectors(
        "roomz",
        |s| roomz_webhooks::Webhook::new(s).unwrap(),
        |e| matches!(e, roomz_webhooks::Event::WorkspaceStatusUpdated(_)),
    );
}

#[test]
fn roostsync_vectors() {
    vendor_vectors(
        "roostsync",
        |s| roostsync_webhooks::Webhook::new(s).unwrap(),
        |e| matches!(e, roostsync_webhooks::Event::BookingCreated(_)),
    );
}

#[test]
fn roam_standard_webhooks_vectors() {
    for v in vectors_of("standard-webhooks") {
        let secrets: Vec<String> = match &v["secret"] {
            serde_json::Value::Array(a) => {
                a.iter().map(|s| s.as_str().unwrap().to_string()).collect()
            }
            s => vec![s.as_str().unwrap().to_string()],
        };
        let wh = roam_webhooks::Webhook::with_secrets(&secrets).unwrap();
        let body = v["payload"].as_str().unwrap().as_bytes();
        let got = wh.verify_signature_at(&headers_of(&v), body, clock_of(&v));
        check(
            v["name"].as_str().unwrap(),
            v["expect"].as_str().unwrap(),
            got,
        );
    }
}

#[test]
fn test_kits_sign_what_verifiers_accept() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let body = br#"{"type":"chat:message:dm","data":{"id":"m1"}}"#;
    let roam = roam_webhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let headers = roam.sign(body, "msg_1", 1_700_000_000).unwrap();
    assert!(matches!(
        roam.verify_at(&headers, body, now),
        Ok(roam_webhooks::Event::ChatMessageDm(_))
    ));
    assert!(matches!(
        roam.verify_at(&headers, body, now + Duration::from_secs(301)),
        Err(WebhookError::TimestampOutOfTolerance { .. })
    ));

    let body = br#"{"event":"email.savedConfiguration","data":{"success":true,"email":"a@b.c","configuratorId":"c","url":"u"}}"#;
    let roomle = roomle_webhooks::Webhook::new("tenant-secret").unwrap();
    let headers = roomle.sign(1_700_000_000).unwrap();
    assert!(roomle.verify_at(&headers, body, now).is_ok());
    let other = roomle_webhooks::Webhook::new("another-secret").unwrap();
    assert!(matches!(
        other.verify_at(&headers, body, now),
        Err(WebhookError::SignatureMismatch)
    ));
}

#[test]
fn insecure_constructor_accepts_anything_but_still_decodes() {
    let wh = roomz_webhooks::Webhook::insecure_without_verification();
    let body = br#"{"type":"x.y"}"#;
    let event = wh.verify(&http::HeaderMap::new(), body).unwrap();
    assert_eq!(event.event_type(), "x.y");
}

#[test]
fn missing_header_and_bad_secret_are_distinct_errors() {
    let wh = roomz_webhooks::Webhook::new("s").unwrap();
    assert!(
        matches!(wh.verify_signature(&http::HeaderMap::new(), b"{}"), Err(WebhookError::MissingHeader(h)) if h == "Roomz-Signature")
    );
    assert!(matches!(
        roomz_webhooks::Webhook::new(""),
        Err(WebhookError::InvalidSecret(_))
    ));
    assert!(matches!(
        roam_webhooks::Webhook::new("whsec_!!!"),
        Err(WebhookError::InvalidSecret(_))
    ));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let wh = roomz_webhooks::Webhook::new("super-secret-value").unwrap();
    let debug = format!("{wh:?}");
    assert!(!debug.contains("super-secret-value"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

#[test]
fn readme_shows_the_receiver_the_tests_run() {
    let root = hookgen_tests::repo_root();
    let lib = std::fs::read_to_string(root.join("examples/roomz-receiver/src/lib.rs")).unwrap();
    let block = lib
        .split("// README:BEGIN\n")
        .nth(1)
        .unwrap()
        .split("// README:END")
        .next()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(block),
        "README's receiver differs from examples/roomz-receiver/src/lib.rs"
    );
}
