//! The inbox in SQLite or PostgreSQL, through sqlx's runtime queries (no query macros, so no
//! database is needed to build). One set of statements serves both; only the table
//! definition, row locking and wake-ups differ.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Executor, Row};
use tokio::sync::Notify;

use super::model::{
    from_millis, headers_from_json, headers_to_json, to_millis, BoxFuture, Delivery, Finish, Inbox,
    InboxError, Inserted, ListFilter, NewDelivery, Replay, State,
};

/// Which database a [`SqlInbox`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, one writer: for one receiver process.
    Sqlite,
    /// A server shared by several receiver replicas.
    Postgres,
}

/// The durable inbox on SQLite (`sqlite:PATH`) or PostgreSQL (`postgres://...`, feature
/// `postgres`). Tables are created (migrated) when it opens.
pub struct SqlInbox {
    /// The writes a 2xx stands behind (inserts), durable when they commit: SQLite's one
    /// connection at `synchronous=FULL`, PostgreSQL's at `synchronous_commit=on`. Nothing
    /// ever changes that level on these connections.
    pool: AnyPool,
    /// Lease, outcome, heartbeat and hand-off marks, and reads: connections whose commits do
    /// not wait for the disk (SQLite `synchronous=NORMAL`, PostgreSQL
    /// `synchronous_commit=off`), also fixed when they connect. Losing such a write in a power
    /// failure only means an event runs again, which handlers must allow anyway; the next
    /// durable commit flushes it too, in order.
    relaxed: AnyPool,
    /// SQLite: one writer at a time across both connections, taken here so that neither
    /// waits in SQLite's busy handler (which sleeps in steps of milliseconds).
    write_lock: Option<tokio::sync::Mutex<()>>,
    /// SQLite: rows written by relaxed writes since the last checkpoint.
    since_checkpoint: std::sync::atomic::AtomicUsize,
    /// PostgreSQL: when this process last woke the other replicas.
    last_notify: std::sync::Mutex<Option<std::time::Instant>>,
    backend: Backend,
    /// Wakes this process's workers after its own inserts and replays.
    local_work: Notify,
    #[cfg(feature = "postgres")]
    listener: Option<tokio::sync::Mutex<sqlx::postgres::PgListener>>,
    /// The SQLite file, for the receivers' lock beside it.
    sqlite_path: Option<std::path::PathBuf>,
    /// Held while this process runs workers on a SQLite file: the kernel releases it when the
    /// process dies, however it dies, so a receiver that gets it knows every lease in the file
    /// belongs to a dead process.
    workers_lock: std::sync::Mutex<Option<std::fs::File>>,
    /// PostgreSQL: the URL, for each worker's own liveness connection.
    #[cfg(feature = "postgres")]
    url: String,
    /// PostgreSQL: one connection per registered worker, holding that worker's advisory lock
    /// for as long as this process lives. The server releases it when the connection drops,
    /// however the process dies, so a free lock means a dead worker.
    #[cfg(feature = "postgres")]
    liveness: tokio::sync::Mutex<Vec<(String, sqlx::postgres::PgConnection)>>,
}

/// The advisory-lock class of worker liveness locks (the second key is the owner's hash).
#[cfg(feature = "postgres")]
const LIVENESS_LOCK: i32 = 4242002;

const COLUMNS: &str = "id, source, delivery_key, body, headers, event_type, ordering_key, state, \
     attempts, received_at, next_run_at, lease_owner, lease_expires_at, last_error, published_at";

/// The PostgreSQL channel inserts and replays notify, so idle replicas wake at once.
#[cfg(feature = "postgres")]
const CHANNEL: &str = "hookgen_inbox";

/// How often one process's inserts wake the other replicas at most (PostgreSQL).
const NOTIFY_EVERY: Duration = Duration::from_millis(50);

/// Outcome rows between two WAL checkpoints (SQLite).
const CHECKPOINT_EVERY: usize = 64;

/// Rows written by one statement at most: few statements per batch (each is a round trip to
/// the database, or to SQLite's thread), and few distinct statements to prepare and cache.
const ROWS_PER_STATEMENT: usize = 32;

/// `INSERT ... VALUES (..), (..) ...` for `rows` deliveries, returning the ids of the new ones
/// (duplicates return nothing), built once per size.
fn insert_statement(rows: usize) -> &'static str {
    static STATEMENTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = STATEMENTS.get_or_init(|| {
        (0..=ROWS_PER_STATEMENT)
            .map(|n| {
                let tuples: Vec<String> = (0..n)
                    .map(|r| {
                        let p: Vec<String> = (1..=10).map(|c| format!("${}", r * 10 + c)).collect();
                        format!(
                            "({}, {}, {}, {}, {}, {}, {}, 0, {}, {}, {})",
                            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
                        )
                    })
                    .collect();
                format!(
                    "INSERT INTO hookgen_inbox (source, delivery_key, body, headers, event_type, \
                     ordering_key, state, attempts, received_at, next_run_at, last_error) \
                     VALUES {} ON CONFLICT (source, delivery_key) DO NOTHING \
                     RETURNING id, source, delivery_key",
                    tuples.join(", ")
                )
            })
            .collect()
    });
    &all[rows.min(ROWS_PER_STATEMENT)]
}

