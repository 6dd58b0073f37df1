//! Three replicas of the example receiver on one PostgreSQL inbox. Every delivery is posted
//! to all three at once: it is acknowledged 202 by one, 200 (duplicate) by the others, and
//! processed once across all three. Then one replica is SIGKILLed while it holds leases, and
//! the other two finish its events within seconds, long before its leases would expire: they
//! see its liveness lock free.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use hookgen_runtime::client::reqwest;

const PER_PHASE: usize = 150;

async fn post_to_all(client: &reqwest::Client, ports: &[u16], range: std::ops::Range<usize>) {
    let mut tasks = Vec::new();
    for n in range {
        for &port in ports {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let (_, headers, body) = delivery(n);
                (n, post(&client, &url(port), &headers, &body).await)
            }));
        }
    }
    let mut statuses: HashMap<usize, Vec<Option<u16>>> = HashMap::new();
    for t in tasks {
        let (n, status) = t.await.unwrap();
        statuses.entry(n).or_default().push(status);
    }
    for (n, s) in statuses {
        let accepted = s.iter().filter(|c| **c == Some(202)).count();
        let duplicates = s.iter().filter(|c| **c == Some(200)).count();
        assert_eq!(
            (accepted, duplicates),
            (1, ports.len() - 1),
            "delivery {n}: {s:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_process_each_delivery_once_and_finish_a_dead_replicas_events() {
    let Some(db) = hookgen_tests::postgres_url("replicas").await else {
        return;
    };
    let dir = scratch("replicas");
    let logs: Vec<PathBuf> = (0..3)
        .map(|i| dir.join(format!("replica{i}.log")))
        .collect();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    // Handlers take 1.5 s, so that replica 0 still holds leases once phase 2's posts are all
    // answered, however slow the machine; leases last 2 minutes, which the survivors must not
    // wait out.
    let extra = ["--work-ms", "1500", "--lease-secs", "120"];
    let mut replicas: Vec<Option<ReceiverProcess>> = ports
        .iter()
        .zip(&logs)
        .map(|(port, log)| Some(ReceiverProcess::start(*port, &db, log, &extra)))
        .collect();
    let client = reqwest::Client::new();

    post_to_all(&client, &ports, 0..PER_PHASE).await;
    let counts = wait_for(
        &logs,
        Duration::from_secs(60),
        "phase 1 is processed",
        |c| c.len() == PER_PHASE,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts_after = processed(&logs);
    assert_eq!(counts, counts_after, "nothing ran twice later");
    assert!(
        counts.values().all(|n| *n == 1),
        "each processed once: {counts:?}"
    );
    let per_replica: Vec<usize> = logs
        .iter()
        .map(|l| processed(std::slice::from_ref(l)).len())
        .collect();

    // Phase 2: kill replica 0 while it holds leases.
    post_to_all(&client, &ports, PER_PHASE..2 * PER_PHASE).await;
    let victim = replicas[0].take().unwrap();
    let pid = victim.child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut held = 0;
    while Instant::now() < deadline {
        held = leases_held(&db, pid).await;
        if held > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(held > 0, "replica 0 never held a lease");
    victim.kill9();
    let killed_at = Instant::now();
    let counts = wait_for(
        &logs,
        Duration::from_secs(30),
        "the survivors finish phase 2 (well inside the dead replica's 2-minute leases)",
        |c| (0..2 * PER_PHASE).all(|n| c.contains_key(&delivery(n).0)),
    )
    .await;
    let drained = killed_at.elapsed();
    let reruns: usize = counts.values().map(|n| n - 1).sum();
    eprintln!(
        "replicas: phase 1 split {per_replica:?} across 3 replicas, each delivery once; \
         replica 0 killed holding {held} leases; all {} events processed {drained:.1?} after \
         the kill, {reruns} re-runs",
        2 * PER_PHASE
    );
    drop(replicas);
}
