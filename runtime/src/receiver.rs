//! An axum receiver that does what every vendor's docs ask, without losing what it
//! acknowledges: verify over the raw body, store durably, answer 2xx, process asynchronously,
//! expect duplicates.
//!
//! - signature problems → 401 with no detail; missing or malformed headers → 400; a body over
//!   the limit (default 1 MiB) → 413;
//! - a verified delivery is written to the [inbox](crate::inbox) and answered **202 only once
//!   the commit is durable** (concurrent deliveries share one transaction: group commit);
//! - the inbox cannot be written → 503, so the vendor retries; nothing is acknowledged unstored;
//! - a redelivery (same `webhook-id`, else the event id, else the body hash) → 200 and no
//!   processing, across restarts and, on PostgreSQL, across replicas;
//! - a body that verifies but does not decode is stored as `undecodable` (202), never dropped,
//!   and the decode-failure callback sees it; `cargo hookgen inbox replay` runs it again after
//!   an SDK upgrade;
//! - workers lease stored rows and run the handler, which may fail (`Result<(), E>`) or panic:
//!   the event runs again with exponential backoff, then goes `dead` (replayable);
//! - one `tracing` span per delivery and per attempt, never secrets or signatures.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use tracing::Instrument;

pub use crate::serve::{serve, serve_with_shutdown, Limits};

use crate::inbox::{
    GroupCommit, HandlerOutcome, Inbox, Inserted, MemoryInbox, NewDelivery, RetrySchedule,
    State as RowState, WorkerOptions, WorkerStats, Workers,
};
use crate::{DecodeError, WebhookError, WebhookVerifier};

type DecodeFailure = Arc<dyn Fn(&[u8], &DecodeError) + Send + Sync>;
type OrderingKey<E> = Arc<dyn Fn(&E) -> Option<String> + Send + Sync>;

/// Counters for what the receiver did (metrics; tests).
#[derive(Debug, Default)]
pub struct Stats {
    /// Deliveries stored (new rows, undecodable ones included) and answered 202.
    pub accepted: AtomicU64,
    /// Redeliveries answered 200 without processing.
    pub duplicates: AtomicU64,
    /// Refused for signature or header problems.
    pub rejected: AtomicU64,
    /// Refused with 503 because the inbox could not be written (or the receiver is stopping).
    pub unavailable: AtomicU64,
    /// Verified but undecodable bodies, stored as such.
    pub undecodable: AtomicU64,
    /// What the workers did: processed, retried, dead, panicked, ...
    pub workers: Arc<WorkerStats>,
}

impl Stats {
    /// Events the handler finished successfully.
    pub fn processed(&self) -> u64 {
        self.workers.processed.load(Ordering::SeqCst)
    }
}

/// Builds a receiver around a generated crate's `Webhook` and an [`Inbox`].
pub struct Receiver<W: WebhookVerifier> {
    webhook: W,
    inbox: Arc<dyn Inbox>,
    source: String,
    body_limit: usize,
    workers: WorkerOptions,
    batch_rows: usize,
    batch_wait: Duration,
    ordering_key: Option<OrderingKey<W::Event>>,
    on_decode_error: DecodeFailure,
}

impl<W: WebhookVerifier> Receiver<W> {
    /// A receiver that acknowledges into `inbox` (see [`crate::inbox::open`]: `sqlite:PATH`
    /// for one process, `postgres://...` for replicas). Defaults: 1 MiB bodies, 64 events
    /// handled at once, 5-minute leases, retries for about 3 days, done rows kept 7 days.
    pub fn with_inbox(webhook: W, inbox: Arc<dyn Inbox>) -> Self {
        Receiver {
            webhook,
            inbox,
            source: "webhooks".into(),
            body_limit: 1024 * 1024,
            workers: WorkerOptions::default(),
            batch_rows: 256,
            batch_wait: Duration::ZERO,
            ordering_key: None,
            on_decode_error: Arc::new(|body, error| {
                tracing::warn!(bytes = body.len(), %error, "webhook verified but does not decode; stored as undecodable");
            }),
        }
    }

    /// A receiver over an in-memory inbox, for tests and demos. **A crash, restart or deploy
    /// loses every event acknowledged and not yet handled**: vendors never resend those.
    pub fn in_memory(webhook: W) -> Self {
        Self::with_inbox(webhook, Arc::new(MemoryInbox::new()))
    }