/// Marks up to `rows` leased rows (`$2`...) of owner `$1` done, returning those it marked.
///
/// The rows are found by id. Without statistics SQLite's planner would rather scan the
/// `(state, ...)` index for `state = 'leased'` (every running event) than look up the ids,
/// which made each statement cost a scan of all leased rows; `+state` keeps it off that
/// index (PostgreSQL plans by statistics, and has no unary `+` for text).
fn finish_done_statement(backend: Backend, rows: usize) -> &'static str {
    static SQLITE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let (cache, state) = match backend {
        Backend::Sqlite => (&SQLITE, "+state"),
        Backend::Postgres => (&POSTGRES, "state"),
    };
    let all = cache.get_or_init(|| {
        (0..=ROWS_PER_STATEMENT)
            .map(|n| {
                let ids: Vec<String> = (0..n).map(|i| format!("${}", i + 2)).collect();
                format!(
                    "UPDATE hookgen_inbox SET state = 'done', last_error = NULL, \
                     lease_owner = NULL, lease_expires_at = NULL \
                     WHERE id IN ({}) AND {state} = 'leased' AND lease_owner = $1 RETURNING id",
                    ids.join(", ")
                )
            })
            .collect()
    });
    &all[rows.min(ROWS_PER_STATEMENT)]
}

/// Rows one lease takes at most.
const MAX_LEASE: usize = 4096;

/// Leases up to `$4` due rows for owner `$1` until `$2`, as of `$3`, taking at most `$4` from
/// each due index.
///
/// Due rows are pending ones whose time has come and leases that expired. Each comes from an
/// index walked in order and cut once `$4` rows are found, so a lease costs what it takes, not
/// the backlog (a plain `OR`, or a `UNION` without limits, reads every due row: thousands when
/// handlers are slow, once per finished handler). Only the first unfinished row of an
/// ordering key is due: the walk passes over the others rather than counting them, so a long
/// chain of one key never hides the rows behind it. PostgreSQL locks the rows as it walks
/// (`SKIP LOCKED`: another replica's rows are passed over, not waited for) and re-checks the
/// conditions on a row committed meanwhile, so a row is never leased twice.
fn lease_statement(backend: Backend) -> &'static str {
    static SQLITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (cache, lock) = match backend {
        Backend::Sqlite => (&SQLITE, ""),
        Backend::Postgres => (&POSTGRES, "FOR UPDATE SKIP LOCKED"),
    };
    let first_of_its_key = "(d.ordering_key IS NULL OR NOT EXISTS ( \
           SELECT 1 FROM hookgen_inbox e WHERE e.source = d.source \
           AND e.ordering_key = d.ordering_key AND e.id < d.id \
           AND e.state IN ('pending', 'leased')))";
    cache.get_or_init(|| {
        format!(
            "WITH pending_due AS ( \
               SELECT d.id FROM hookgen_inbox d \
               WHERE d.state = 'pending' AND d.next_run_at <= $3 AND {first_of_its_key} \
               ORDER BY d.state, d.next_run_at LIMIT $4 {lock}), \
             expired AS ( \
               SELECT d.id FROM hookgen_inbox d \
               WHERE d.state = 'leased' AND d.lease_expires_at <= $3 AND {first_of_its_key} \
               ORDER BY d.state, d.lease_expires_at LIMIT $4 {lock}) \
             UPDATE hookgen_inbox SET state = 'leased', lease_owner = $1, lease_expires_at = $2, \
             attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM (SELECT id FROM pending_due UNION ALL SELECT id FROM expired) due \
               ORDER BY id LIMIT $4) \
             RETURNING {COLUMNS}"
        )
    })
}

/// Finds leases left by dead workers without scanning the table.
const EXPIRED_LEASES_INDEX: &str =
    "CREATE INDEX hookgen_inbox_leases ON hookgen_inbox (state, lease_expires_at)";

/// The first schema, with the column types each database names differently: `{id}`,
/// `{bytes}` and `{int}` (64-bit on both).
const TABLE: &str = "CREATE TABLE hookgen_inbox (
        id {id},
        source TEXT NOT NULL,
        delivery_key TEXT NOT NULL,
        body {bytes} NOT NULL,
        headers TEXT NOT NULL,
        event_type TEXT,
        ordering_key TEXT,
        state TEXT NOT NULL,
        attempts {int} NOT NULL DEFAULT 0,
        received_at {int} NOT NULL,
        next_run_at {int} NOT NULL,
        lease_owner TEXT,
        lease_expires_at {int},
        last_error TEXT,
        UNIQUE (source, delivery_key)
    );
    CREATE INDEX hookgen_inbox_due ON hookgen_inbox (state, next_run_at);
    CREATE INDEX hookgen_inbox_order ON hookgen_inbox (source, ordering_key, id)
        WHERE ordering_key IS NOT NULL;";

