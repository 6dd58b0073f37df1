//! The inbox's data and its one trait: what a store keeps and what every store can do. A leaf of
//! the inbox: the stores and the workers import it, and it imports none of them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A boxed future, so that [`Inbox`] can be used as `dyn Inbox`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting to run at `next_run_at`.
    Pending,
    /// A worker holds it until the lease expires.
    Leased,
    /// Handled.
    Done,
    /// Failed on every attempt; replay to run it again.
    Dead,
    /// Verified but not decodable by this SDK; kept with its raw body.
    Undecodable,
}

impl State {
    /// Every state, in life order.
    pub const ALL: [State; 5] = [
        State::Pending,
        State::Leased,
        State::Done,
        State::Dead,
        State::Undecodable,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Leased => "leased",
            State::Done => "done",
            State::Dead => "dead",
            State::Undecodable => "undecodable",
        }
    }

    /// The state stored as `name`.
    pub fn parse(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verified delivery to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Which vendor or endpoint it came to (one inbox can serve several).
    pub source: String,
    /// The idempotency key: `webhook-id:...`, `event-id:...` or `body-sha256:...`.
    pub key: String,
    /// The body exactly as received.
    pub body: Vec<u8>,
    /// Headers worth keeping (credentials are left out by the receiver).
    pub headers: Vec<(String, String)>,
    /// The event type, when the body decoded.
    pub event_type: Option<String>,
    /// Events with the same ordering key run one at a time, in arrival order.
    pub ordering_key: Option<String>,
    /// `Pending`, or `Undecodable` with the decode error in `error` (or `Done` for a record
    /// kept only to be inspected, as `cargo hookgen listen` keeps its deliveries).
    pub state: State,
    /// Why it is undecodable.
    pub error: Option<String>,
    /// When it arrived.
    pub received_at: SystemTime,
}

impl fmt::Debug for NewDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDelivery")
            .field("source", &self.source)
            .field("key", &self.key)
            .field("body_bytes", &self.body.len())
            .field("event_type", &self.event_type)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored as a new row with this id.
    New(i64),
    /// The (source, key) was already there: a redelivery, not to be processed again.
    Duplicate,
}

/// A stored delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The row id.
    pub id: i64,
    /// See [`NewDelivery::source`].
    pub source: String,
    /// See [`NewDelivery::key`].
    pub key: String,
    /// The body exactly as received.
    pub body: Vec<u8>,
    /// Headers kept with it.
    pub headers: Vec<(String, String)>,
    /// The event type, when known.
    pub event_type: Option<String>,
    /// See [`NewDelivery::ordering_key`].
    pub ordering_key: Option<String>,
    /// Where it is in its life.
    pub state: State,
    /// Handler runs started so far.
    pub attempts: u32,
    /// When it arrived.
    pub received_at: SystemTime,
    /// When it is due (pending) or was last scheduled.
    pub next_run_at: SystemTime,
    /// The worker holding it, while leased.
    pub lease_owner: Option<String>,
    /// When the lease runs out.
    pub lease_expires_at: Option<SystemTime>,
    /// The last handler error, panic or decode error.
    pub last_error: Option<String>,
    /// When a hand-off published it (and its engine acknowledged), if one did.
    pub published_at: Option<SystemTime>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("key", &self.key)
            .field("state", &self.state)
            .field("event_type", &self.event_type)
            .field("attempts", &self.attempts)
            .field("body_bytes", &self.body.len())
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// How an attempt ended, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The handler succeeded.
    Done,
    /// Run again at `at`.
    Retry {
        /// When.
        at: SystemTime,
        /// What went wrong.
        error: String,
    },
    /// Give up: no attempts left.
    Dead {
        /// What went wrong last.
        error: String,
    },
    /// The body no longer decodes (kept, replayable).
    Undecodable {
        /// The decode error.
        error: String,
    },
}

/// Which rows `replay` makes pending again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// One row, whatever its state (a done row runs again, on purpose).
    Id(i64),
    /// Every dead row.
    Dead,
    /// Every undecodable row (after an SDK upgrade).
    Undecodable,
}

/// Which rows `list` returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only rows in this state.
    pub state: Option<State>,
    /// Only rows of this event type.
    pub event_type: Option<String>,
    /// At most this many (default 100).
    pub limit: Option<u32>,
}

/// A store failed. The receiver answers 503, so the vendor retries; nothing is acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The database refused or could not be reached.
    #[error("inbox database: {0}")]
    Database(#[from] sqlx::Error),
    /// A URL that names no known store.
    #[error(
        "unsupported inbox URL `{0}`: use sqlite:PATH, sqlite::memory:, postgres://... or memory"
    )]
    UnsupportedUrl(String),
    /// The shared transaction this delivery was in failed.
    #[error("inbox commit failed: {0}")]
    Commit(String),
    /// The store is closed (shutting down).
    #[error("the inbox is closed")]
    Closed,
    /// This store cannot do what was asked.
    #[error("this inbox does not support {0}")]
    Unsupported(&'static str),
    /// A stored row could not be read back.
    #[error("corrupt inbox row {id}: {reason}")]
    Corrupt {
        /// The row.
        id: i64,
        /// What is wrong.
        reason: String,
    },
}