    /// Names the source in the inbox (default `webhooks`): deliveries are unique per source,
    /// so one inbox can serve several vendors.
    pub fn source(mut self, name: impl Into<String>) -> Self {
        self.source = name.into();
        self
    }

    /// Largest body accepted (413 above it).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Events handled at the same time.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.workers.concurrency = n.max(1);
        self
    }

    /// How long a worker may hold an event before another worker (or replica) takes it over.
    /// Keep it longer than the slowest handler run.
    pub fn lease_for(mut self, lease: Duration) -> Self {
        self.workers.lease_for = lease;
        self
    }

    /// Publish each stored delivery to a stream, exactly once, before the handler runs
    /// ([`crate::inbox::handoff`]: NATS JetStream, Redis Streams).
    pub fn handoff(mut self, handoff: Arc<dyn crate::inbox::handoff::Handoff>) -> Self {
        self.workers.handoff = Some(handoff);
        self
    }

    /// With [`Receiver::handoff`]: the hand-off instead of local handlers (a published
    /// delivery is done; the handler given to `spawn` never runs).
    pub fn handoff_only(mut self, only: bool) -> Self {
        self.workers.handoff_only = only;
        self
    }

    /// When failed events run again, and when they are given up on (`dead`).
    pub fn retry_schedule(mut self, schedule: RetrySchedule) -> Self {
        self.workers.retry = schedule;
        self
    }

    /// [`Receiver::retry_schedule`] under its old name.
    #[deprecated(note = "renamed `retry_schedule`")]
    pub fn retry_policy(self, schedule: RetrySchedule) -> Self {
        self.retry_schedule(schedule)
    }

    /// How long handled deliveries are remembered to catch redeliveries (default 7 days).
    pub fn dedup_retention(mut self, retention: Duration) -> Self {
        self.workers.retention = retention;
        self
    }

    /// How often workers look for due events when nothing wakes them (default 1 s).
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.workers.poll = poll;
        self
    }

    /// Names this process's leases (default: host, pid and a random part).
    pub fn worker_name(mut self, name: impl Into<String>) -> Self {
        self.workers.owner = name.into();
        self
    }

    /// Group commit bounds: a transaction takes at most `rows` deliveries: those that arrived
    /// while the previous transaction committed, and those arriving within `wait` after
    /// (defaults 256 and no wait: a lone delivery commits at once).
    pub fn group_commit(mut self, rows: usize, wait: Duration) -> Self {
        self.batch_rows = rows.max(1);
        self.batch_wait = wait;
        self
    }

    /// Events with the same key run one at a time, in arrival order (say, per customer).
    pub fn ordering_key(
        mut self,
        key: impl Fn(&W::Event) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.ordering_key = Some(Arc::new(key));
        self
    }

    /// Also called with the raw body of every delivery that verifies but does not decode
    /// (the body is stored as `undecodable` either way).
    pub fn on_decode_error(
        mut self,
        f: impl Fn(&[u8], &DecodeError) + Send + Sync + 'static,
    ) -> Self {
        self.on_decode_error = Arc::new(f);
        self
    }

    /// Start the workers that run `handler` for each stored event, and return the route
    /// (mount it with [`Running::router`] or [`Running::route`]). The handler returns `()` or
    /// `Result<(), E>` for any error `E`; an error or a panic means a retry.
    pub fn spawn<F, Fut>(self, handler: F) -> Running
    where
        F: Fn(W::Event) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutcome,
    {
        let Receiver {
            webhook,
            inbox,
            source,
            body_limit,
            workers: options,
            batch_rows,
            batch_wait,
            ordering_key,
            on_decode_error,
        } = self;
        let webhook = Arc::new(webhook);
        let handler = Arc::new(handler);
        let decoder = webhook.clone();
        let workers = Workers::spawn(
            inbox.clone(),
            Arc::new(move |headers: &HeaderMap, body: &[u8]| decoder.decode(headers, body)),
            Arc::new(move |event| {
                let run = handler(event);
                Box::pin(async move { run.await.into_result() })
            }),
            options,
        );
        let stats = Arc::new(Stats {
            workers: workers.stats.clone(),
            ..Stats::default()
        });
        let shared = Arc::new(Shared {
            webhook,
            commit: GroupCommit::with_bounds(inbox, batch_rows, batch_wait),
            source,
            ordering_key,
            on_decode_error,
            stats: stats.clone(),
            closing: AtomicBool::new(false),
        });
        let route = post(receive::<W>)
            .with_state(shared.clone())
            .layer(DefaultBodyLimit::max(body_limit));
        let closing: Arc<dyn Fn() + Send + Sync> =
            Arc::new(move || shared.closing.store(true, Ordering::SeqCst));
        Running {
            route: Some(route),
            stats,
            workers: Some(workers),
            closing,
        }
    }
}