/// Schema versions, applied in order, each once. Never edit a shipped one: add another.
fn migrations(backend: Backend) -> Vec<String> {
    let (id, bytes, int) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB", "INTEGER"),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA", "BIGINT"),
    };
    let table = TABLE
        .replace("{id}", id)
        .replace("{bytes}", bytes)
        .replace("{int}", int);
    let published = format!("ALTER TABLE hookgen_inbox ADD COLUMN published_at {int}");
    let workers = format!(
        "CREATE TABLE hookgen_inbox_workers (owner TEXT PRIMARY KEY, started_at {int} NOT NULL)"
    );
    vec![table, EXPIRED_LEASES_INDEX.to_string(), published, workers]
}

impl SqlInbox {
    /// Connect to `url` and migrate. SQLite files are created if missing and opened in WAL
    /// mode with `synchronous=FULL`: a commit is on disk when it returns.
    pub async fn open(url: &str) -> Result<Self, InboxError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let (pool, relaxed) = match backend {
            Backend::Sqlite => sqlite_pools(url).await?,
            Backend::Postgres => postgres_pools(url).await?,
        };
        let inbox = SqlInbox {
            #[cfg(feature = "postgres")]
            listener: match backend {
                Backend::Postgres => Some(tokio::sync::Mutex::new(listen(url).await?)),
                Backend::Sqlite => None,
            },
            pool,
            relaxed,
            write_lock: (backend == Backend::Sqlite).then(|| tokio::sync::Mutex::new(())),
            since_checkpoint: std::sync::atomic::AtomicUsize::new(0),
            last_notify: std::sync::Mutex::new(None),
            backend,
            local_work: Notify::new(),
            sqlite_path: (backend == Backend::Sqlite)
                .then(|| sqlite_file(url))
                .flatten(),
            workers_lock: std::sync::Mutex::new(None),
            #[cfg(feature = "postgres")]
            url: url.to_string(),
            #[cfg(feature = "postgres")]
            liveness: tokio::sync::Mutex::new(Vec::new()),
        };
        inbox.migrate().await?;
        Ok(inbox)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<(), InboxError> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        if self.backend == Backend::Postgres {
            // Replicas starting together migrate one at a time.
            tx.execute("SELECT pg_advisory_xact_lock(4242001)").await?;
        }
        tx.execute(
            "CREATE TABLE IF NOT EXISTS hookgen_inbox_migrations (version BIGINT PRIMARY KEY)",
        )
        .await?;
        let done: i64 = sqlx::query("SELECT COUNT(*) FROM hookgen_inbox_migrations")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        for (version, sql) in migrations(self.backend)
            .iter()
            .enumerate()
            .skip(done as usize)
        {
            tx.execute(sql.as_str()).await?;
            sqlx::query("INSERT INTO hookgen_inbox_migrations (version) VALUES ($1)")
                .bind(version as i64 + 1)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// SQLite: the one-writer lock, held for a whole write transaction (`None` on PostgreSQL,
    /// whose rows lock themselves).
    async fn writing(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    /// Whether an insert should wake the other replicas now: at most every [`NOTIFY_EVERY`].
    /// A transaction that notifies takes PostgreSQL's one notification-queue lock at commit,
    /// so notifying on every batch would serialize every replica's commits; this process's own
    /// workers are woken at once anyway, and busy replicas lease as their handlers finish.
    fn notify_due(&self) -> bool {
        let mut last = self.last_notify.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|t| t.elapsed() >= NOTIFY_EVERY);
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
    }

    async fn insert_all(&self, batch: &[NewDelivery]) -> Result<Vec<Inserted>, InboxError> {
        // Insert in (source, key) order: replicas committing overlapping batches then take
        // the unique index's locks in the same order and cannot deadlock.
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by(|a, b| {
            (&batch[*a].source, &batch[*a].key).cmp(&(&batch[*b].source, &batch[*b].key))
        });
        // A 202 stands behind this commit: the durable connection, whose level nothing changes.
        let mut conn = self.pool.acquire().await?;
        let _writing = self.writing().await;
        let mut stored: HashMap<(String, String), i64> = HashMap::new();
        let notify = self.backend == Backend::Postgres;
        if !notify && batch.len() <= ROWS_PER_STATEMENT {
            // One statement is its own transaction: no BEGIN and COMMIT round trips.
            insert_rows(&mut conn, batch, &order, &mut stored).await?;
            return Ok(self.inserted(batch, order, stored));
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        for chunk in order.chunks(ROWS_PER_STATEMENT) {
            insert_rows(&mut tx, batch, chunk, &mut stored).await?;
        }
        let fresh = stored.values().next().is_some();
        if fresh && notify && self.notify_due() {
            // Delivered at commit, to every replica listening.
            tx.execute("NOTIFY hookgen_inbox").await?;
        }
        tx.commit().await?;
        Ok(self.inserted(batch, order, stored))
    }

    /// Each delivery's result, from the ids the inserts returned, and this process's workers
    /// woken when anything is new. A key twice in the batch: its first copy (in insert order)
    /// is the new row.
    fn inserted(
        &self,
        batch: &[NewDelivery],
        order: Vec<usize>,
        mut stored: HashMap<(String, String), i64>,
    ) -> Vec<Inserted> {
        let mut results = vec![Inserted::Duplicate; batch.len()];
        for i in order {
            let d = &batch[i];
            if let Some(id) = stored.remove(&(d.source.clone(), d.key.clone())) {
                results[i] = Inserted::New(id);
            }
        }
        if results.iter().any(|r| matches!(r, Inserted::New(_))) {
            self.local_work.notify_waiters();
        }
        results
    }

    async fn lease_due(
        &self,
        owner: &str,
        limit: usize,
        lease_for: Duration,
        now: SystemTime,
    ) -> Result<Vec<Delivery>, InboxError> {
        let sql = lease_statement(self.backend);
        let now_ms = to_millis(now);
        let mut conn = self.relaxed.acquire().await?;
        let _writing = self.writing().await;
        let limit = limit.min(MAX_LEASE) as i64;
        let rows = sqlx::query(sql)
            .bind(owner)
            .bind(now_ms.saturating_add(lease_for.as_millis().min(i64::MAX as u128) as i64))
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        let mut leased: Vec<Delivery> = rows.iter().map(read_row).collect::<Result<_, _>>()?;
        leased.sort_by_key(|d| d.id);
        Ok(leased)
    }

    /// Each outcome in one transaction on a relaxed connection: one commit per batch.
    async fn finish_attempts(
        &self,
        owner: &str,
        outcomes: &[(i64, Finish)],
    ) -> Result<Vec<bool>, InboxError> {
        let mut conn = self.relaxed.acquire().await?;
        let writing = self.writing().await;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        // Successes, nearly all outcomes, in a few statements; the rest one by one.
        let done: Vec<i64> = outcomes
            .iter()
            .filter(|(_, f)| *f == Finish::Done)
            .map(|(id, _)| *id)
            .collect();
        let mut recorded_done = std::collections::HashSet::new();
        for chunk in done.chunks(ROWS_PER_STATEMENT) {
            let mut query =
                sqlx::query(finish_done_statement(self.backend, chunk.len())).bind(owner);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *tx).await? {
                recorded_done.insert(row.try_get::<i64, _>("id")?);
            }
        }
        let mut recorded = Vec::with_capacity(outcomes.len());
        for (id, outcome) in outcomes {
            if *outcome == Finish::Done {
                recorded.push(recorded_done.contains(id));
                continue;
            }
            let write = outcome.row();
            let done = sqlx::query(
                "UPDATE hookgen_inbox SET state = $1, next_run_at = COALESCE($2, next_run_at), \
                 last_error = $3, lease_owner = NULL, lease_expires_at = NULL \
                 WHERE id = $4 AND state = 'leased' AND lease_owner = $5",
            )
            .bind(write.state.as_str())
            .bind(write.next_run_at)
            .bind(write.error)
            .bind(*id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
            recorded.push(done.rows_affected() == 1);
        }
        tx.commit().await?;
        drop(writing);
        self.checkpoint_now_and_then(&mut conn, outcomes.len())
            .await;
        Ok(recorded)
    }

    async fn published(&self, id: i64, owner: &str, at: SystemTime) -> Result<bool, InboxError> {
        self.update_held("published_at", id, owner, at).await
    }

    async fn extend(&self, id: i64, owner: &str, until: SystemTime) -> Result<bool, InboxError> {
        self.update_held("lease_expires_at", id, owner, until).await
    }

    /// SQLite: copy the WAL into the database every [`CHECKPOINT_EVERY`] outcome rows, on the
    /// relaxed connection and outside the writer lock (a passive checkpoint runs beside
    /// writers), so that inserts never wait for one. The durable connection checkpoints
    /// itself only as a backstop, when nothing else has (`wal_autocheckpoint`).
    async fn checkpoint_now_and_then(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        rows: usize,
    ) {
        use std::sync::atomic::Ordering;
        if self.backend != Backend::Sqlite {
            return;
        }
        let written = self.since_checkpoint.fetch_add(rows, Ordering::Relaxed) + rows;
        if written < CHECKPOINT_EVERY {
            return;
        }
        self.since_checkpoint.store(0, Ordering::Relaxed);
        if let Err(error) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(%error, "inbox: WAL checkpoint failed; the next one retries");
        }
    }

    /// Set one time column of a row `owner` still holds, on a relaxed connection (no 202
    /// stands behind it); `false` when the lease has passed to another worker.
    async fn update_held(
        &self,
        column: &'static str,
        id: i64,
        owner: &str,
        at: SystemTime,
    ) -> Result<bool, InboxError> {
        let mut conn = self.relaxed.acquire().await?;
        let _writing = self.writing().await;
        let sql = format!(
            "UPDATE hookgen_inbox SET {column} = $1 \
             WHERE id = $2 AND state = 'leased' AND lease_owner = $3"
        );
        let done = sqlx::query(&sql)
            .bind(to_millis(at))
            .bind(id)
            .bind(owner)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_rows(&self, filter: &ListFilter) -> Result<Vec<Delivery>, InboxError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM hookgen_inbox \
             WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) \
               AND (CAST($2 AS TEXT) IS NULL OR event_type = $2) \
             ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(filter.state.map(State::as_str))
            .bind(filter.event_type.as_deref())
            .bind(i64::from(filter.limit.unwrap_or(100)))
            .fetch_all(&self.relaxed)
            .await?;
        rows.iter().map(read_row).collect()
    }

