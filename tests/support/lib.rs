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
