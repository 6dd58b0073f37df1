//! `cargo hookgen send`: sign an example payload with the vendor's scheme and POST it.

use std::path::Path;
use std::time::{Duration, Instant};

use hookgen_runtime::Verifier;

use hookgen::ir::Api;

pub struct Outcome {
    pub status: u16,
    pub reason: String,
    pub elapsed: Duration,
}

pub fn send(
    api: &Api,
    event: &str,
    to: &str,
    secret: &str,
    payload: Option<&Path>,
) -> Result<Outcome, String> {
    let body = match payload {
        Some(p) => std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => example_body(api, event)?,
    };
    let scheme = api
        .signature
        .as_ref()
        .map(|s| s.scheme.clone())
        .ok_or("the spec declares no signature scheme; nothing to sign with")?;
    let verifier = Verifier::new(scheme, [secret]).map_err(|e| e.to_string())?;
    let body = verifier.sign_body(&body).map_err(|e| e.to_string())?;
    let id = delivery_id();
    let headers = if verifier.needs_url() {
        verifier.sign_request(to, &body, Some(&id), None)
    } else {
        verifier.sign(&body, Some(&id), None)
    }
    .map_err(|e| e.to_string())?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut request = agent.post(to).set("content-type", "application/json");
    for (name, value) in &headers {
        request = request.set(name.as_str(), value.to_str().unwrap_or_default());
    }
    let started = Instant::now();
    match request.send_bytes(&body) {
        Ok(resp) => Ok(Outcome {
            status: resp.status(),
            reason: resp.status_text().to_string(),
            elapsed: started.elapsed(),
        }),
        Err(ureq::Error::Status(code, resp)) => Ok(Outcome {
            status: code,
            reason: resp.status_text().to_string(),
            elapsed: started.elapsed(),
        }),
        Err(e) => Err(format!("POST {to}: {e}")),
    }
}

/// The event's first example from the spec, or a minimal body naming the event.
fn example_body(api: &Api, event: &str) -> Result<Vec<u8>, String> {
    let e = api.events.iter().find(|e| e.name == event).ok_or_else(|| {
        let known: Vec<&str> = api.events.iter().map(|e| e.name.as_str()).collect();
        format!(
            "no event `{event}` in the spec (known: {})",
            known.join(", ")
        )
    })?;
    let value = match e.examples.first() {
        Some(ex) => ex.value.clone(),
        None => match api.identity.top_level_field() {
            Some(field) => serde_json::json!({ field.as_str(): event }),
            None => {
                return Err(format!(
                    "the spec has no example for `{event}`; pass --payload FILE"
                ))
            }
        },
    };
    serde_json::to_vec(&value).map_err(|e| e.to_string())
}

/// A delivery id unique across sends (time since the epoch in nanoseconds, plus a counter for
/// sends within one nanosecond), so receivers that deduplicate by id see distinct deliveries.
fn delivery_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "msg_hookgen_{nanos:x}_{}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