    async fn get_row(&self, id: i64) -> Result<Option<Delivery>, InboxError> {
        let sql = format!("SELECT {COLUMNS} FROM hookgen_inbox WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.relaxed)
            .await?;
        row.as_ref().map(read_row).transpose()
    }

    async fn replay_rows(&self, which: Replay) -> Result<u64, InboxError> {
        let (condition, id) = match which {
            Replay::Id(id) => ("id = $2", id),
            Replay::Dead => ("state = 'dead' AND $2 = $2", 0),
            Replay::Undecodable => ("state = 'undecodable' AND $2 = $2", 0),
        };
        let sql = format!(
            "UPDATE hookgen_inbox SET state = 'pending', attempts = 0, next_run_at = $1, \
             lease_owner = NULL, lease_expires_at = NULL WHERE {condition}"
        );
        let mut conn = self.pool.acquire().await?;
        let _writing = self.writing().await;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let done = sqlx::query(&sql)
            .bind(to_millis(SystemTime::now()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if self.backend == Backend::Postgres && done.rows_affected() > 0 {
            tx.execute("NOTIFY hookgen_inbox").await?;
        }
        tx.commit().await?;
        self.local_work.notify_waiters();
        Ok(done.rows_affected())
    }

    async fn purge(&self, before: SystemTime) -> Result<u64, InboxError> {
        let mut conn = self.relaxed.acquire().await?;
        let _writing = self.writing().await;
        let done =
            sqlx::query("DELETE FROM hookgen_inbox WHERE state = 'done' AND received_at < $1")
                .bind(to_millis(before))
                .execute(&mut *conn)
                .await?;
        Ok(done.rows_affected())
    }

    async fn count_states(&self) -> Result<Vec<(State, u64)>, InboxError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM hookgen_inbox GROUP BY state")
            .fetch_all(&self.relaxed)
            .await?;
        let mut counts: Vec<(State, u64)> = State::ALL.iter().map(|s| (*s, 0)).collect();
        for row in rows {
            let name: String = row.try_get("state")?;
            let n: i64 = row.try_get("n")?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| s.as_str() == name) {
                slot.1 = n.max(0) as u64;
            }
        }
        Ok(counts)
    }

    async fn wait(&self, timeout: Duration) {
        #[cfg(feature = "postgres")]
        if let Some(listener) = &self.listener {
            let mut listener = listener.lock().await;
            tokio::select! {
                _ = tokio::time::timeout(timeout, listener.recv()) => {}
                _ = self.local_work.notified() => {}
            }
            return;
        }
        let _ = tokio::time::timeout(timeout, self.local_work.notified()).await;
    }
}

/// Insert the deliveries `rows` names (indexes into `batch`, at most [`ROWS_PER_STATEMENT`])
/// in one statement, recording the id of each new row by its (source, key).
async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    batch: &[NewDelivery],
    rows: &[usize],
    stored: &mut HashMap<(String, String), i64>,
) -> Result<(), InboxError> {
    let mut query = sqlx::query(insert_statement(rows.len()));
    for &i in rows {
        let d = &batch[i];
        let at = to_millis(d.received_at);
        query = query
            .bind(&d.source)
            .bind(&d.key)
            .bind(&d.body)
            .bind(headers_to_json(&d.headers))
            .bind(&d.event_type)
            .bind(&d.ordering_key)
            .bind(d.state.as_str())
            .bind(at)
            .bind(at)
            .bind(&d.error);
    }
    for row in query.fetch_all(&mut *conn).await? {
        stored.insert(
            (row.try_get("source")?, row.try_get("delivery_key")?),
            row.try_get("id")?,
        );
    }
    Ok(())
}

