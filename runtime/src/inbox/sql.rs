//! The inbox in SQLite or PostgreSQL, through sqlx's runtime queries (no query macros, so no
//! database is needed to build). One set of statements serves both; only the table
//! definition, row locking and wake-ups differ.

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
    pool: AnyPool,
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
        let pool = match backend {
            Backend::Sqlite => sqlite_pool(url).await?,
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .connect(url)
                    .await?
            }
        };
        let inbox = SqlInbox {
            #[cfg(feature = "postgres")]
            listener: match backend {
                Backend::Postgres => Some(tokio::sync::Mutex::new(listen(url).await?)),
                Backend::Sqlite => None,
            },
            pool,
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

    async fn insert_all(&self, batch: &[NewDelivery]) -> Result<Vec<Inserted>, InboxError> {
        // Insert in (source, key) order: replicas committing overlapping batches then take
        // the unique index's locks in the same order and cannot deadlock.
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by(|a, b| {
            (&batch[*a].source, &batch[*a].key).cmp(&(&batch[*b].source, &batch[*b].key))
        });
        let mut conn = self.pool.acquire().await?;
        // A 202 stands behind this commit: it is fsynced whatever an earlier relaxed write
        // (lease, outcome, heartbeat) left this connection at, even one cancelled between
        // relaxing and restoring.
        self.relax_sync(&mut conn, false).await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let mut results = vec![Inserted::Duplicate; batch.len()];
        for i in order {
            let d = &batch[i];
            let at = to_millis(d.received_at);
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO hookgen_inbox (source, delivery_key, body, headers, event_type, \
                 ordering_key, state, attempts, received_at, next_run_at, last_error) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, $9) \
                 ON CONFLICT (source, delivery_key) DO NOTHING RETURNING id",
            )
            .bind(&d.source)
            .bind(&d.key)
            .bind(&d.body)
            .bind(headers_to_json(&d.headers))
            .bind(&d.event_type)
            .bind(&d.ordering_key)
            .bind(d.state.as_str())
            .bind(at)
            .bind(&d.error)
            .fetch_optional(&mut *tx)
            .await?;
            results[i] = id.map_or(Inserted::Duplicate, Inserted::New);
        }
        let fresh = results.iter().any(|r| matches!(r, Inserted::New(_)));
        if fresh && self.backend == Backend::Postgres {
            // Delivered at commit, to every replica listening.
            tx.execute("NOTIFY hookgen_inbox").await?;
        }
        tx.commit().await?;
        if fresh {
            self.local_work.notify_waiters();
        }
        Ok(results)
    }

    async fn lease_due(
        &self,
        owner: &str,
        limit: usize,
        lease_for: Duration,
        now: SystemTime,
    ) -> Result<Vec<Delivery>, InboxError> {
        // Due rows come from two index range scans (an OR alone would scan the table, and
        // leasing runs every time a handler finishes). The same conditions stand on `d` too:
        // PostgreSQL re-checks them, not the subquery, on a row another replica leased and
        // committed meanwhile, so that row is not leased twice. Only the first unfinished row
        // of an ordering key is due; rows another replica is locking now are skipped.
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE hookgen_inbox SET state = 'leased', lease_owner = $1, lease_expires_at = $2, \
             attempts = attempts + 1 WHERE id IN ( \
               SELECT d.id FROM hookgen_inbox d \
               WHERE d.id IN ( \
                      SELECT id FROM hookgen_inbox WHERE state = 'pending' AND next_run_at <= $3 \
                      UNION ALL \
                      SELECT id FROM hookgen_inbox WHERE state = 'leased' AND lease_expires_at <= $3) \
                 AND ((d.state = 'pending' AND d.next_run_at <= $3) \
                      OR (d.state = 'leased' AND d.lease_expires_at <= $3)) \
                 AND (d.ordering_key IS NULL OR NOT EXISTS ( \
                      SELECT 1 FROM hookgen_inbox e WHERE e.source = d.source \
                      AND e.ordering_key = d.ordering_key AND e.id < d.id \
                      AND e.state IN ('pending', 'leased'))) \
               ORDER BY d.id LIMIT $4 {lock}) \
             RETURNING {COLUMNS}"
        );
        let now_ms = to_millis(now);
        let mut conn = self.pool.acquire().await?;
        self.relax_sync(&mut conn, true).await?;
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(now_ms.saturating_add(lease_for.as_millis().min(i64::MAX as u128) as i64))
            .bind(now_ms)
            .bind(limit.min(i64::MAX as usize) as i64)
            .fetch_all(&mut *conn)
            .await;
        self.relax_sync(&mut conn, false).await?;
        let rows = rows?;
        let mut leased: Vec<Delivery> = rows.iter().map(read_row).collect::<Result<_, _>>()?;
        leased.sort_by_key(|d| d.id);
        Ok(leased)
    }

    async fn finish_attempt(
        &self,
        id: i64,
        owner: &str,
        outcome: &Finish,
    ) -> Result<bool, InboxError> {
        let write = outcome.row();
        let mut conn = self.pool.acquire().await?;
        self.relax_sync(&mut conn, true).await?;
        let done = sqlx::query(
            "UPDATE hookgen_inbox SET state = $1, next_run_at = COALESCE($2, next_run_at), \
             last_error = $3, lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $4 AND state = 'leased' AND lease_owner = $5",
        )
        .bind(write.state.as_str())
        .bind(write.next_run_at)
        .bind(write.error)
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await;
        self.relax_sync(&mut conn, false).await?;
        Ok(done?.rows_affected() == 1)
    }

    /// On SQLite, lease and outcome writes commit without waiting for the disk: losing one in
    /// a power failure (a process crash loses nothing in WAL mode) only means an event runs
    /// again, which handlers must allow anyway. Inserts, the writes behind a 2xx, always wait.
    /// The next synchronous commit flushes these too, in order.
    async fn relax_sync(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        relaxed: bool,
    ) -> Result<(), InboxError> {
        if self.backend == Backend::Sqlite {
            let level = if relaxed { "NORMAL" } else { "FULL" };
            conn.execute(format!("PRAGMA synchronous = {level}").as_str())
                .await?;
        }
        Ok(())
    }

    async fn published(&self, id: i64, owner: &str, at: SystemTime) -> Result<bool, InboxError> {
        self.update_held("published_at", id, owner, at).await
    }

    async fn extend(&self, id: i64, owner: &str, until: SystemTime) -> Result<bool, InboxError> {
        self.update_held("lease_expires_at", id, owner, until).await
    }

    /// Set one time column of a row `owner` still holds, with `synchronous=NORMAL` (no 202
    /// stands behind it); `false` when the lease has passed to another worker.
    async fn update_held(
        &self,
        column: &'static str,
        id: i64,
        owner: &str,
        at: SystemTime,
    ) -> Result<bool, InboxError> {
        let mut conn = self.pool.acquire().await?;
        self.relax_sync(&mut conn, true).await?;
        let sql = format!(
            "UPDATE hookgen_inbox SET {column} = $1 \
             WHERE id = $2 AND state = 'leased' AND lease_owner = $3"
        );
        let done = sqlx::query(&sql)
            .bind(to_millis(at))
            .bind(id)
            .bind(owner)
            .execute(&mut *conn)
            .await;
        self.relax_sync(&mut conn, false).await?;
        Ok(done?.rows_affected() == 1)
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
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_row).collect()
    }

    async fn get_row(&self, id: i64) -> Result<Option<Delivery>, InboxError> {
        let sql = format!("SELECT {COLUMNS} FROM hookgen_inbox WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await?;
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
        let done =
            sqlx::query("DELETE FROM hookgen_inbox WHERE state = 'done' AND received_at < $1")
                .bind(to_millis(before))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    async fn count_states(&self) -> Result<Vec<(State, u64)>, InboxError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM hookgen_inbox GROUP BY state")
            .fetch_all(&self.pool)
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
        let done = sqlx::query(
            "UPDATE hookgen_inbox SET state = 'pending', lease_owner = NULL, \
             lease_expires_at = NULL WHERE state = 'leased'",
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

async fn sqlite_pool(url: &str) -> Result<AnyPool, InboxError> {
    let url = if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    let options = AnyConnectOptions::from_str(&url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options)
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
        Box::pin(async move { self.finish_attempt(id, owner, &outcome).await })
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

    /// Regression: lease, outcome and heartbeat writes relax the one SQLite connection to
    /// `synchronous=NORMAL` and restore it after; a heartbeat aborted in between left it relaxed,
    /// so later inserts (the ones a 202 stands behind) were not fsynced.
    #[tokio::test]
    async fn an_insert_is_fsynced_whatever_a_cancelled_relaxed_write_left() {
        let dir = std::env::temp_dir().join(format!("hookgen-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("inbox.db").display());
        let inbox = SqlInbox::open(&url).await.unwrap();
        let level = |inbox: &SqlInbox| {
            let pool = inbox.pool.clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                sqlx::query_scalar::<_, i64>("PRAGMA synchronous")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap()
            }
        };
        {
            // Relaxed, then dropped without restoring: what the aborted heartbeat left.
            let mut conn = inbox.pool.acquire().await.unwrap();
            inbox.relax_sync(&mut conn, true).await.unwrap();
        }
        assert_eq!(level(&inbox).await, 1, "the connection is left at NORMAL");
        let delivery = NewDelivery {
            source: "t".into(),
            key: "k".into(),
            body: b"{}".to_vec(),
            headers: vec![],
            event_type: None,
            ordering_key: None,
            state: State::Pending,
            error: None,
            received_at: SystemTime::now(),
        };
        inbox.insert_batch(&[delivery]).await.unwrap();
        assert_eq!(level(&inbox).await, 2, "the insert ran at synchronous=FULL");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
