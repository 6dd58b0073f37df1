//! Workers: lease due rows, decode, run the handler, record the outcome. A handler error or
//! panic schedules a retry (exponential backoff with jitter) until the attempts run out, then
//! the row is dead; a lease left by a dead worker expires and the row runs again.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::HeaderMap;
use tokio::sync::{Notify, Semaphore};
use tracing::Instrument;

use super::group_commit::OutcomeCommit;
use super::handoff::{Handoff, Outgoing, PUBLISH_RETRY_CAP};
use super::model::{Delivery, Finish, Inbox};
use super::retry::{HandlerError, RetrySchedule};
use crate::DecodeError;

/// Decodes a stored delivery from its headers and body.
pub type Decode<E> = Arc<dyn Fn(&HeaderMap, &[u8]) -> Result<E, DecodeError> + Send + Sync>;
/// Runs one event.
pub type Handle<E> =
    Arc<dyn Fn(E) -> Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>> + Send + Sync>;

/// The most rows one lease takes.
const LEASE_BATCH: usize = 64;

/// How workers run.
#[derive(Clone)]
pub struct WorkerOptions {
    /// Names this process's leases (default: host, process id and a random part).
    pub owner: String,
    /// Events handled at the same time (default 64).
    pub concurrency: usize,
    /// How long a worker holds a row before another may take it (default 5 minutes). While a
    /// handler runs, its lease is extended every third of this, so a slow handler keeps its
    /// event; a worker that dies stops extending, and its events are taken over after this.
    pub lease_for: Duration,
    /// How often to look for due rows when nothing wakes the worker (default 1 s).
    pub poll: Duration,
    /// Retries and when to give up.
    pub retry: RetrySchedule,
    /// How long done rows are kept to catch redeliveries (default 7 days, longer than any
    /// sender's retry window).
    pub retention: Duration,
    /// How often done rows past the retention are pruned (default hourly).
    pub prune_every: Duration,
    /// Publish each row to a stream before (or instead of) the handler: see [`super::handoff`].
    pub handoff: Option<Arc<dyn Handoff>>,
    /// With a hand-off: a published row is done, and no local handler runs.
    pub handoff_only: bool,
    /// How often to look for workers that died holding leases (default 2 s).
    pub reclaim_every: Duration,
}

impl std::fmt::Debug for WorkerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerOptions")
            .field("owner", &self.owner)
            .field("concurrency", &self.concurrency)
            .field("lease_for", &self.lease_for)
            .field("poll", &self.poll)
            .field("retry", &self.retry)
            .field("retention", &self.retention)
            .field("prune_every", &self.prune_every)
            .field("handoff", &self.handoff.as_ref().map(|_| "configured"))
            .field("handoff_only", &self.handoff_only)
            .field("reclaim_every", &self.reclaim_every)
            .finish()
    }
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            owner: default_owner(),
            concurrency: 64,
            lease_for: Duration::from_secs(300),
            poll: Duration::from_secs(1),
            retry: RetrySchedule::default(),
            retention: Duration::from_secs(7 * 24 * 3600),
            prune_every: Duration::from_secs(3600),
            handoff: None,
            handoff_only: false,
            reclaim_every: Duration::from_secs(2),
        }
    }
}

fn default_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// What the workers did (for metrics and tests).
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// Attempts started.
    pub attempts: AtomicU64,
    /// Events the handler finished successfully.
    pub processed: AtomicU64,
    /// Failed attempts scheduled to run again.
    pub retried: AtomicU64,
    /// Attempts that panicked (also counted as retried or dead).
    pub panicked: AtomicU64,
    /// Events given up on.
    pub dead: AtomicU64,
    /// Rows that did not decode (kept as undecodable).
    pub undecodable: AtomicU64,
    /// Outcomes not recorded because the lease had passed to another worker.
    pub lease_lost: AtomicU64,
    /// Store errors while leasing or recording (retried by lease expiry).
    pub store_errors: AtomicU64,
    /// Done rows pruned after the retention period.
    pub pruned: AtomicU64,
    /// Rows a hand-off published (acknowledged by its engine).
    pub published: AtomicU64,
    /// Publishes that failed (retried).
    pub publish_errors: AtomicU64,
}

/// Running workers; [`Workers::shutdown`] stops leasing and waits for running handlers.
pub struct Workers {
    /// Counters.
    pub stats: Arc<WorkerStats>,
    stopping: Arc<AtomicBool>,
    stop: Arc<Notify>,
    task: Option<tokio::task::JoinHandle<()>>,
}

struct Context<E> {
    inbox: Arc<dyn Inbox>,
    /// Outcomes share transactions, as inserts do.
    outcomes: OutcomeCommit,
    decode: Decode<E>,
    handle: Handle<E>,
    options: WorkerOptions,
    stats: Arc<WorkerStats>,
}