fn backend_of(url: &str) -> Result<Backend, InboxError> {
    if url.starts_with("sqlite:") {
        return Ok(Backend::Sqlite);
    }
    if cfg!(feature = "postgres")
        && (url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        return Ok(Backend::Postgres);
    }
    Err(InboxError::UnsupportedUrl(url.to_string()))
}

/// One connection: SQLite has one writer anyway, and waiting in the pool is cheaper than
/// `SQLITE_BUSY`. An in-memory database must be one connection to be one database.
/// The file a `sqlite:` URL names (`None` for an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.into())
}

impl SqlInbox {
    /// Take the workers' lock beside a SQLite file; true when this call took it (no other
    /// live process, and no earlier workers of this inbox, run on the file: every lease in it
    /// is a dead process's). False when it is held already, here or elsewhere.
    fn take_workers_lock(&self) -> bool {
        let Some(path) = &self.sqlite_path else {
            return false;
        };
        let mut held = self.workers_lock.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_some() {
            return false;
        }
        let mut name = path.as_os_str().to_owned();
        name.push(".workers.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(std::path::PathBuf::from(name));
        match file {
            Ok(file) if file.try_lock().is_ok() => {
                *held = Some(file);
                true
            }
            _ => false,
        }
    }

    /// Hold `owner`'s liveness lock on a connection of its own, and record the owner, before
    /// it leases anything.
    #[cfg(feature = "postgres")]
    async fn register_liveness(&self, owner: &str) -> Result<(), InboxError> {
        use sqlx::Connection;
        let mut conn = sqlx::postgres::PgConnection::connect(&self.url).await?;
        sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
            .bind(LIVENESS_LOCK)
            .bind(owner)
            .execute(&mut conn)
            .await?;
        sqlx::query(
            "INSERT INTO hookgen_inbox_workers (owner, started_at) VALUES ($1, $2) \
             ON CONFLICT (owner) DO NOTHING",
        )
        .bind(owner)
        .bind(to_millis(SystemTime::now()))
        .execute(&self.pool)
        .await?;
        self.liveness.lock().await.push((owner.to_string(), conn));
        Ok(())
    }

    /// Registered workers whose liveness lock can be taken are dead: their leases become
    /// pending now, and they leave the register. A live worker holds its lock, so a slow
    /// handler's lease is never taken from it.
    #[cfg(feature = "postgres")]
    async fn release_dead_workers(&self) -> Result<u64, InboxError> {
        let own: Vec<String> = self
            .liveness
            .lock()
            .await
            .iter()
            .map(|(o, _)| o.clone())
            .collect();
        let owners: Vec<String> = sqlx::query_scalar("SELECT owner FROM hookgen_inbox_workers")
            .fetch_all(&self.pool)
            .await?;
        let mut released = 0;
        let mut conn = self.pool.acquire().await?;
        for owner in owners.iter().filter(|o| !own.contains(o)) {
            let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
                .bind(LIVENESS_LOCK)
                .bind(owner)
                .fetch_one(&mut *conn)
                .await?;
            if !free {
                continue;
            }
            let done = sqlx::query(
                "UPDATE hookgen_inbox SET state = 'pending', lease_owner = NULL, \
                 lease_expires_at = NULL WHERE state = 'leased' AND lease_owner = $1",
            )
            .bind(owner)
            .execute(&mut *conn)
            .await;
            sqlx::query("DELETE FROM hookgen_inbox_workers WHERE owner = $1")
                .bind(owner)
                .execute(&mut *conn)
                .await?;
            sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
                .bind(LIVENESS_LOCK)
                .bind(owner)
                .execute(&mut *conn)
                .await?;
            released += done?.rows_affected();
        }
        if released > 0 {
            sqlx::query("NOTIFY hookgen_inbox")
                .execute(&mut *conn)
                .await?;
        }
        Ok(released)
    }

    async fn release_all_leases(&self) -> Result<u64, InboxError> {
        let mut conn = self.relaxed.acquire().await?;
        let _writing = self.writing().await;
        let done = sqlx::query(
            "UPDATE hookgen_inbox SET state = 'pending', lease_owner = NULL, \
             lease_expires_at = NULL WHERE state = 'leased'",
        )
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected())
    }
}

