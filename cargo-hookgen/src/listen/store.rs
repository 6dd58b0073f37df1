//! Where `listen` keeps deliveries: a SQLite file (`--db sqlite:PATH`, default
//! `sqlite:hookgen-listen.db`). Each delivery is a row of the same durable inbox a receiver
//! uses (state `done`, source `listen`: kept for inspection, never run by a receiver's
//! workers), so `cargo hookgen inbox --db` and the dashboard read it too; listen's verdicts
//! and forward results sit beside it in `hookgen_listen`, under the same id.

use std::str::FromStr;
use std::time::SystemTime;

use hookgen_runtime::inbox::{self, Inbox, Inserted, NewDelivery, State};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

use serde::{Deserialize, Serialize};

use super::analyze::Analysis;

/// What became of forwarding a delivery to the user's app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Forward {
    pub url: String,
    /// The app's status; `None` when it could not be reached.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The app's response body (first 64 KiB), or why it could not be reached.
    pub body: String,
    /// `exact` (the bytes and headers as received) or `resigned` (signed anew, now).
    pub mode: String,
}

/// One delivery as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: i64,
    pub received_at: String,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub analysis: Analysis,
    pub forward: Option<Forward>,
    /// The delivery this one replays, for replays.
    pub replay_of: Option<i64>,
}

pub struct Store {
    inbox: std::sync::Arc<dyn Inbox>,
    pool: SqlitePool,
}

impl Store {
    pub async fn open(url: &str) -> Result<Store, String> {
        if !url.starts_with("sqlite:") {
            return Err(format!("--db takes sqlite:PATH, not `{url}`"));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("{url}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS hookgen_listen (
                id INTEGER PRIMARY KEY,
                record TEXT NOT NULL
            )",
        )
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
        let inbox = inbox::open(url).await.map_err(|e| format!("{url}: {e}"))?;
        Ok(Store { inbox, pool })
    }

    pub async fn insert(&self, record: &Record, body: &[u8]) -> Result<i64, String> {
        let received = SystemTime::now();
        let row = NewDelivery {
            source: "listen".into(),
            key: format!(
                "listen:{}:{}:{}",
                rfc3339(received),
                std::process::id(),
                next_number()
            ),
            body: body.to_vec(),
            headers: record.headers.clone(),
            event_type: record.analysis.event_type.clone(),
            ordering_key: None,
            state: State::Done,
            error: (record.analysis.verified == Some(false))
                .then(|| record.analysis.verification.clone()),
            received_at: received,
        };
        let inserted = self
            .inbox
            .insert_batch(std::slice::from_ref(&row))
            .await
            .map_err(|e| e.to_string())?;
        let Some(Inserted::New(id)) = inserted.first().copied() else {
            return Err("the delivery was not stored".into());
        };
        let text = serde_json::to_string(record).map_err(|e| e.to_string())?;
        sqlx::query("INSERT INTO hookgen_listen (id, record) VALUES ($1, $2)")
            .bind(id)
            .bind(text)
            .execute(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    pub async fn set_forward(&self, id: i64, forward: &Forward) -> Result<(), String> {
        let Some(mut record) = self.record(id).await? else {
            return Ok(());
        };
        record.forward = Some(forward.clone());
        let text = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        sqlx::query("UPDATE hookgen_listen SET record = $1 WHERE id = $2")
            .bind(text)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// A delivery's record without its body.
    async fn record(&self, id: i64) -> Result<Option<Record>, String> {
        let row = sqlx::query("SELECT id, record FROM hookgen_listen WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
        row.as_ref().map(read).transpose()
    }

    pub async fn get(&self, id: i64) -> Result<Option<(Record, Vec<u8>)>, String> {
        let Some(record) = self.record(id).await? else {
            return Ok(None);
        };
        let body = self
            .inbox
            .get(id)
            .await
            .map_err(|e| e.to_string())?
            .map(|d| d.body)
            .unwrap_or_default();
        Ok(Some((record, body)))
    }

    /// Every delivery kept, oldest first, as stored (for drift).
    pub async fn stored(&self) -> Result<Vec<hookgen::received::Stored>, String> {
        crate::stored::all(&*self.inbox).await
    }

    /// The newest `limit` deliveries, newest first.
    pub async fn list(&self, limit: i64) -> Result<Vec<Record>, String> {
        let rows = sqlx::query("SELECT id, record FROM hookgen_listen ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
        rows.iter().map(read).collect()
    }
}

/// Keeps two deliveries in the same millisecond apart.
fn next_number() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn read(row: &sqlx::sqlite::SqliteRow) -> Result<Record, String> {
    let id: i64 = row.try_get("id").map_err(|e| e.to_string())?;
    let text: String = row.try_get("record").map_err(|e| e.to_string())?;
    let mut record: Record =
        serde_json::from_str(&text).map_err(|e| format!("delivery {id}: {e}"))?;
    record.id = id;
    Ok(record)
}

pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
