//! Shared helpers for the workspace tests.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The shared signature vectors, as copied into the runtime's test data.
pub fn vectors() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(repo_root().join("runtime/tests/data/test-vectors.json"))
        .expect("vectors");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("vectors parse");
    doc["vectors"].as_array().expect("vectors array").clone()
}

/// A vector's request headers.
pub fn headers_of(v: &serde_json::Value) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, val) in v["headers"].as_object().expect("headers") {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            http::HeaderValue::from_str(val.as_str().expect("value")).expect("value"),
        );
    }
    h
}

/// A vector's clock.
pub fn clock_of(v: &serde_json::Value) -> std::time::SystemTime {
    std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(v["now"].as_u64().unwrap_or(1_700_000_000))
}

/// The README's Rust examples compile and run as doctests of this crate.
#[doc = include_str!("../../README.md")]
pub mod readme {}

/// A PostgreSQL database for a test: a fresh schema on the machine's server
/// (`HOOKGEN_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`), returned as
/// an inbox URL whose connections use that schema. `None`, with a visible note, when no server
/// answers; with `HOOKGEN_REQUIRE_POSTGRES=1` (CI) that is a failure instead.
pub async fn postgres_url(name: &str) -> Option<String> {
    use sqlx::Connection;
    let base = std::env::var("HOOKGEN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("HOOKGEN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "PostgreSQL is required (HOOKGEN_REQUIRE_POSTGRES=1) but {base} refused: {e}"
                );
            }
            eprintln!("note: skipping the PostgreSQL part of `{name}`: no server at {base} ({e})");
            return None;
        }
    };
    // Earlier runs' schemas for this test go first, so the database does not fill up.
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
            .bind(format!("hookgen_{name}_%"))
            .fetch_all(&mut conn)
            .await
            .expect("list test schemas");
    let schema = format!("hookgen_{name}_{}", std::process::id());
    let mut reset: String = stale
        .iter()
        .map(|s| format!("DROP SCHEMA IF EXISTS {s} CASCADE; "))
        .collect();
    reset.push_str(&format!("CREATE SCHEMA {schema}"));
    sqlx::raw_sql(&reset)
        .execute(&mut conn)
        .await
        .expect("create a test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// An inbox that runs `before_insert` on each batch, then (unless it returns an error) stores
/// into `inner`; every other call goes straight to `inner`. Tests count transactions or
/// break the store with it.
pub struct InsertHook<F> {
    pub inner: std::sync::Arc<dyn hookgen_runtime::inbox::Inbox>,
    pub before_insert: F,
}

mod insert_hook {
    use std::time::{Duration, SystemTime};

    use hookgen_runtime::inbox::{
        BoxFuture, Delivery, Finish, Inbox, InboxError, Inserted, ListFilter, NewDelivery, Replay,
        State,
    };

    use super::InsertHook;

    impl<F> Inbox for InsertHook<F>
    where
        F: Fn(&[NewDelivery]) -> Result<(), InboxError> + Send + Sync + 'static,
    {
        fn insert_batch<'a>(
            &'a self,
            batch: &'a [NewDelivery],
        ) -> BoxFuture<'a, Result<Vec<Inserted>, InboxError>> {
            match (self.before_insert)(batch) {
                Ok(()) => self.inner.insert_batch(batch),
                Err(e) => Box::pin(async move { Err(e) }),
            }
        }
        fn lease<'a>(
            &'a self,
            owner: &'a str,
            limit: usize,
            lease_for: Duration,
            now: SystemTime,
        ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>> {
            self.inner.lease(owner, limit, lease_for, now)
        }
        fn finish<'a>(
            &'a self,
            id: i64,
            owner: &'a str,
            outcome: Finish,
        ) -> BoxFuture<'a, Result<bool, InboxError>> {
            self.inner.finish(id, owner, outcome)
        }
        fn extend_lease<'a>(
            &'a self,
            id: i64,
            owner: &'a str,
            until: SystemTime,
        ) -> BoxFuture<'a, Result<bool, InboxError>> {
            self.inner.extend_lease(id, owner, until)
        }
        fn list<'a>(
            &'a self,
            filter: &'a ListFilter,
        ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>> {
            self.inner.list(filter)
        }
        fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Delivery>, InboxError>> {
            self.inner.get(id)
        }
        fn replay(&self, which: Replay) -> BoxFuture<'_, Result<u64, InboxError>> {
            self.inner.replay(which)
        }
        fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
            self.inner.purge_done_before(before)
        }
        fn counts(&self) -> BoxFuture<'_, Result<Vec<(State, u64)>, InboxError>> {
            self.inner.counts()
        }
        fn wait_for_work(&self, timeout: Duration) -> BoxFuture<'_, ()> {
            self.inner.wait_for_work(timeout)
        }
    }
}
