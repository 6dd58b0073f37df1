//! Load on the ROOMZ receiver over loopback, bounded in count and time, once per inbox in the
//! same run: in memory (the baseline, which a crash would empty), SQLite (a file, synchronous
//! commits) and PostgreSQL (when a server answers at `HOOKGEN_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`). What durability costs is the ratio to memory.
//!
//! A handler that takes 1 s per event; 1 KiB signed bodies, each with its own event id, posted
//! by 64 concurrent connections; every 10th request re-sends an earlier delivery. Reports
//! requests per second, p50/p99 acknowledgement latency, and checks that every accepted event
//! was processed exactly once and no duplicate was processed.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin receiver_load [requests]`
//!
//! With `HOOKGEN_BENCH_NATS=nats://127.0.0.1:4222`, a fourth run puts SQLite behind a NATS
//! JetStream hand-off (each delivery published once, beside the handler) and reports its cost
//! as a ratio to SQLite alone, and how long the stream took to hold every delivery.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roomz_webhooks::inbox::{self, Inbox};
use roomz_webhooks::receiver::Receiver;
use roomz_webhooks::{Event, Webhook};

const CONNECTIONS: usize = 64;
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn body(i: usize) -> Vec<u8> {
    let id = format!("00000000-0000-4000-8000-{i:012}");
    let mut b = format!(r#"{{"id":"{id}","type":"workspace.updated","timestamp":"2024-02-02T09:13:44+0000","workspaceId":"df801b47-b7be-48e8-8e21-20e20c75906c","pad":""#).into_bytes();
    b.resize(1024 - 2, b'x');
    b.extend_from_slice(b"\"}");
    b
}

struct Report {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("hookgen-receiver-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut inboxes = vec![
        ("memory".to_string(), "memory".to_string()),
        (
            "sqlite".to_string(),
            format!("sqlite:{}", dir.join("inbox.db").display()),
        ),
    ];
    let pg = std::env::var("HOOKGEN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match fresh_postgres(&pg).await {
        Ok(url) => inboxes.push(("postgres".to_string(), url)),
        Err(e) => println!("(PostgreSQL skipped: {e})"),
    }
    let mut reports = Vec::new();
    for (label, url) in &inboxes {
        println!("\n== {label}");
        let inbox = inbox::open(url).await.expect("open the inbox");
        reports.push((label.clone(), run(inbox, requests, None).await));
    }
    if let Ok(nats) = std::env::var("HOOKGEN_BENCH_NATS") {
        println!("\n== sqlite + JetStream hand-off");
        let stream = format!("HOOKGEN_BENCH_{}", std::process::id());
        let prefix = format!("hookgen.bench{}", std::process::id());
        let handoff = inbox::handoff::JetStream::connect(&nats, &stream, &prefix)
            .await
            .expect("connect to NATS");
        let url = format!("sqlite:{}", dir.join("handoff.db").display());
        let inbox = inbox::open(&url).await.expect("open the inbox");
        let report = run(inbox, requests, Some(Arc::new(handoff))).await;
        reports.push(("sqlite + JetStream".to_string(), report));
    }
    println!(
        "\n| inbox | requests/s | ratio to memory | ack p50 | ack p99 |\n|---|---|---|---|---|"
    );
    // The hand-off's cost is its row's ratio to the `sqlite` row.
    let base = reports[0].1.rps;
    for (label, r) in &reports {
        println!(
            "| {label} | {:.0} | {:.2} | {:.2} ms | {:.2} ms |",
            r.rps,
            r.rps / base,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A URL for PostgreSQL with the inbox table emptied (a bench run starts from nothing).
async fn fresh_postgres(url: &str) -> Result<String, String> {
    let inbox = inbox::open(url).await.map_err(|e| e.to_string())?;
    inbox
        .purge_done_before(std::time::SystemTime::now() + Duration::from_secs(3600))
        .await
        .map_err(|e| e.to_string())?;
    let left: u64 = inbox
        .counts()
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|c| c.1)
        .sum();
    if left > 0 {
        return Err(format!(
            "its hookgen_inbox table holds {left} unfinished rows; use an empty database"
        ));
    }
    Ok(url.to_string())
}

async fn run(
    inbox: Arc<dyn Inbox>,
    requests: usize,
    handoff: Option<Arc<dyn inbox::handoff::Handoff>>,
) -> Report {
    let processed: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let p = processed.clone();
    let mut receiver =
        Receiver::with_inbox(Webhook::new("load-secret").unwrap(), inbox).concurrency(requests);
    let handing_off = handoff.is_some();
    if let Some(handoff) = handoff {
        receiver = receiver.handoff(handoff);
    }
    let mut running = receiver.spawn(move |e: Event| {
        let p = p.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            *p.lock()
                .unwrap()
                .entry(e.id().unwrap_or_default())
                .or_default() += 1;
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = running.router("/hook");
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let webhook = Webhook::new("load-secret").unwrap();
    // Sign everything up front: the load generator should measure the receiver, not itself.
    let deliveries: Arc<Vec<(http::HeaderMap, Vec<u8>)>> = Arc::new(
        (0..requests)
            .map(|i| {
                let n = if i % 10 == 9 { i - 5 } else { i }; // every 10th: a duplicate of an earlier one
                let b = body(n);
                (webhook.sign(&b).unwrap(), b)
            })
            .collect(),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, deliveries, next) = (
            client.clone(),
            url.clone(),
            deliveries.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= deliveries.len() || started.elapsed() > TIME_LIMIT {
                    break;
                }
                let (headers, b) = &deliveries[i];
                let t = Instant::now();
                let status = client
                    .post(&url)
                    .headers(headers.clone())
                    .body(b.clone())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                out.push((status, t.elapsed()));
            }
            out
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    let count = |s: u16| results.iter().filter(|(st, _)| *st == s).count();
    // Every accepted event finishes its 1 s handler (or the run gives up after a minute).
    let deadline = Instant::now() + TIME_LIMIT;
    while running.stats.processed() < count(202) as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if handing_off {
        let published = running
            .stats
            .workers
            .published
            .load(std::sync::atomic::Ordering::SeqCst);
        println!(
            "published          {published} (on the stream {:.1?} after the first request)",
            started.elapsed()
        );
        assert_eq!(
            published,
            count(202) as u64,
            "every accepted delivery is on the stream once"
        );
    }
    running.shutdown().await;
    server.abort();

    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let pct = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let processed = processed.lock().unwrap();
    let calls: usize = processed.values().sum();
    let twice = processed.values().filter(|n| **n > 1).count();
    println!("requests sent      {}", results.len());
    println!(
        "requests/second    {:.0}",
        results.len() as f64 / elapsed.as_secs_f64()
    );
    println!("ack latency p50    {:.2} ms", pct(0.50).as_secs_f64() * 1e3);
    println!("ack latency p99    {:.2} ms", pct(0.99).as_secs_f64() * 1e3);
    println!("202 accepted       {}", count(202));
    println!("200 duplicate      {}", count(200));
    println!("503 unavailable    {}", count(503));
    println!(
        "other              {}",
        results.len() - count(202) - count(200) - count(503)
    );
    println!("handler calls      {calls} (events processed twice: {twice})");
    assert_eq!(
        calls,
        count(202),
        "every accepted event is processed exactly once"
    );
    assert_eq!(twice, 0, "no event is processed twice");
    // A run full of 503s or timeouts measures nothing: every request is answered, the new
    // deliveries with 202 and the re-sent ones (every 10th) with 200.
    let resent = (0..requests).filter(|i| i % 10 == 9).count();
    assert_eq!(
        results.len(),
        requests,
        "every request was sent within the time limit"
    );
    assert_eq!(
        count(202),
        requests - resent,
        "every new delivery is acknowledged with 202"
    );
    assert_eq!(count(200), resent, "every re-sent delivery is answered 200");
    println!("ok: no accepted event lost, none processed twice");
    Report {
        rps: results.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}
