//! The page `listen` serves at `/`: one HTML file with its styles and script inline, embedded
//! in the binary (no build step), updated live over server-sent events.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast;

/// An HTML response.
pub struct Html(pub &'static String);

pub async fn index() -> Html {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    Html(PAGE.get_or_init(|| hookgen_runtime::dashboard::styled(include_str!("page.html"))))
}

/// `delivery` events carrying the id of each new or updated delivery.
pub async fn stream(
    changes: broadcast::Receiver<i64>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
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

pub use hookgen_runtime::dashboard::{body_text as pretty_body, mask};