impl Workers {
    /// Start leasing from `inbox`.
    pub fn spawn<E: Send + 'static>(
        inbox: Arc<dyn Inbox>,
        decode: Decode<E>,
        handle: Handle<E>,
        options: WorkerOptions,
    ) -> Workers {
        let stats = Arc::new(WorkerStats::default());
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(Notify::new());
        let context = Arc::new(Context {
            outcomes: OutcomeCommit::new(inbox.clone(), options.owner.clone()),
            inbox,
            decode,
            handle,
            options,
            stats: stats.clone(),
        });
        let task = tokio::spawn(lease_loop(context, stopping.clone(), stop.clone()));
        Workers {
            stats,
            stopping,
            stop,
            task: Some(task),
        }
    }

    /// Take no more rows; wait for the handlers running now. Rows not started stay pending.
    pub async fn shutdown(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_one();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn lease_loop<E: Send + 'static>(
    cx: Arc<Context<E>>,
    stopping: Arc<AtomicBool>,
    stop: Arc<Notify>,
) {
    let concurrency = cx.options.concurrency.max(1);
    if let Some(handoff) = &cx.options.handoff {
        let longest_wait = cx.options.lease_for + PUBLISH_RETRY_CAP;
        if handoff.dedup_window() < longest_wait {
            tracing::warn!(
                window = ?handoff.dedup_window(),
                ?longest_wait,
                "hand-off: the stream's duplicate window is shorter than a lease plus a publish \
                 retry; a worker that dies after publishing may publish that delivery twice"
            );
        }
    }
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut last_prune: Option<Instant> = None;
    if let Err(error) = cx.inbox.register_worker(&cx.options.owner).await {
        tracing::warn!(%error, "inbox: could not register this worker; its death will be seen only when its leases expire");
    }
    let mut last_reclaim: Option<Instant> = None;
    while !stopping.load(Ordering::SeqCst) {
        // A worker that died holding leases (a predecessor on SQLite, another replica on
        // PostgreSQL): its rows run now, not after their lease.
        if last_reclaim.is_none_or(|t| t.elapsed() >= cx.options.reclaim_every) {
            reclaim(&cx).await;
            last_reclaim = Some(Instant::now());
        }
        if last_prune.is_none_or(|t| t.elapsed() >= cx.options.prune_every) {
            prune(&cx).await;
            last_prune = Some(Instant::now());
        }
        // Lease only what can start now, so no lease ticks away while queued here.
        let Ok(first) = permits.clone().acquire_owned().await else {
            break;
        };
        // At most `LEASE_BATCH` a time: a lease holds SQLite's one writer, and inserts (what a
        // 202 waits for) should never queue long behind it.
        let free = (1 + permits.available_permits()).min(LEASE_BATCH);
        let leased = cx
            .inbox
            .lease(
                &cx.options.owner,
                free,
                cx.options.lease_for,
                SystemTime::now(),
            )
            .await;
        let rows = match leased {
            Ok(rows) => rows,
            Err(error) => {
                cx.stats.store_errors.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(%error, "inbox: leasing failed; retrying");
                Vec::new()
            }
        };
        if rows.is_empty() {
            drop(first);
            tokio::select! {
                _ = cx.inbox.wait_for_work(cx.options.poll) => {}
                _ = stop.notified() => {}
            }
            continue;
        }
        let mut first = Some(first);
        for row in rows {
            let permit = match first.take() {
                Some(p) => p,
                None => match permits.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let cx = cx.clone();
            tokio::spawn(async move {
                attempt(&cx, row).await;
                drop(permit);
            });
        }
    }
    // Wait for the handlers still running.
    let _ = permits.acquire_many(concurrency as u32).await;
}

async fn reclaim<E>(cx: &Context<E>) {
    match cx.inbox.reclaim_dead_leases().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "inbox: took back the leases of a dead worker"),
        Err(error) => tracing::warn!(%error, "inbox: could not take back dead leases"),
    }
}

async fn prune<E>(cx: &Context<E>) {
    let before = SystemTime::now()
        .checked_sub(cx.options.retention)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    match cx.inbox.purge_done_before(before).await {
        Ok(n) => {
            cx.stats.pruned.fetch_add(n, Ordering::SeqCst);
        }
        Err(error) => tracing::warn!(%error, "inbox: pruning failed"),
    }
}

/// One handler run of one row, in its own span.
async fn attempt<E: Send + 'static>(cx: &Context<E>, row: Delivery) {
    let span = tracing::info_span!(
        "webhook.attempt",
        row = row.id,
        key = row.key.as_str(),
        event_type = row.event_type.as_deref().unwrap_or(""),
        attempt = row.attempts,
        outcome = tracing::field::Empty,
    );
    let started = Instant::now();
    cx.stats.attempts.fetch_add(1, Ordering::SeqCst);
    let outcome = {
        let _heartbeat = heartbeat(cx, row.id);
        run(cx, &row).instrument(span.clone()).await
    };
    span.record("outcome", outcome_name(&outcome));
    tracing::debug!(parent: &span, latency_us = started.elapsed().as_micros() as u64, "attempt finished");
    match cx.outcomes.finish(row.id, outcome).await {
        Ok(true) => {}
        Ok(false) => {
            cx.stats.lease_lost.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(parent: &span, "inbox: lease expired before the attempt finished; the row ran elsewhere or will run again");
        }
        Err(error) => {
            cx.stats.store_errors.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(parent: &span, %error, "inbox: could not record the outcome; the row will run again when its lease expires");
        }
    }
}

