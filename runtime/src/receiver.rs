//! An axum receiver that does what every vendor's docs ask: verify over the raw body, answer
//! 2xx fast, process asynchronously, expect duplicates.
//!
//! - signature problems → 401 with no detail; missing or malformed headers → 400; a body over
//!   the limit (default 1 MiB) → 413;
//! - accepted → 202 as soon as the event is queued for the worker, not when processing ends;
//! - queue full → 503 (vendors that retry will retry), never a silent drop or a blocked request;
//! - duplicates (same `webhook-id`, else the event id) within the TTL → 200, processed once, also
//!   when both copies arrive at the same time;
//! - a body that verifies but does not decode goes to a callback with the raw bytes (default:
//!   logged and acknowledged), so nothing is lost;
//! - one `tracing` span per delivery with event type, id, outcome and latency; never secrets or signatures.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use tokio::sync::{mpsc, Semaphore};
use tracing::Instrument;

use crate::{DecodeError, WebhookError, WebhookVerifier};

/// Remembers which deliveries were already accepted. In memory by default; implement it over
/// a shared store (Redis, a database) when several receivers run.
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Record `key`; true if it was not seen within `ttl` (the delivery should be processed).
    fn first_seen<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
    /// Forget `key` (the delivery could not be queued, so a retry must be accepted).
    fn forget<'a>(&'a self, key: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// An in-process [`IdempotencyStore`] with expiry.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    seen: Mutex<HashMap<String, Instant>>,
}

impl InMemoryStore {
    fn check(&self, key: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, at| now.duration_since(*at) < ttl);
        }
        match seen.get(key) {
            Some(at) if now.duration_since(*at) < ttl => false,
            _ => {
                seen.insert(key.to_string(), now);
                true
            }
        }
    }
}

impl IdempotencyStore for InMemoryStore {
    fn first_seen<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        let fresh = self.check(key, ttl);
        Box::pin(async move { fresh })
    }

    fn forget<'a>(&'a self, key: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Box::pin(async {})
    }
}

type DecodeFailure = Arc<dyn Fn(&[u8], &DecodeError) + Send + Sync>;
type Handler<E> = Arc<dyn Fn(E) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Counters for what the receiver did (useful in tests and metrics).
#[derive(Debug, Default)]
pub struct Stats {
    /// Deliveries accepted and queued.
    pub accepted: AtomicU64,
    /// Duplicates acknowledged without processing.
    pub duplicates: AtomicU64,
    /// Refused for signature or header problems.
    pub rejected: AtomicU64,
    /// Refused with 503 because the queue was full.
    pub overloaded: AtomicU64,
    /// Verified but undecodable bodies handed to the decode-failure callback.
    pub undecodable: AtomicU64,
    /// Events the handler finished.
    pub processed: AtomicU64,
}

/// Builds a receiver around a generated crate's `Webhook`.
pub struct Receiver<W: WebhookVerifier> {
    webhook: W,
    body_limit: usize,
    queue_capacity: usize,
    concurrency: usize,
    ttl: Duration,
    store: Arc<dyn IdempotencyStore>,
    on_decode_error: DecodeFailure,
}

impl<W: WebhookVerifier> Receiver<W> {
    /// Defaults: 1 MiB bodies, a queue of 1024, 64 events processed at once, duplicates
    /// remembered for 24 hours in memory.
    pub fn new(webhook: W) -> Self {
        Receiver {
            webhook,
            body_limit: 1024 * 1024,
            queue_capacity: 1024,
            concurrency: 64,
            ttl: Duration::from_secs(24 * 3600),
            store: Arc::new(InMemoryStore::default()),
            on_decode_error: Arc::new(|body, error| {
                tracing::warn!(bytes = body.len(), %error, "webhook verified but does not decode; acknowledged");
            }),
        }
    }

    /// Largest body accepted (413 above it).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Events waiting for the worker before deliveries are answered 503.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// Events processed at the same time.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How long a delivery id is remembered.
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Use another idempotency store.
    pub fn idempotency_store(mut self, store: impl IdempotencyStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Called with the raw body of every delivery that verifies but does not decode.
    pub fn on_decode_error(
        mut self,
        f: impl Fn(&[u8], &DecodeError) + Send + Sync + 'static,
    ) -> Self {
        self.on_decode_error = Arc::new(f);
        self
    }

    /// Start the worker that runs `handler` for each accepted event, and return the route
    /// (mount it with `Router::new().route("/webhooks", route)` or use [`Running::router`]).
    pub fn spawn<F, Fut>(self, handler: F) -> Running
    where
        F: Fn(W::Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let stats = Arc::new(Stats::default());
        let handler: Handler<W::Event> = Arc::new(move |e| Box::pin(handler(e)));
        let stop = Arc::new(tokio::sync::Notify::new());
        let worker = tokio::spawn(work(
            rx,
            handler,
            self.concurrency,
            stats.clone(),
            stop.clone(),
        ));
        let shared = Arc::new(Shared {
            webhook: self.webhook,
            tx,
            ttl: self.ttl,
            store: self.store,
            on_decode_error: self.on_decode_error,
            stats: stats.clone(),
            closing: AtomicBool::new(false),
        });
        let route = post(receive::<W>)
            .with_state(shared.clone())
            .layer(DefaultBodyLimit::max(self.body_limit));
        let closing: Arc<dyn Fn() + Send + Sync> =
            Arc::new(move || shared.closing.store(true, Ordering::SeqCst));
        Running {
            route: Some(route),
            stats,
            worker: Some(worker),
            stop,
            closing,
        }
    }
}

/// A started receiver: its route, its counters, and a graceful shutdown.
pub struct Running {
    route: Option<axum::routing::MethodRouter>,
    /// What the receiver did so far.
    pub stats: Arc<Stats>,
    worker: Option<tokio::task::JoinHandle<()>>,
    stop: Arc<tokio::sync::Notify>,
    closing: Arc<dyn Fn() + Send + Sync>,
}

impl Running {
    /// The POST route, to mount at the path the vendor posts to.
    pub fn route(&mut self) -> axum::routing::MethodRouter {
        self.route
            .take()
            .unwrap_or_else(|| post(|| async { StatusCode::SERVICE_UNAVAILABLE }))
    }