/// SQLite's two connections, one writer at a time ([`SqlInbox::writing`]): the durable one
/// at `synchronous=FULL` and the relaxed one at `synchronous=NORMAL`, each set as it connects
/// and never changed. An in-memory database must be one connection to be one database, and
/// has no disk to wait for: both are then the same.
async fn sqlite_pools(url: &str) -> Result<(AnyPool, AnyPool), InboxError> {
    let url = if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    // The durable connection checkpoints only past 40 MB of WAL, a backstop for an inbox
    // without workers; the relaxed one never on its own ([`SqlInbox::checkpoint_now_and_then`]).
    let durable = sqlite_connection(&url, "FULL", 10_000).await?;
    if url.contains(":memory:") {
        return Ok((durable.clone(), durable));
    }
    // WAL mode is the file's, set by the first connection; the second only joins it.
    let relaxed = sqlite_connection(&url, "NORMAL", 0).await?;
    Ok((durable, relaxed))
}

async fn sqlite_connection(
    url: &str,
    synchronous: &'static str,
    autocheckpoint: u32,
) -> Result<AnyPool, InboxError> {
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        // A file has no server to go away: sqlx's ping before each use was a round trip to
        // the connection's thread on every insert, as long as the statement itself.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
                     PRAGMA busy_timeout = 10000; \
                     PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 268435456; \
                     PRAGMA wal_autocheckpoint = {autocheckpoint};"
                );
                conn.execute(pragmas.as_str()).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// PostgreSQL's two pools: durable (`synchronous_commit=on`) for inserts, relaxed
