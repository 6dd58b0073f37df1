//! Helpers for running the example receiver as a separate process and loading it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hookgen_runtime::client::reqwest;
use roomz_webhooks::Webhook;

pub const SECRET: &str = "roomz_crash_test_secret";

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hookgen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The example receiver binary, running.
pub struct ReceiverProcess {
    pub child: Child,
    pub port: u16,
}

impl ReceiverProcess {
    /// Start it and wait until it accepts connections.
    pub fn start(port: u16, inbox: &str, log: &Path, extra: &[&str]) -> Self {
        Self::start_with(port, inbox, Some(log), extra)
    }

    /// Start it with or without a processed log (without one, `--publish` replaces the
    /// handler), and wait until it accepts connections.
    pub fn start_with(port: u16, inbox: &str, log: Option<&Path>, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_roomz-receiver-example"));
        command.args(["--listen", &format!("127.0.0.1:{port}"), "--inbox", inbox]);
        if let Some(log) = log {
            command.arg("--processed-log").arg(log);
        }
        let child = command
            .args(extra)
            .env("ROOMZ_WEBHOOK_SECRET", SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the example receiver");
        let mut process = ReceiverProcess { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("the receiver exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the receiver did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        process
    }

    /// SIGKILL: no shutdown, no flushing, as an OOM kill or a hard deploy.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    pub fn url(&self) -> String {
        url(self.port)
    }
}

impl Drop for ReceiverProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/webhooks/roomz")
}

/// Delivery `n`: a `workspace.updated` event with its own id, signed.
pub fn delivery(n: usize) -> (String, http::HeaderMap, Vec<u8>) {
    let id = format!("00000000-0000-4000-8000-{n:012}");
    let body = serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": "workspace.updated",
        "timestamp": "2024-02-02T09:13:44+0000",
        "workspaceId": "df801b47-b7be-48e8-8e21-20e20c75906c"
    }))
    .unwrap();
    let headers = Webhook::new(SECRET).unwrap().sign(&body).unwrap();
    (id, headers, body)
}

/// POST a delivery; the status, or `None` when the connection failed (receiver down).
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Option<u16> {
    let mut req = client
        .post(url)
        .timeout(Duration::from_secs(10))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_bytes());
    }
    req.send().await.ok().map(|r| r.status().as_u16())
}

/// How many times each id appears in the processed logs.
pub fn processed(logs: &[PathBuf]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            *counts.entry(line.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// Wait until `done` holds for the processed counts, or panic after `limit`.
pub async fn wait_for(
    logs: &[PathBuf],
    limit: Duration,
    what: &str,
    done: impl Fn(&HashMap<String, usize>) -> bool,
) -> HashMap<String, usize> {
    let deadline = Instant::now() + limit;
    loop {
        let counts = processed(logs);
        if done(&counts) {
            return counts;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub const NATS: &str = "nats://127.0.0.1:4222";

/// Whether NATS answers on 127.0.0.1:4222 (a failure, not a skip, with HOOKGEN_REQUIRE_NATS).
pub fn nats_is_up() -> bool {
    let up = std::net::TcpStream::connect(("127.0.0.1", 4222)).is_ok();
    if !up && std::env::var_os("HOOKGEN_REQUIRE_NATS").is_some() {
        panic!("NATS is not running on 127.0.0.1:4222 (HOOKGEN_REQUIRE_NATS is set)");
    }
    up
}

/// Every message on the stream: the ROOMZ event id in its `Nats-Msg-Id` → how many times.
pub async fn on_stream(name: &str) -> HashMap<String, usize> {
    // The inbox's delivery key: `event-id:<id>` for ROOMZ.
    on_stream_subject(name, "hookgen.roomz.workspace.updated")
        .await
        .into_iter()
        .map(|(key, n)| (key.strip_prefix("event-id:").unwrap_or(&key).to_string(), n))
        .collect()
}

/// Messages on stream `name` by `Nats-Msg-Id`, each checked to be on `subject`.
pub async fn on_stream_subject(name: &str, subject: &str) -> HashMap<String, usize> {
    let client = async_nats::connect(NATS).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(name).await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut counts = HashMap::new();
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        let key = message
            .headers
            .get(async_nats::header::NATS_MESSAGE_ID)
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert_eq!(message.subject.as_str(), subject, "subject of {key}");
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Wait (at most a minute) until every acknowledged id is on stream `name`, then assert that
/// each is there exactly once.
pub async fn assert_each_once_on_stream(name: &str, acked: &std::collections::HashSet<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let counts = loop {
        let counts = on_stream(name).await;
        if acked.iter().all(|id| counts.contains_key(id)) || Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .collect();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let sample: Vec<_> = counts.keys().take(3).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged deliveries never reached the stream ({} messages on it, such as \
         {sample:?}); first missing: {:?}",
        missing.len(),
        acked.len(),
        counts.len(),
        missing.iter().take(3).collect::<Vec<_>>()
    );
    assert!(twice.is_empty(), "on the stream more than once: {twice:?}");
}

/// Remove every stream that takes `subject`.
pub async fn delete_streams_on(subject: &str) {
    use futures_util::StreamExt;
    let client = async_nats::connect(NATS).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut names = js.stream_names();
    let mut found = Vec::new();
    while let Some(Ok(name)) = names.next().await {
        found.push(name);
    }
    for name in found {
        let mut stream = js.get_stream(&name).await.unwrap();
        let info = stream.info().await.unwrap();
        if info.config.subjects.iter().any(|s| s == subject) {
            js.delete_stream(&name).await.unwrap();
        }
    }
}

/// Await all futures concurrently.
pub async fn futures_join<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Leases the replica with process id `pid` holds now.
pub async fn leases_held(db: &str, pid: u32) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM hookgen_inbox WHERE state = 'leased' AND lease_owner LIKE $1",
    )
    .bind(format!("%-{pid}-%"))
    .fetch_one(&mut conn)
    .await
    .unwrap()
}
