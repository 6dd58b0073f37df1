//! Every vector in `tests/data/test-vectors.json` (copied from the shared signature vectors)
//! through the runtime's verifier, with each scheme declared the way a spec declares it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hookgen_runtime::{Scheme, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

/// The `x-webhook-signature` declaration for each scheme named in the vectors.
pub fn scheme_for(name: &str) -> Scheme {
    let decl = match name {
        "standard-webhooks" => json!({"scheme": "standard-webhooks"}),
        "github" => json!({"scheme": "hmac", "header": "X-Hub-Signature-256", "prefix": "sha256="}),
        "stripe" => json!({"scheme": "hmac", "header": "Stripe-Signature", "format": "key-value",
                           "signatureKey": "v1", "timestampKey": "t", "signedContent": "{timestamp}.{body}"}),
        "slack" => json!({"scheme": "hmac", "header": "X-Slack-Signature", "prefix": "v0=",
                          "timestampHeader": "X-Slack-Request-Timestamp", "signedContent": "v0:{timestamp}:{body}"}),
        "shopify" => {
            json!({"scheme": "hmac", "header": "X-Shopify-Hmac-Sha256", "encoding": "base64"})
        }
        "roomz" => json!({"scheme": "hmac", "algorithm": "sha512", "header": "Roomz-Signature",
                          "alternateHeaders": ["X-Roomz-Signature"], "encoding": "base64"}),
        "roostsync" => {
            json!({"scheme": "hmac", "header": "X-RoostSync-Signature", "prefix": "sha256="})
        }
        other => panic!("no declaration for scheme {other}"),
    };
    serde_json::from_value(decl).expect("declaration parses")
}

fn vectors() -> Vec<Value> {
    let text = include_str!("data/test-vectors.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn headers_of(v: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, val) in v["headers"].as_object().unwrap() {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(val.as_str().unwrap()).unwrap(),
        );
    }
    h
}

