//! Where `listen` keeps deliveries: a SQLite file (`--db sqlite:PATH`, default
//! `sqlite:hookgen-listen.db`), one row per delivery, the verdicts as JSON beside the raw body.

use std::str::FromStr;
use std::time::SystemTime;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

use super::{Forward, Record};

pub struct Store {
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
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                record TEXT NOT NULL,
                body BLOB NOT NULL
            )",
        )
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
        Ok(Store { pool })
    }

    pub async fn insert(&self, record: &Record, body: &[u8]) -> Result<i64, String> {
        let text = serde_json::to_string(record).map_err(|e| e.to_string())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hookgen_listen (record, body) VALUES ($1, $2) RETURNING id",
        )
        .bind(text)
        .bind(body)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| e.to_string())?;
        Ok(id)
    }

    pub async fn set_forward(&self, id: i64, forward: &Forward) -> Result<(), String> {
        let Some((mut record, _)) = self.get(id).await? else {
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

    pub async fn get(&self, id: i64) -> Result<Option<(Record, Vec<u8>)>, String> {
        let row = sqlx::query("SELECT id, record, body FROM hookgen_listen WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
        row.map(|row| {
            let record = read(&row)?;
            let body: Vec<u8> = row.try_get("body").map_err(|e| e.to_string())?;
            Ok((record, body))
        })
        .transpose()
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