/// A store of deliveries. Implemented by [`SqlInbox`] and [`MemoryInbox`];
/// implement it for another database with the same guarantees: `insert_batch` is durable
/// when it returns, and (source, key) is unique.
pub trait Inbox: Send + Sync + 'static {
    /// Store `batch` in one durable transaction. A row whose (source, key) exists is a
    /// `Duplicate`, also when two copies are in the same batch.
    fn insert_batch<'a>(
        &'a self,
        batch: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<Inserted>, InboxError>>;

    /// Lease up to `limit` due rows (pending and due, or leased with an expired lease) for
    /// `lease_for`, oldest first, keeping per-ordering-key order. Counts an attempt on each.
    fn lease<'a>(
        &'a self,
        owner: &'a str,
        limit: usize,
        lease_for: Duration,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>>;

    /// Record how an attempt ended. False when `owner` no longer holds the lease (it expired
    /// and another worker took the row): the outcome is then not recorded.
    fn finish<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        outcome: Finish,
    ) -> BoxFuture<'a, Result<bool, InboxError>>;

    /// Record several attempts' outcomes at once, `owner`'s each: one transaction where the
    /// store can, so that outcome writes cost one commit per batch, not one per event. Returns
    /// what [`Inbox::finish`] would for each, in order. The default records them one by one.
    fn finish_many<'a>(
        &'a self,
        owner: &'a str,
        outcomes: &'a [(i64, Finish)],
    ) -> BoxFuture<'a, Result<Vec<bool>, InboxError>> {
        Box::pin(async move {
            let mut recorded = Vec::with_capacity(outcomes.len());
            for (id, outcome) in outcomes {
                recorded.push(self.finish(*id, owner, outcome.clone()).await?);
            }
            Ok(recorded)
        })
    }

    /// Rows matching `filter`, newest first.
    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>>;

    /// One row.
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Delivery>, InboxError>>;

    /// Push out the lease `owner` holds on row `id` to `until`, while its handler still runs.
    /// False when `owner` no longer holds it. The default does not extend (stores that cannot
    /// then rely on `lease_for` outlasting every handler run).
    fn extend_lease<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        let _ = (id, owner, until);
        Box::pin(async { Ok(false) })
    }

    /// Record that leased row `id` was handed off at `at`, so that a later attempt does not
    /// publish it again; `false` when `owner` no longer holds the lease.
    fn mark_published<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        let _ = (id, owner, at);
        Box::pin(async { Err(InboxError::Unsupported("hand-off")) })
    }

    /// Make rows pending and due now, with their attempts reset; returns how many.
    fn replay(&self, which: Replay) -> BoxFuture<'_, Result<u64, InboxError>>;

    /// Delete done rows received before `before`; returns how many.
    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>>;

    /// How many rows are in each state.
    fn counts(&self) -> BoxFuture<'_, Result<Vec<(State, u64)>, InboxError>>;

    /// Return when new work may have arrived (a notification), or after `timeout`.
    fn wait_for_work(&self, timeout: Duration) -> BoxFuture<'_, ()>;

    /// Called once as workers start: release leases whose holders are known to be dead, so
    /// their rows run at once instead of after their lease. A store that cannot know (several
    /// processes, no liveness signal) releases nothing and leases expire as usual; returns how
    /// many rows were released.
    fn reclaim_dead_leases(&self) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(async { Ok(0) })
    }

    /// Announce a worker `owner` before it leases anything, so that its death can be told
    /// from a slow handler (PostgreSQL: a liveness lock held on its own connection).
    fn register_worker<'a>(&'a self, owner: &'a str) -> BoxFuture<'a, Result<(), InboxError>> {
        let _ = owner;
        Box::pin(async { Ok(()) })
    }
}

/// Milliseconds since the epoch, as stored.
pub(crate) fn to_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// The time stored as `ms`.
pub(crate) fn from_millis(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

/// Headers as stored: a JSON array of `[name, value]` pairs.
pub(crate) fn headers_to_json(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn headers_from_json(id: i64, text: &str) -> Result<Vec<(String, String)>, InboxError> {
    serde_json::from_str(text).map_err(|e| InboxError::Corrupt {
        id,
        reason: format!("headers: {e}"),
    })
}

/// The part of a `Finish` a store writes.
pub(crate) struct FinishRow<'a> {
    pub state: State,
    pub next_run_at: Option<i64>,
    pub error: Option<&'a str>,
}

impl Finish {
    pub(crate) fn row(&self) -> FinishRow<'_> {
        match self {
            Finish::Done => FinishRow {
                state: State::Done,
                next_run_at: None,
                error: None,
            },
            Finish::Retry { at, error } => FinishRow {
                state: State::Pending,
                next_run_at: Some(to_millis(*at)),
                error: Some(error),
            },
            Finish::Dead { error } => FinishRow {
                state: State::Dead,
                next_run_at: None,
                error: Some(error),
            },
            Finish::Undecodable { error } => FinishRow {
                state: State::Undecodable,
                next_run_at: None,
                error: Some(error),
            },
        }
    }
}

/// The longest wait the inbox records (a lease, a retry): about ten years. A handler or an
/// option asking for more gets this, never an overflow of `SystemTime` or of the stores' clocks.
pub const LONGEST_WAIT: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// `from + by`, with `by` capped at [`LONGEST_WAIT`]: never a panic on a huge duration.
pub(crate) fn later(from: SystemTime, by: Duration) -> SystemTime {
    let by = by.min(LONGEST_WAIT);
    from.checked_add(by).unwrap_or(from)
}