fn body_of(v: &Value) -> Vec<u8> {
    match v.get("payload_b64").and_then(Value::as_str) {
        Some(b) => base64::engine::general_purpose::STANDARD.decode(b).unwrap(),
        None => v["payload"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn clock(v: &Value) -> SystemTime {
    // Schemes without a timestamp ignore the clock; any instant will do.
    let secs = v["now"].as_u64().unwrap_or(1_700_000_000);
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn secrets_of(v: &Value) -> Vec<String> {
    match &v["secret"] {
        Value::Array(items) => items
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect(),
        Value::String(s) => vec![s.clone()],
        other => panic!("secret {other}"),
    }
}

#[test]
fn every_vector_gives_its_expected_outcome() {
    let mut checked = 0;
    for v in vectors() {
        let name = v["name"].as_str().unwrap();
        let verifier =
            Verifier::new(scheme_for(v["scheme"].as_str().unwrap()), secrets_of(&v)).unwrap();
        let got = verifier.verify_at(&headers_of(&v), &body_of(&v), clock(&v));
        match v["expect"].as_str().unwrap() {
            "ok" => assert!(got.is_ok(), "{name}: expected ok, got {got:?}"),
            _ => assert!(got.is_err(), "{name}: expected an error"),
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} vectors");
}

#[test]
fn roomz_accepts_the_older_header_name() {
    let v = vectors()
        .into_iter()
        .find(|v| v["name"] == "roomz-valid")
        .unwrap();
    let sig = v["headers"]["Roomz-Signature"].as_str().unwrap();
    let mut h = HeaderMap::new();
    h.insert("x-roomz-signature", HeaderValue::from_str(sig).unwrap());
    let verifier = Verifier::new(scheme_for("roomz"), secrets_of(&v)).unwrap();
    verifier.verify_at(&h, &body_of(&v), clock(&v)).unwrap();
}

#[test]
fn standard_webhooks_reads_the_svix_header_family_and_signs_either() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = br#"{"type":"user.created","data":{"id":"user_1"}}"#;
    let svix: Scheme =
        serde_json::from_value(json!({"scheme": "standard-webhooks", "headers": "svix"})).unwrap();
    let signer = Verifier::new(svix, [secret]).unwrap();
    let headers = signer.sign(body, Some("msg_1"), None).unwrap();
    let names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["svix-id", "svix-timestamp", "svix-signature"]);
    // The default declaration (webhook-* when signing) verifies the svix-* family too.
    let plain = Verifier::new(scheme_for("standard-webhooks"), [secret]).unwrap();
    plain.verify(&headers, body).unwrap();
    let mut tampered = headers.clone();
    tampered.insert("svix-id", HeaderValue::from_static("msg_2"));
    assert!(plain.verify(&tampered, body).is_err());
    // One family at a time: a webhook-id beside svix-* headers is looked up in its own family.
    let mut mixed = headers.clone();
    mixed.insert("webhook-id", HeaderValue::from_static("msg_1"));
    let err = plain.verify(&mixed, body).unwrap_err();
    assert!(err.to_string().contains("webhook-timestamp"), "{err}");
}

/// Deliveries signed by the vendors' own libraries (`scripts/vendor-vectors.sh`), through the
/// preset each names; a copy with one body byte changed must fail.
#[test]
fn vendor_library_vectors_verify_through_their_presets() {
    let file: Value = serde_json::from_str(include_str!("vendor-vectors.json")).unwrap();
    for v in file["vectors"].as_array().unwrap() {
        let preset =
            hookgen_runtime::verify::presets::preset(v["preset"].as_str().unwrap()).unwrap();
        let verifier = Verifier::new(preset.scheme(), [v["secret"].as_str().unwrap()]).unwrap();
        let headers = headers_of(v);
        // Schemes that sign the URL are verified with it; without it they say so.
        let verify_at = |headers: &HeaderMap, body: &[u8], now: SystemTime| match v["url"].as_str()
        {
            Some(url) => verifier.verify_request_at(url, headers, body, now),
            None => verifier.verify_at(headers, body, now),
        };
        if v["url"].is_string() {
            assert!(verifier.verify(&headers, b"").is_err());
        }
        let body = v["body"].as_str().unwrap().as_bytes().to_vec();
        let now = UNIX_EPOCH + Duration::from_secs(v["now"].as_u64().unwrap());
        assert!(verify_at(&headers, &body, now).is_ok(), "{}", v["library"]);
        assert!(
            verify_at(&headers, &tampered(v), now).is_err(),
            "{}: tampered copy verified",
            v["library"]
        );
        if preset.scheme().tolerance().is_some() {
            let late = now + Duration::from_secs(3600);
            assert!(
                verify_at(&headers, &body, late).is_err(),
                "{}: replay window",
                v["library"]
            );
        }
    }
}

/// A vector's body with a signed part changed: `tamper: [from, to]`, else byte 10 flipped.
fn tampered(v: &Value) -> Vec<u8> {
    let body = v["body"].as_str().unwrap();
    match v["tamper"].as_array() {
        Some(pair) => body
            .replacen(pair[0].as_str().unwrap(), pair[1].as_str().unwrap(), 1)
            .into_bytes(),
        None => {
            let mut b = body.as_bytes().to_vec();
            b[10] ^= 1;
            b
        }
    }
}

/// The algorithm is pinned by the declaration: `none` and a token of another algorithm are
/// refused, and a public-key scheme refuses a key of the wrong kind when it is built.
#[test]
fn jwt_algorithm_is_pinned_and_keys_are_checked() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let hs: Scheme =
        serde_json::from_value(json!({"scheme": "jwt", "algorithm": "HS256"})).unwrap();
    let verifier = Verifier::new(hs, ["a-long-enough-shared-secret-for-hs256"]).unwrap();
    let now = SystemTime::now();
    let iat = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let good = verifier.sign(b"{}", None, Some(iat as i64)).unwrap();
    assert!(verifier.verify_at(&good, b"{}", now).is_ok());
    let unsigned = format!(
        "Bearer {}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&json!({"iat": iat}))
    );
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_str(&unsigned).unwrap());
    assert!(verifier.verify_at(&headers, b"{}", now).is_err());
    let rs: Scheme =
        serde_json::from_value(json!({"scheme": "jwt", "algorithm": "RS256"})).unwrap();
    assert!(Verifier::new(rs, ["not a key"]).is_err());
    let pk = hookgen_runtime::verify::presets::preset("sendgrid")
        .unwrap()
        .scheme();
    let err = Verifier::new(pk, ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).unwrap_err();
    assert!(err.to_string().contains("public key"), "{err}");
}

/// Shared secrets (Figma's passcode, Chargebee's Basic credentials, a header): accepted only
/// when equal, and a body field sent back is found where declared.
#[test]
fn shared_secrets_in_a_header_the_body_or_basic_credentials() {
    let now = SystemTime::now();
    for (declaration, body) in [
        (
            json!({"scheme": "shared-secret", "in": "header", "header": "X-Webhook-Secret"}),
            &b"{}"[..],
        ),
        (
            json!({"scheme": "shared-secret", "in": "basic"}),
            &b"{}"[..],
        ),
        (
            json!({"scheme": "shared-secret", "in": "body", "pointer": "/passcode"}),
            &br#"{"event_type":"PING"}"#[..],
        ),
    ] {
        let scheme: Scheme = serde_json::from_value(declaration.clone()).unwrap();
        let good = Verifier::new(scheme.clone(), ["user:s3cret"]).unwrap();
        let headers = good.sign(body, None, None).unwrap();
        let body = good.sign_body(body).unwrap();
        assert!(
            good.verify_at(&headers, &body, now).is_ok(),
            "{declaration}"
        );
        let other = Verifier::new(scheme, ["user:s3cres"]).unwrap();
        assert!(
            other.verify_at(&headers, &body, now).is_err(),
            "{declaration}"
        );
        assert!(
            good.verify_at(&HeaderMap::new(), b"{}", now).is_err(),
            "{declaration}"
        );
    }
}
