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
        let child = Command::new(env!("CARGO_BIN_EXE_roomz-receiver-example"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--inbox", inbox])
            .arg("--processed-log")
            .arg(log)
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
