//! Load on the ROOMZ receiver over loopback, bounded in count and time, once per inbox in the
//! same run: in memory (the baseline, which a crash would empty), SQLite (a file, synchronous
//! commits) and PostgreSQL (when a server answers at `HOOKGEN_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`), once with one receiver and once with three
//! replicas on the database (`postgres-x3`, requests spread over them). What durability costs
//! is the ratio to memory. `HOOKGEN_BENCH_INBOXES=sqlite,postgres-x3` runs only those.
//!
//! 50,000 requests per run by default. A handler that takes 1 s per event; 1 KiB signed bodies, each with its own event id, posted
//! by 256 concurrent connections (`HOOKGEN_BENCH_CONNECTIONS`); every 10th request re-sends an earlier delivery. Reports
//! requests per second, p50/p99 acknowledgement latency, and checks that every accepted event
//! was processed exactly once and no duplicate was processed.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin receiver_load [requests]`
//!
//! `--open-loop` adds, per inbox, runs at a fixed arrival rate: 1,000/s, 5,000/s and the rate
//! the closed-loop run just saturated at, each for `HOOKGEN_BENCH_SECONDS` (default 5). A
//! request is sent at its scheduled time whether or not earlier ones have been answered, and
//! its latency is counted from that time, so queueing in the receiver shows (a closed loop
//! hides it: a slow answer delays the next request instead of being counted). 512 connections
//! are open; a request that waits for a free one still counts its wait.
//!
//! The load comes from a bare HTTP/1.1 client on a thread of its own ([`http1`]), with every
//! request serialized and every connection opened before the clock starts: on 2 cores, a
//! heavier client would measure itself as much as the receiver.
//!
//! With `HOOKGEN_BENCH_NATS=nats://127.0.0.1:4222`, a fourth run puts SQLite behind a NATS
//! JetStream hand-off (each delivery published once, beside the handler) and reports its cost
//! as a ratio to SQLite alone, and how long the stream took to hold every delivery.

mod http1;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roomz_webhooks::inbox::{self, Inbox};
use roomz_webhooks::receiver::{self, Receiver};
use roomz_webhooks::{Event, Webhook};

