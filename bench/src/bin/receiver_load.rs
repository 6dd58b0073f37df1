//! Load on the ROOMZ receiver over loopback, bounded in count and time.
//!
//! A handler that takes 1 s per event; 1 KiB signed bodies, each with its own event id, posted
//! by 64 concurrent connections; every 10th request re-sends an earlier delivery. Reports
//! requests per second, p50/p99 acknowledgement latency, and checks that every accepted event
//! was processed exactly once and no duplicate was processed.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml --bin receiver_load [requests]`

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let processed: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let p = processed.clone();
    let mut running = Receiver::in_memory(Webhook::new("load-secret").unwrap())
        .concurrency(requests)
        .spawn(move |e: Event| {
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
    running.shutdown().await; // drains: every accepted event finishes its 1 s handler
    server.abort();

    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let pct = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let count = |s: u16| results.iter().filter(|(st, _)| *st == s).count();
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
    println!("503 busy           {}", count(503));
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
    println!("ok: no accepted event lost, none processed twice");
}
