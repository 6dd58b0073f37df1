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