/// Concurrent connections of the closed loop (`HOOKGEN_BENCH_CONNECTIONS`, default 256:
/// enough to saturate the receiver, so the closed loop measures its throughput, not latency).
fn connections() -> usize {
    std::env::var("HOOKGEN_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}
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
    p999: Duration,
}

/// How requests are sent.
#[derive(Clone, Copy)]
enum Load {
    /// [`connections`] connections, each sending its next request when the last is answered.
    Closed { requests: usize },
    /// `requests` at `rate` per second, each at its scheduled time.
    Open { rate: f64, requests: usize },
}

impl Load {
    fn requests(self) -> usize {
        match self {
            Load::Closed { requests } | Load::Open { requests, .. } => requests,
        }
    }
}

const OPEN_LOOP_IN_FLIGHT: usize = 512;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let open_loop = args.iter().any(|a| a == "--open-loop");
    let requests: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(50_000);
    let seconds: f64 = std::env::var("HOOKGEN_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
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
    // Three replicas, each its own receiver and pools, sharing the database.
    for label in ["postgres", "postgres-x3"] {
        match fresh_postgres(&pg, label).await {
            Ok(url) => inboxes.push((label.to_string(), url)),
            Err(e) => println!("(PostgreSQL skipped: {e})"),
        }
    }
    // `HOOKGEN_BENCH_INBOXES=sqlite,postgres` measures only those (for profiling one).
    if let Ok(only) = std::env::var("HOOKGEN_BENCH_INBOXES") {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        inboxes.retain(|(label, _)| only.contains(&label.as_str()));
    }
    let mut reports = Vec::new();
    let mut open = Vec::new();
    // Each run's event ids start past the last run's, so one inbox can take several runs.
    let mut first_id = 0;
    for (label, url) in &inboxes {
        println!("\n== {label}");
        let replicas = if label.ends_with("-x3") { 3 } else { 1 };
        let mut replica_inboxes = Vec::new();
        for _ in 0..replicas {
            replica_inboxes.push(inbox::open(url).await.expect("open the inbox"));
        }
        let vacuum = url
            .starts_with("postgres")
            .then(|| tokio::spawn(autovacuum(url.clone())));
        let closed = run(
            replica_inboxes.clone(),
            Load::Closed { requests },
            first_id,
            None,
        )
        .await;
        first_id += requests;
        if open_loop {
            for (rate_label, rate) in [
                ("1k/s".to_string(), 1000.0),
                ("5k/s".to_string(), 5000.0),
                (format!("saturation ({:.0}/s)", closed.rps), closed.rps),
            ] {
                let requests = (rate * seconds) as usize;
                println!("\n== {label}, open loop at {rate:.0}/s ({requests} requests)");
                let load = Load::Open { rate, requests };
                let report = run(replica_inboxes.clone(), load, first_id, None).await;
                first_id += requests;
                open.push((label.clone(), rate_label, report));
            }
        }
        reports.push((label.clone(), closed));
        if let Some(vacuum) = vacuum {
            vacuum.abort();
        }
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
        let report = run(
            vec![inbox],
            Load::Closed { requests },
            first_id,
            Some(Arc::new(handoff)),
        )
        .await;
        reports.push(("sqlite + JetStream".to_string(), report));
    }
    println!(
        "\n| inbox | requests/s | ratio to memory | ack p50 | ack p99 |\n|---|---|---|---|---|"
    );
    let base = reports.first().map_or(1.0, |r| r.1.rps);
    for (label, r) in &reports {
        println!(
            "| {label} | {:.0} | {:.2} | {:.2} ms | {:.2} ms |",
            r.rps,
            r.rps / base,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3
        );
    }
    let rps_of = |name: &str| reports.iter().find(|(l, _)| l == name).map(|(_, r)| r.rps);
    if let (Some(alone), Some(handoff)) = (rps_of("sqlite"), rps_of("sqlite + JetStream")) {
        println!(
            "\nThe JetStream hand-off: {handoff:.0}/s, {:.2}x SQLite alone",
            handoff / alone
        );
    }
    if open_loop {
        println!(
            "\n| inbox | arrival rate | achieved/s | p50 | p99 | p99.9 |\n|---|---|---|---|---|---|"
        );
        for (label, rate, r) in &open {
            println!(
                "| {label} | {rate} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
                r.rps,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3,
                r.p999.as_secs_f64() * 1e3
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A URL for PostgreSQL on a schema of its own for `label`, dropped and created anew: a bench
/// run starts from nothing (this machine's server runs with autovacuum off, so the dead rows
/// of earlier runs would otherwise pile up and slow every later run).
async fn fresh_postgres(url: &str, label: &str) -> Result<String, String> {
    use sqlx::Connection;
    let schema = format!("hookgen_bench_{}", label.replace('-', "_"));
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::raw_sql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .execute(&mut conn)
    .await
    .map_err(|e| e.to_string())?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// What autovacuum (PostgreSQL's default, off on this machine's server) would do: the inbox
/// table vacuumed every 2 s. Without it every lease wades through the dead index entries of
/// every row leased and finished before, and each run is slower than the one before it.
async fn autovacuum(url: String) {
    let Ok(pool) = sqlx::PgPool::connect(&url).await else {
        return;
    };
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = sqlx::query("VACUUM hookgen_inbox").execute(&pool).await;
    }
}

/// One receiver per inbox (replicas when they share a database), each on its own port;
/// request `i` goes to replica `i % replicas`.
async fn run(
    inboxes: Vec<Arc<dyn Inbox>>,
    load: Load,
    first_id: usize,
    handoff: Option<Arc<dyn inbox::handoff::Handoff>>,
) -> Report {
    let requests = load.requests();
    let processed: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let handing_off = handoff.is_some();
    let mut replicas = Vec::new();
    let mut targets = Vec::new();
    for inbox in inboxes {
        let p = processed.clone();
        let mut receiver =
            Receiver::with_inbox(Webhook::new("load-secret").unwrap(), inbox).concurrency(requests);
        if let Some(ms) = std::env::var("HOOKGEN_BENCH_BATCH_WAIT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            receiver = receiver.group_commit(256, Duration::from_millis(ms));
        }
        if let Some(handoff) = &handoff {
            receiver = receiver.handoff(handoff.clone());
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
        targets.push(listener.local_addr().unwrap());
        let app = running.router("/hook");
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        replicas.push((running, server));
    }
    let webhook = Webhook::new("load-secret").unwrap();
    // Sign and serialize everything up front: the load generator should measure the
    // receiver, not itself.
    let deliveries: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..requests)
            .map(|i| {
                let n = if i % 10 == 9 { i - 5 } else { i }; // every 10th: a duplicate of an earlier one
                let b = body(first_id + n);
                http1::request("/hook", &webhook.sign(&b).unwrap(), &b)
            })
            .collect(),
    );
    let pace = match load {
        Load::Closed { .. } => http1::Pace {
            connections: connections(),
            rate: None,
            limit: TIME_LIMIT,
        },
        Load::Open { rate, .. } => http1::Pace {
            connections: OPEN_LOOP_IN_FLIGHT,
            rate: Some(rate),
            limit: TIME_LIMIT,
        },
    };
    let started = Instant::now();
    let (results, elapsed) =
        tokio::task::spawn_blocking(move || http1::drive(targets, deliveries, pace))
            .await
            .unwrap();
    let count = |s: u16| results.iter().filter(|(st, _)| *st == s).count();
    // Every accepted event finishes its 1 s handler (or the run gives up after a minute).
    let deadline = Instant::now() + TIME_LIMIT;
    let total =
        |f: &dyn Fn(&receiver::Running) -> u64| replicas.iter().map(|(r, _)| f(r)).sum::<u64>();
    while total(&|r| r.stats.processed()) < count(202) as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if handing_off {
        let published = total(&|r| {
            r.stats
                .workers
                .published
                .load(std::sync::atomic::Ordering::SeqCst)
        });
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
    for (running, server) in replicas {
        running.shutdown().await;
        server.abort();
    }

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
    println!(
        "ack latency p99.9  {:.2} ms",
        pct(0.999).as_secs_f64() * 1e3
    );
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
        p999: pct(0.999),
    }
}
