//! Per-row cost of the inbox's three writes alone (no HTTP): insert, lease, finish.
use std::time::{Duration, Instant, SystemTime};

use roomz_webhooks::inbox::{self, Finish, NewDelivery, State};

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("hookgen-inbox-ops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("sqlite:{}", dir.join("inbox.db").display()));
    let inbox = inbox::open(&url).await.unwrap();
    let rows = 20_000;
    let batch = 256;
    let body = vec![b'x'; 1024];
    let t = Instant::now();
    for b in 0..rows / batch {
        let deliveries: Vec<NewDelivery> = (0..batch)
            .map(|i| NewDelivery {
                source: "bench".into(),
                key: format!("k{}-{}", std::process::id(), b * batch + i),
                body: body.clone(),
                headers: vec![("content-type".into(), "application/json".into())],
                event_type: Some("workspace.updated".into()),
                ordering_key: None,
                state: State::Pending,
                error: None,
                received_at: SystemTime::now(),
            })
            .collect();
        inbox.insert_batch(&deliveries).await.unwrap();
    }
    let n = (rows / batch * batch) as f64;
    println!(
        "insert  {:>6.1} µs/row",
        t.elapsed().as_secs_f64() * 1e6 / n
    );
    let t = Instant::now();
    let mut leased = Vec::new();
    loop {
        let got = inbox
            .lease("w", batch, Duration::from_secs(300), SystemTime::now())
            .await
            .unwrap();
        if got.is_empty() {
            break;
        }
        leased.extend(got.into_iter().map(|d| d.id));
    }
    println!(
        "lease   {:>6.1} µs/row ({} rows)",
        t.elapsed().as_secs_f64() * 1e6 / leased.len() as f64,
        leased.len()
    );
    let t = Instant::now();
    for chunk in leased.chunks(batch) {
        let outcomes: Vec<(i64, Finish)> = chunk.iter().map(|id| (*id, Finish::Done)).collect();
        inbox.finish_many("w", &outcomes).await.unwrap();
    }
    println!(
        "finish  {:>6.1} µs/row",
        t.elapsed().as_secs_f64() * 1e6 / leased.len() as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