/// (`synchronous_commit=off`) for the rest, each level set as a connection opens.
async fn postgres_pools(url: &str) -> Result<(AnyPool, AnyPool), InboxError> {
    Ok((
        postgres_pool(url, "on").await?,
        postgres_pool(url, "off").await?,
    ))
}

async fn postgres_pool(url: &str, synchronous_commit: &'static str) -> Result<AnyPool, InboxError> {
    let pool = AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                let set = format!("SET synchronous_commit = {synchronous_commit}");
                conn.execute(set.as_str()).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}

#[cfg(feature = "postgres")]
async fn listen(url: &str) -> Result<sqlx::postgres::PgListener, InboxError> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

fn read_row(row: &AnyRow) -> Result<Delivery, InboxError> {
    let id: i64 = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    let headers: String = row.try_get("headers")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(Delivery {
        id,
        source: row.try_get("source")?,
        key: row.try_get("delivery_key")?,
        body: row.try_get("body")?,
        headers: headers_from_json(id, &headers)?,
        event_type: row.try_get("event_type")?,
        ordering_key: row.try_get("ordering_key")?,
        state: State::parse(&state).ok_or_else(|| InboxError::Corrupt {
            id,
            reason: format!("unknown state `{state}`"),
        })?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        received_at: from_millis(row.try_get("received_at")?),
        next_run_at: from_millis(row.try_get("next_run_at")?),
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: row
            .try_get::<Option<i64>, _>("lease_expires_at")?
            .map(from_millis),
        last_error: row.try_get("last_error")?,
        published_at: row
            .try_get::<Option<i64>, _>("published_at")?
            .map(from_millis),
    })
}

impl Inbox for SqlInbox {
    fn insert_batch<'a>(
        &'a self,
        batch: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<Inserted>, InboxError>> {
        Box::pin(self.insert_all(batch))
    }

    fn lease<'a>(
        &'a self,
        owner: &'a str,
        limit: usize,
        lease_for: Duration,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>> {
        Box::pin(self.lease_due(owner, limit, lease_for, now))
    }