/// A started receiver: its route, its counters, and a graceful shutdown.
pub struct Running {
    route: Option<axum::routing::MethodRouter>,
    /// What the receiver and its workers did so far.
    pub stats: Arc<Stats>,
    workers: Option<Workers>,
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

    /// Stop accepting (new deliveries get 503) and wait for the handlers running now. Stored
    /// events not yet started stay in the inbox for the next start.
    pub async fn shutdown(mut self) {
        (self.closing)();
        if let Some(workers) = self.workers.take() {
            workers.shutdown().await;
        }
    }
}

struct Shared<W: WebhookVerifier> {
    webhook: Arc<W>,
    commit: GroupCommit,
    source: String,
    ordering_key: Option<OrderingKey<W::Event>>,
    on_decode_error: DecodeFailure,
    stats: Arc<Stats>,
    closing: AtomicBool,
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
    let count = |c: &AtomicU64| c.fetch_add(1, Ordering::SeqCst);
    if shared.closing.load(Ordering::SeqCst) {
        count(&shared.stats.unavailable);
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    let now = SystemTime::now();
    if let Err(e) = shared.webhook.verify_signature_at(headers, body, now) {
        count(&shared.stats.rejected);
        return match e {
            WebhookError::MissingHeader(_)
            | WebhookError::MalformedHeader { .. }
            | WebhookError::MalformedBody(_) => (StatusCode::BAD_REQUEST, "bad request"),
            _ => (StatusCode::UNAUTHORIZED, "unauthorized"),
        };
    }
    let (row, decode_error) = to_row(shared, headers, body, now);
    if let Some(t) = &row.event_type {
        span.record("event_type", t.as_str());
    }
    span.record("id", row.key.as_str());
    match shared.commit.insert(row).await {
        Ok(Inserted::New(_)) => {
            count(&shared.stats.accepted);
            if let Some(error) = decode_error {
                count(&shared.stats.undecodable);
                (shared.on_decode_error)(body, &error);
                (StatusCode::ACCEPTED, "accepted (stored as undecodable)")
            } else {
                (StatusCode::ACCEPTED, "accepted")
            }
        }
        Ok(Inserted::Duplicate) => {
            count(&shared.stats.duplicates);
            (StatusCode::OK, "duplicate")
        }
        Err(error) => {
            count(&shared.stats.unavailable);
            tracing::error!(%error, "inbox: delivery not stored; answering 503 so the sender retries");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "inbox unavailable, retry later",
            )
        }
    }
}

/// The row for a verified delivery: decoded for its type, key and ordering key; kept as
/// undecodable (with the error) when it does not decode.
fn to_row<W: WebhookVerifier>(
    shared: &Shared<W>,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> (NewDelivery, Option<DecodeError>) {
    let (event_type, event_id, ordering_key, decode_error) =
        match shared.webhook.decode(headers, body) {
            Ok(event) => (
                Some(W::event_type(&event)),
                W::event_id(&event),
                shared.ordering_key.as_ref().and_then(|key| key(&event)),
                None,
            ),
            Err(error) => (None, None, None, Some(error)),
        };
    let error = decode_error.as_ref().map(ToString::to_string);
    let row = NewDelivery {
        source: shared.source.clone(),
        key: delivery_key(headers, event_id, body),
        body: body.to_vec(),
        headers: crate::redact::redacted_headers(headers, &shared.webhook.credential_headers()),
        event_type,
        ordering_key,
        state: if error.is_some() {
            RowState::Undecodable
        } else {
            RowState::Pending
        },
        error,
        received_at: now,
    };
    (row, decode_error)
}

/// The idempotency key of a delivery: the `webhook-id` (or Svix's `svix-id`) header, else the
/// event's id, else (for vendors whose payloads carry no id) a hash of the raw body, so a
/// byte-identical redelivery is still recognised.
fn delivery_key(headers: &HeaderMap, event_id: Option<String>, body: &[u8]) -> String {
    let id_header = headers.get("webhook-id").or_else(|| headers.get("svix-id"));
    if let Some(id) = id_header.and_then(|v| v.to_str().ok()) {
        return format!("webhook-id:{id}");
    }
    if let Some(id) = event_id {
        return format!("event-id:{id}");
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("body-sha256:{hex}")
}
