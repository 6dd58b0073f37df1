//! `cargo hookgen verify`: check one delivery against the spec's scheme and say precisely why
//! it does not verify. Secrets are never printed.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookgen_runtime::reexports::http::{HeaderMap, HeaderName, HeaderValue};
use hookgen_runtime::{Scheme, Verifier, WebhookError};

use hookgen::ir::Api;

/// What the delivery consists of, as given on the command line.
pub struct Delivery<'a> {
    pub secrets: &'a [String],
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: Option<String>,
    pub at: Option<i64>,
}

/// `Ok(message)` when the delivery verifies, `Err(reason)` when it does not. Usage problems
/// (no scheme declared) are `Err` from [`scheme_of`] before this runs.
pub fn verify(scheme: &Scheme, delivery: &Delivery<'_>) -> Result<String, String> {
    let verifier = Verifier::new(scheme.clone(), delivery.secrets).map_err(|e| match e {
        WebhookError::InvalidSecret(why) => format!(
            "the key given with --secret cannot be used for this scheme ({why}); is it the right kind of key?"
        ),
        other => other.to_string(),
    })?;
    let now = match delivery.at {
        Some(t) if t >= 0 => UNIX_EPOCH + Duration::from_secs(t.unsigned_abs()),
        Some(t) => UNIX_EPOCH - Duration::from_secs(t.unsigned_abs()),
        None => SystemTime::now(),
    };
    let result =
        match &delivery.url {
            Some(url) => verifier.verify_request_at(url, &delivery.headers, &delivery.body, now),
            None if verifier.needs_url() => return Err(
                "this scheme signs the request URL: give the full URL the vendor called with --url"
                    .into(),
            ),
            None => verifier.verify_at(&delivery.headers, &delivery.body, now),
        };
    match result {
        Ok(()) => Ok(format!(
            "verified: {} over {} body bytes",
            hookgen::emit::scheme_label(scheme),
            delivery.body.len()
        )),
        Err(e) => Err(explain(
            &e,
            scheme,
            &delivery.headers,
            delivery.secrets.len(),
        )),
    }
}

fn explain(e: &WebhookError, scheme: &Scheme, headers: &HeaderMap, keys: usize) -> String {
    match e {
        WebhookError::MissingHeader(h) => {
            let present: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
            format!(
                "the header `{h}` is missing; this scheme reads {}; the delivery has {}",
                scheme.required_headers().join(", "),
                if present.is_empty() {
                    "no headers".to_string()
                } else {
                    present.join(", ")
                }
            )
        }
        WebhookError::TimestampOutOfTolerance { timestamp, now } => {
            let tolerance = scheme.tolerance().unwrap_or_default().as_secs() as i64;
            let delta = now.saturating_sub(*timestamp);
            let (how, by) = if delta > 0 {
                ("old", delta)
            } else {
                ("in the future", delta.saturating_neg())
            };
            format!(
                "the timestamp {timestamp} is {by} s {how} (clock {now}); the window is ±{tolerance} s, \
                 so it is {} s outside it (use --at to verify a recorded delivery)",
                by.saturating_sub(tolerance)
            )
        }
        WebhookError::SignatureMismatch => format!(
            "no signature in the delivery matches {} (the body must be the exact bytes received, \
             not re-serialised JSON)",
            if keys == 1 {
                "the key".to_string()
            } else {
                format!("any of the {keys} keys")
            }
        ),
        other => other.to_string(),
    }
}

/// The spec's declared scheme, or why there is none.
pub fn scheme_of(api: &Api) -> Result<Scheme, String> {
    api.signature
        .as_ref()
        .map(|s| s.scheme.clone())
        .ok_or_else(|| "the spec declares no signature scheme (see `cargo hookgen schemes`)".into())
}

/// Headers from `-H 'Name: value'` arguments.
pub fn headers_from_args(args: &[String]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for a in args {
        let (name, value) = a
            .split_once(':')
            .ok_or_else(|| format!("-H {a:?}: expected `Name: value`"))?;
        insert(&mut map, name.trim(), value.trim())?;
    }
    Ok(map)
}

/// Headers from a file: a JSON object of name → value (or list of values), or `Name: value`
/// lines as an HTTP request shows them (a request line and blank lines are skipped).
pub fn headers_from_file(path: &Path) -> Result<HeaderMap, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut map = HeaderMap::new();
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(&text) {
        for (name, value) in obj {
            let values = match value {
                serde_json::Value::Array(items) => items,
                other => vec![other],
            };
            for v in values {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                insert(&mut map, &name, &v)?;
            }
        }
        return Ok(map);
    }
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            Some((name, value)) if !name.contains(' ') => {
                insert(&mut map, name.trim(), value.trim())?
            }
            _ => {} // `POST /hook HTTP/1.1`
        }
    }
    Ok(map)
}

fn insert(map: &mut HeaderMap, name: &str, value: &str) -> Result<(), String> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    let v = HeaderValue::from_str(value)
        .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
    map.append(n, v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> Scheme {
        hookgen_runtime::verify::presets::preset("github")
            .unwrap()
            .scheme()
    }

    #[test]
    fn reasons_are_precise_and_never_show_the_secret() {
        let secret = vec!["It's a Secret to Everybody".to_string()];
        let body = b"Hello, World!".to_vec();
        let good = headers_from_args(&[
            "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".into(),
        ])
        .unwrap();
        let d = |headers: HeaderMap, body: &[u8]| Delivery {
            secrets: &secret,
            headers,
            body: body.to_vec(),
            url: None,
            at: None,
        };
        assert!(verify(&github(), &d(good.clone(), &body)).is_ok());
        let e = verify(&github(), &d(good, b"Hello, World?")).unwrap_err();
        assert!(
            e.starts_with("no signature in the delivery matches the key"),
            "{e}"
        );
        let e = verify(&github(), &d(HeaderMap::new(), &body)).unwrap_err();
        assert!(e.contains("`X-Hub-Signature-256` is missing"), "{e}");
        assert!(!e.contains("Secret to Everybody"));
    }

    #[test]
    fn the_window_says_how_far_outside_it_is() {
        let scheme = hookgen_runtime::verify::presets::preset("stripe")
            .unwrap()
            .scheme();
        let secret = vec!["whsec_test".to_string()];
        let v = Verifier::new(scheme.clone(), &secret).unwrap();
        let headers = v.sign(b"{}", None, Some(1_000)).unwrap();
        let d = Delivery {
            secrets: &secret,
            headers,
            body: b"{}".to_vec(),
            url: None,
            at: Some(2_000),
        };
        let e = verify(&scheme, &d).unwrap_err();
        assert!(
            e.contains("is 1000 s old") && e.contains("700 s outside"),
            "{e}"
        );
    }

    #[test]
    fn header_files_are_json_or_http_lines() {
        let dir = std::env::temp_dir().join(format!("hookgen-headers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let json = dir.join("h.json");
        std::fs::write(
            &json,
            r#"{"Stripe-Signature": "t=1,v1=ab", "X-Multi": ["a", "b"]}"#,
        )
        .unwrap();
        let h = headers_from_file(&json).unwrap();
        assert_eq!(h.get_all("x-multi").iter().count(), 2);
        let http = dir.join("h.txt");
        std::fs::write(
            &http,
            "POST /hook HTTP/1.1\nStripe-Signature: t=1,v1=ab\n\n",
        )
        .unwrap();
        assert_eq!(
            headers_from_file(&http).unwrap()["stripe-signature"],
            "t=1,v1=ab"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
