//! The inbox page inside your own receiver (feature `dashboard`): the deliveries of a durable
//! inbox, their state, attempts and last error, headers (signatures and credentials masked)
//! and body. It is never exposed unless you mount it, every request passes your auth hook
//! first, and it is read-only unless you allow replay.
//!
//! ```ignore
//! let dashboard = Dashboard::new(inbox.clone())
//!     .auth(|headers| headers.get("x-admin-token").is_some_and(|t| t == "s3cret"))
//!     .allow_replay(true);
//! let app = running.router("/webhooks/roomz").nest("/admin/webhooks", dashboard.router());
//! ```

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::inbox::{Delivery, Inbox, ListFilter, Replay, State as RowState};

type Auth = Arc<dyn Fn(&HeaderMap) -> bool + Send + Sync>;

/// Builds the dashboard's routes over an inbox.
pub struct Dashboard {
    inbox: Arc<dyn Inbox>,
    auth: Option<Auth>,
    allow_replay: bool,
}

struct Shared {
    inbox: Arc<dyn Inbox>,
    allow_replay: bool,
}

impl Dashboard {
    /// Read-only, and refusing every request until [`Dashboard::auth`] says who may look.
    pub fn new(inbox: Arc<dyn Inbox>) -> Self {
        Dashboard {
            inbox,
            auth: None,
            allow_replay: false,
        }
    }

    /// Who may see the dashboard: called with each request's headers; `false` answers 401.
    pub fn auth(mut self, allowed: impl Fn(&HeaderMap) -> bool + Send + Sync + 'static) -> Self {
        self.auth = Some(Arc::new(allowed));
        self
    }

    /// Let the page replay deliveries (make them pending again). Off by default.
    pub fn allow_replay(mut self, allowed: bool) -> Self {
        self.allow_replay = allowed;
        self
    }

    /// The routes: `/` (the page), `/api/deliveries`, `/api/deliveries/{id}`, and
    /// `/api/deliveries/{id}/replay`. Nest them under a path of your choosing.
    pub fn router(self) -> Router {
        let auth: Auth = self.auth.unwrap_or_else(|| Arc::new(|_: &HeaderMap| false));
        let shared = Arc::new(Shared {
            inbox: self.inbox,
            allow_replay: self.allow_replay,
        });
        Router::new()
            .route("/", get(page))
            .route("/api/deliveries", get(list))
            .route("/api/deliveries/{id}", get(detail))
            .route("/api/deliveries/{id}/replay", post(replay))
            .with_state(shared)
            .layer(middleware::from_fn(move |request: Request, next: Next| {
                let auth = auth.clone();
                async move {
                    if auth(request.headers()) {
                        next.run(request).await
                    } else {
                        (StatusCode::UNAUTHORIZED, "not allowed").into_response()
                    }
                }
            }))
    }
}

/// The styles both hookgen pages share (this dashboard and `cargo hookgen listen`).
pub const STYLE: &str = include_str!("style.css");

/// `template` with its `/*STYLE*/` placeholder filled in.
pub fn styled(template: &str) -> String {
    template.replacen("/*STYLE*/", STYLE, 1)
}

async fn page() -> Response {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let html = PAGE.get_or_init(|| styled(include_str!("page.html")));
    (
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
        ],
        html.as_str(),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct Filter {
    state: Option<String>,
    event_type: Option<String>,
}

async fn list(State(shared): State<Arc<Shared>>, Query(filter): Query<Filter>) -> Response {
    let filter = ListFilter {
        state: filter.state.as_deref().and_then(RowState::parse),
        event_type: filter.event_type.filter(|t| !t.is_empty()),
        limit: Some(200),
    };
    match shared.inbox.list(&filter).await {
        Ok(rows) => Json(serde_json::json!({
            "replay": shared.allow_replay,
            "deliveries": rows.iter().map(summary).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

fn summary(d: &Delivery) -> serde_json::Value {
    serde_json::json!({
        "id": d.id,
        "source": d.source,
        "key": d.key,
        "state": d.state.as_str(),
        "event_type": d.event_type,
        "attempts": d.attempts,
        "received_at": millis(d.received_at),
        "last_error": d.last_error,
    })
}

fn millis(t: std::time::SystemTime) -> i64 {
    crate::inbox::to_millis(t)
}

async fn detail(State(shared): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    match shared.inbox.get(id).await {
        Ok(Some(d)) => {
            let mut value = summary(&d);
            value["headers"] = serde_json::json!(d
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), mask(k, v)))
                .collect::<Vec<_>>());
            value["body"] = serde_json::json!(body_text(&d.body));
            value["body_bytes"] = serde_json::json!(d.body.len());
            value["next_run_at"] = serde_json::json!(millis(d.next_run_at));
            Json(value).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "no such delivery").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn replay(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    // Behind cookie authentication, another site's form would carry the cookie: refuse what a
    // form can send, and other origins.
    if let Err(refusal) = crate::guard::check_state_change(&headers) {
        return (StatusCode::FORBIDDEN, refusal.to_string()).into_response();
    }
    if !shared.allow_replay {
        return (
            StatusCode::FORBIDDEN,
            "replay is off: enable it with Dashboard::allow_replay(true)",
        )
            .into_response();
    }
    match shared.inbox.replay(Replay::Id(id)).await {
        Ok(0) => (StatusCode::NOT_FOUND, "no such delivery").into_response(),
        Ok(_) => Json(serde_json::json!({"id": id, "state": "pending"})).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// Header names whose values are signatures or credentials.
const SENSITIVE: [&str; 7] = [
    "signature",
    "secret",
    "token",
    "authorization",
    "cookie",
    "key",
    "hmac",
];

/// A header value as shown: signatures and secrets masked, keeping their length.
pub fn mask(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if SENSITIVE.iter().any(|s| lower.contains(s)) {
        format!("•••••• (masked, {} characters)", value.chars().count())
    } else {
        value.to_string()
    }
}

/// Text longer than this is cut in the page.
const SHOWN_TEXT: usize = 256 * 1024;

/// The body as text: JSON pretty-printed, other text as is (cut at 256 KiB), binary summarised.
pub fn body_text(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        return serde_json::to_string_pretty(&value).unwrap_or_default();
    }
    match std::str::from_utf8(body) {
        Ok(text) if text.len() <= SHOWN_TEXT => text.to_string(),
        Ok(text) => {
            let cut = (0..=SHOWN_TEXT)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            format!("{}… ({} bytes in all)", &text[..cut], body.len())
        }
        Err(_) => format!("(binary body, {} bytes, not shown)", body.len()),
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
        assert_eq!(body_text(br#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(body_text(b"plain"), "plain");
        assert!(body_text(&[0xff, 0xfe]).contains("binary body, 2 bytes"));
        let long = "é".repeat(200_000);
        assert!(body_text(long.as_bytes()).ends_with("(400000 bytes in all)"));
    }

    #[test]
    fn pages_get_the_shared_style() {
        let page = styled(include_str!("page.html"));
        assert!(!page.contains("/*STYLE*/") && page.contains("grid-template-columns"));
    }
}