/// Extends the lease on row `id` every third of `lease_for` until dropped.
fn heartbeat<E>(cx: &Context<E>, id: i64) -> AbortOnDrop {
    let inbox = cx.inbox.clone();
    let owner = cx.options.owner.clone();
    let lease_for = cx.options.lease_for;
    let every = (lease_for / 3).max(Duration::from_millis(10));
    AbortOnDrop(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let until = super::model::later(SystemTime::now(), lease_for);
            match inbox.extend_lease(id, &owner, until).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => tracing::warn!(%error, "inbox: could not extend a lease"),
            }
        }
    }))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn outcome_name(f: &Finish) -> &'static str {
    match f {
        Finish::Done => "done",
        Finish::Retry { .. } => "retry",
        Finish::Dead { .. } => "dead",
        Finish::Undecodable { .. } => "undecodable",
    }
}

/// Publish the row if a hand-off is configured and it has not been published yet; `Some` is
/// the row's outcome when it must stop here (a failed publish, or hand-off only).
async fn hand_off<E>(cx: &Context<E>, row: &Delivery) -> Option<Finish> {
    let handoff = cx.options.handoff.as_ref()?;
    if row.published_at.is_none() {
        if let Err(error) = handoff.publish(Outgoing::of(row)).await {
            cx.stats.publish_errors.fetch_add(1, Ordering::SeqCst);
            // Retried well inside the engine's duplicate window.
            let failure = HandlerError::new(error.to_string());
            return Some(failed(cx, row, failure, Some(PUBLISH_RETRY_CAP)));
        }
        cx.stats.published.fetch_add(1, Ordering::SeqCst);
        match cx
            .inbox
            .mark_published(row.id, &cx.options.owner, SystemTime::now())
            .await
        {
            Ok(true) => {}
            // Another worker has it now; its publish is a duplicate the engine drops.
            Ok(false) => tracing::warn!(row = row.id, "inbox: lease lost during the hand-off"),
            Err(error) => {
                let failure = HandlerError::new(format!("marking the hand-off: {error}"));
                return Some(failed(cx, row, failure, Some(PUBLISH_RETRY_CAP)));
            }
        }
    }
    cx.options.handoff_only.then_some(Finish::Done)
}

async fn run<E: Send + 'static>(cx: &Context<E>, row: &Delivery) -> Finish {
    if let Some(outcome) = hand_off(cx, row).await {
        if outcome == Finish::Done {
            cx.stats.processed.fetch_add(1, Ordering::SeqCst);
        }
        return outcome;
    }
    let event = match (cx.decode)(&stored_header_map(&row.headers), &row.body) {
        Ok(event) => event,
        Err(error) => {
            cx.stats.undecodable.fetch_add(1, Ordering::SeqCst);
            return Finish::Undecodable {
                error: error.to_string(),
            };
        }
    };
    // Its own task, so that a panic is caught and becomes a retry, not a lost event.
    let failure = match tokio::spawn((cx.handle)(event)).await {
        Ok(Ok(())) => {
            cx.stats.processed.fetch_add(1, Ordering::SeqCst);
            return Finish::Done;
        }
        Ok(Err(error)) => error,
        Err(joined) => {
            cx.stats.panicked.fetch_add(1, Ordering::SeqCst);
            HandlerError::new(format!("handler panicked: {}", panic_message(joined)))
        }
    };
    failed(cx, row, failure, None)
}

/// A failed attempt's outcome: retried after the policy's delay (or the handler's, or at
/// most `cap`), or dead when the policy gives up.
fn failed<E>(
    cx: &Context<E>,
    row: &Delivery,
    failure: HandlerError,
    cap: Option<Duration>,
) -> Finish {
    let policy_delay = cx.options.retry.delay_after(row.attempts);
    match policy_delay {
        Some(delay) => {
            cx.stats.retried.fetch_add(1, Ordering::SeqCst);
            let delay = failure.requested_delay().unwrap_or(delay);
            let delay = cap.map_or(delay, |cap| delay.min(cap));
            Finish::Retry {
                at: super::model::later(SystemTime::now(), delay),
                error: failure.message().to_string(),
            }
        }
        None => {
            cx.stats.dead.fetch_add(1, Ordering::SeqCst);
            Finish::Dead {
                error: failure.message().to_string(),
            }
        }
    }
}

fn panic_message(joined: tokio::task::JoinError) -> String {
    match joined.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into()),
        Err(joined) => joined.to_string(),
    }
}

/// The headers a delivery was stored with, as a map again (names or values that no longer
/// parse are left out: they cannot have come from a real request).
pub fn stored_header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    map
}
