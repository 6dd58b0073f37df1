//! The page `listen` serves at `/`: one HTML file with its styles and script inline, embedded
//! in the binary (no build step), updated live over server-sent events.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::App;

/// An HTML response.
pub struct Html(pub &'static str);

pub async fn index() -> Html {
    Html(include_str!("page.html"))
}

/// `delivery` events carrying the id of each new or updated delivery.
pub async fn stream(
    State(app): State<Arc<App>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = app.changes.subscribe();
    let events = futures_util::stream::unfold(changes, |mut changes| async move {
        loop {
            match changes.recv().await {
                Ok(id) => {
                    let event = Event::default().event("delivery").data(id.to_string());
                    return Some((Ok(event), changes));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// Header names whose values are credentials or signatures.
const SENSITIVE: [&str; 7] = [
    "signature",
    "secret",
    "token",
    "authorization",
    "cookie",
    "key",
    "hmac",
];

/// A header value as the page shows it: signatures and secrets masked, keeping their length.
pub fn mask(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if SENSITIVE.iter().any(|s| lower.contains(s)) {
        format!("•••••• (masked, {} characters)", value.chars().count())
    } else {
        value.to_string()
    }
}

/// The body as text for the page: JSON pretty-printed, other text as is, binary summarised.
pub fn pretty_body(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        return serde_json::to_string_pretty(&value).unwrap_or_default();
    }
    match std::str::from_utf8(body) {
        Ok(text) if text.len() <= 256 * 1024 => text.to_string(),
        Ok(text) => format!(
            "{}… ({} bytes in all)",
            &text[..text.floor_char_boundary_compat(256 * 1024)],
            body.len()
        ),
        Err(_) => format!("(binary body, {} bytes, not shown)", body.len()),
    }
}

trait CharBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
}

impl CharBoundary for str {
    fn floor_char_boundary_compat(&self, at: usize) -> usize {
        (0..=at.min(self.len()))
            .rev()
            .find(|i| self.is_char_boundary(*i))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_masked_other_headers_are_not() {
        assert!(mask("webhook-signature", "v1,abc").starts_with("••••••"));
        assert!(mask("X-Hub-Signature-256", "sha256=00").starts_with("••••••"));
        assert!(mask("Authorization", "Bearer x").starts_with("••••••"));
        assert_eq!(mask("content-type", "application/json"), "application/json");
        assert!(!mask("roomz-signature", "SECRETSIG").contains("SECRETSIG"));
    }

    #[test]
    fn bodies_are_pretty_or_summarised() {
        assert_eq!(pretty_body(br#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty_body(b"plain"), "plain");
        assert!(pretty_body(&[0xff, 0xfe]).contains("binary body, 2 bytes"));
        let long = "é".repeat(200_000);
        assert!(pretty_body(long.as_bytes()).ends_with("(400000 bytes in all)"));
    }
}