    /// A router with the route mounted at `path`.
    pub fn router(&mut self, path: &str) -> Router {
        Router::new().route(path, self.route())
    }

    /// Stop accepting (new deliveries get 503), finish every queued event, then return.
    pub async fn shutdown(mut self) {
        (self.closing)();
        self.stop.notify_one();
        if let Some(w) = self.worker.take() {
            let _ = w.await;
        }
    }
}

struct Shared<W: WebhookVerifier> {
    webhook: W,
    tx: mpsc::Sender<W::Event>,
    ttl: Duration,
    store: Arc<dyn IdempotencyStore>,
    on_decode_error: DecodeFailure,
    stats: Arc<Stats>,
    closing: AtomicBool,
}

async fn work<E: Send + 'static>(
    mut rx: mpsc::Receiver<E>,
    handler: Handler<E>,
    concurrency: usize,
    stats: Arc<Stats>,
    stop: Arc<tokio::sync::Notify>,
) {
    let permits = Arc::new(Semaphore::new(concurrency));
    loop {
        let event = tokio::select! {
            e = rx.recv() => e,
            _ = stop.notified() => {
                // Graceful: take no more, but drain what was accepted.
                rx.close();
                rx.recv().await
            }
        };
        let Some(event) = event else { break };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let (handler, stats) = (handler.clone(), stats.clone());
        tokio::spawn(async move {
            handler(event).await;
            stats.processed.fetch_add(1, Ordering::SeqCst);
            drop(permit);
        });
    }
    // Wait for handlers still running.
    let _ = permits.acquire_many(concurrency as u32).await;
}

async fn receive<W: WebhookVerifier>(
    State(shared): State<Arc<Shared<W>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let started = Instant::now();
    let span = tracing::info_span!(
        "webhook",
        event_type = tracing::field::Empty,
        id = tracing::field::Empty,
        outcome = tracing::field::Empty,
        latency_us = tracing::field::Empty
    );
    let (status, outcome) = handle(&shared, &headers, &body, &span)
        .instrument(span.clone())
        .await;
    span.record("outcome", outcome);
    span.record("latency_us", started.elapsed().as_micros() as u64);
    tracing::debug!(parent: &span, "delivery handled");
    (status, outcome)
}

async fn handle<W: WebhookVerifier>(
    shared: &Shared<W>,
    headers: &HeaderMap,
    body: &[u8],
    span: &tracing::Span,
) -> (StatusCode, &'static str) {
    if shared.closing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    if let Err(e) = shared
        .webhook
        .verify_signature_at(headers, body, SystemTime::now())
    {
        shared.stats.rejected.fetch_add(1, Ordering::SeqCst);
        return match e {
            WebhookError::MissingHeader(_)
            | WebhookError::MalformedHeader { .. }
            | WebhookError::MalformedBody(_) => (StatusCode::BAD_REQUEST, "bad request"),
            _ => (StatusCode::UNAUTHORIZED, "unauthorized"),
        };
    }
    let event = match shared.webhook.decode(body) {
        Ok(e) => e,
        Err(error) => {
            shared.stats.undecodable.fetch_add(1, Ordering::SeqCst);
            (shared.on_decode_error)(body, &error);
            return (
                StatusCode::OK,
                "accepted (undecodable, handed to the decode-failure callback)",
            );
        }
    };
    span.record("event_type", W::event_type(&event).as_str());
    let key = delivery_key::<W>(headers, &event, body);
    span.record("id", key.as_str());
    if !shared.store.first_seen(&key, shared.ttl).await {
        shared.stats.duplicates.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::OK, "duplicate");
    }
    match shared.tx.try_send(event) {
        Ok(()) => {
            shared.stats.accepted.fetch_add(1, Ordering::SeqCst);
            (StatusCode::ACCEPTED, "accepted")
        }
        Err(_) => {
            shared.store.forget(&key).await;
            shared.stats.overloaded.fetch_add(1, Ordering::SeqCst);
            (StatusCode::SERVICE_UNAVAILABLE, "busy, retry later")
        }
    }
}

/// The idempotency key of a delivery: the `webhook-id` (or Svix's `svix-id`) header, else the
/// event's id, else (for
/// vendors whose payloads carry no id) a hash of the raw body, so a byte-identical redelivery
/// is still recognised.
fn delivery_key<W: WebhookVerifier>(headers: &HeaderMap, event: &W::Event, body: &[u8]) -> String {
    let id_header = headers.get("webhook-id").or_else(|| headers.get("svix-id"));
    if let Some(id) = id_header.and_then(|v| v.to_str().ok()) {
        return format!("webhook-id:{id}");
    }
    if let Some(id) = W::event_id(event) {
        return format!("event-id:{id}");
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("body-sha256:{hex}")
}