    fn finish<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        outcome: Finish,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(async move {
            let recorded = self.finish_attempts(owner, &[(id, outcome)]).await?;
            Ok(recorded.first().copied().unwrap_or(false))
        })
    }

    fn finish_many<'a>(
        &'a self,
        owner: &'a str,
        outcomes: &'a [(i64, Finish)],
    ) -> BoxFuture<'a, Result<Vec<bool>, InboxError>> {
        Box::pin(self.finish_attempts(owner, outcomes))
    }

    fn extend_lease<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(self.extend(id, owner, until))
    }

    fn mark_published<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(self.published(id, owner, at))
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>> {
        Box::pin(self.list_rows(filter))
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Delivery>, InboxError>> {
        Box::pin(self.get_row(id))
    }

    fn replay(&self, which: Replay) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(self.replay_rows(which))
    }

    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(self.purge(before))
    }

    fn counts(&self) -> BoxFuture<'_, Result<Vec<(State, u64)>, InboxError>> {
        Box::pin(self.count_states())
    }

    fn wait_for_work(&self, timeout: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.wait(timeout))
    }

    /// SQLite: the process that gets the workers' lock knows every lease in the file is a dead
    /// process's and releases them. PostgreSQL: the leases of every registered worker whose
    /// liveness lock is free (its connection, and so its process, is gone) are released.
    fn reclaim_dead_leases(&self) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(async move {
            match self.backend {
                Backend::Sqlite if self.take_workers_lock() => self.release_all_leases().await,
                Backend::Sqlite => Ok(0),
                #[cfg(feature = "postgres")]
                Backend::Postgres => self.release_dead_workers().await,
                #[cfg(not(feature = "postgres"))]
                Backend::Postgres => Ok(0),
            }
        })
    }

    fn register_worker<'a>(&'a self, owner: &'a str) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move {
            #[cfg(feature = "postgres")]
            if self.backend == Backend::Postgres {
                return self.register_liveness(owner).await;
            }
            let _ = owner;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("hookgen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn delivery(key: &str) -> NewDelivery {
        NewDelivery {
            source: "t".into(),
            key: key.into(),
            body: b"{}".to_vec(),
            headers: vec![],
            event_type: None,
            ordering_key: None,
            state: State::Pending,
            error: None,
            received_at: SystemTime::now(),
        }
    }

    async fn synchronous(pool: &AnyPool) -> i64 {
        sqlx::query_scalar::<_, i64>("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// Regression: relaxed writes used to switch the one SQLite connection to NORMAL and back,
    /// and a heartbeat aborted in between left it relaxed, so later inserts (the ones a 202
    /// stands behind) were not fsynced. Each level now has its own connection.
    #[tokio::test]
    async fn inserts_and_relaxed_writes_keep_their_own_levels() {
        let dir = scratch("sync-levels");
        let url = format!("sqlite:{}", dir.join("inbox.db").display());
        let inbox = SqlInbox::open(&url).await.unwrap();
        inbox.insert_batch(&[delivery("a")]).await.unwrap();
        let leased = inbox
            .lease("w", 10, Duration::from_secs(60), SystemTime::now())
            .await
            .unwrap();
        // A relaxed write cancelled half way, as an aborted heartbeat is.
        let extend = inbox.extend_lease(leased[0].id, "w", SystemTime::now());
        drop(extend);
        inbox.finish(leased[0].id, "w", Finish::Done).await.unwrap();
        assert_eq!(synchronous(&inbox.pool).await, 2, "inserts: FULL");
        assert_eq!(synchronous(&inbox.relaxed).await, 1, "the rest: NORMAL");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// strace attached to this test process: the syscalls between two markers.
    struct Strace {
        child: std::process::Child,
        out: std::path::PathBuf,
    }

    impl Strace {
        fn attach(out: std::path::PathBuf) -> Option<Strace> {
            let spawned = std::process::Command::new("strace")
                .args(["-f", "-qq", "-y", "-e"])
                .arg("trace=fsync,fdatasync,statx,newfstatat,stat")
                .arg("-o")
                .arg(&out)
                .arg("-p")
                .arg(std::process::id().to_string())
                .stderr(std::process::Stdio::null())
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(e) if std::env::var_os("HOOKGEN_REQUIRE_STRACE").is_some() => {
                    panic!("strace is required (HOOKGEN_REQUIRE_STRACE) but did not start: {e}")
                }
                Err(e) => {
                    eprintln!("skipped: strace did not start ({e})");
                    return None;
                }
            };
            let strace = Strace { child, out };
            // Attached once a marker shows in its output.
            for n in 0..500 {
                strace.mark(&format!("ready-{n}"));
                if strace.text().contains(&format!("hookgen-mark-ready-{n}\"")) {
                    return Some(strace);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("strace never attached to this process");
        }

        fn mark(&self, label: &str) {
            let _ = std::fs::metadata(format!("/nonexistent/hookgen-mark-{label}"));
        }

        fn text(&self) -> String {
            std::fs::read_to_string(&self.out).unwrap_or_default()
        }

        /// Detach (SIGINT lets strace release this process cleanly) and return its output.
        fn finish(mut self) -> String {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
            self.text()
        }
    }

    /// The lines between markers `from` and `to`.
    fn between<'t>(text: &'t str, from: &str, to: &str) -> Vec<&'t str> {
        let lines: Vec<&str> = text.lines().collect();
        let at = |label: &str| {
            let needle = format!("hookgen-mark-{label}\"");
            lines
                .iter()
                .position(|l| l.contains(&needle))
                .unwrap_or_else(|| panic!("marker {label} missing from strace's output"))
        };
        lines[at(from) + 1..at(to)].to_vec()
    }

    /// An fsync of `db`'s WAL (other tests in this process sync their own files meanwhile).
    fn syncs_wal(line: &str, db: &std::path::Path) -> bool {
        let wal = format!("{}-wal>", db.display());
        (line.contains("fdatasync(") || line.contains("fsync(")) && line.contains(&wal)
    }

    /// Proof by the kernel's own record: every insert batch (what a 202 stands behind) is
    /// followed by an fsync of the WAL before `insert_batch` returns, whatever relaxed writes
    /// (leases, outcomes, a cancelled heartbeat) ran between them; and relaxed writes sync
    /// nothing, which also shows that this check can see a missing fsync.
    #[tokio::test]
    async fn every_insert_batch_is_fsynced_before_it_returns() {
        let dir = scratch("fsync-proof");
        let db = dir.join("inbox.db");
        let url = format!("sqlite:{}", db.display());
        let inbox = SqlInbox::open(&url).await.unwrap();
        let Some(strace) = Strace::attach(dir.join("strace.txt")) else {
            return;
        };
        const BATCHES: usize = 20;
        for i in 0..BATCHES {
            strace.mark(&format!("insert-{i}"));
            let batch = [delivery(&format!("a{i}")), delivery(&format!("b{i}"))];
            inbox.insert_batch(&batch).await.unwrap();
            strace.mark(&format!("inserted-{i}"));
            let leased = inbox
                .lease("w", 2, Duration::from_secs(60), SystemTime::now())
                .await
                .unwrap();
            drop(inbox.extend_lease(leased[0].id, "w", SystemTime::now()));
            let outcomes: Vec<(i64, Finish)> =
                leased.iter().map(|d| (d.id, Finish::Done)).collect();
            inbox.finish_many("w", &outcomes).await.unwrap();
            strace.mark(&format!("relaxed-{i}"));
        }
        let text = strace.finish();
        for i in 0..BATCHES {
            let insert = between(&text, &format!("insert-{i}"), &format!("inserted-{i}"));
            assert!(
                insert.iter().any(|l| syncs_wal(l, &db)),
                "insert batch {i} returned without an fsync of the WAL: {insert:#?}"
            );
            let relaxed = between(&text, &format!("inserted-{i}"), &format!("relaxed-{i}"));
            assert!(
                !relaxed.iter().any(|l| syncs_wal(l, &db)),
                "relaxed writes {i} waited for the disk: {relaxed:#?}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
