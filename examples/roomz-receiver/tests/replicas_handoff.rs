//! Three replicas of the example receiver on one PostgreSQL inbox, handing every delivery off
//! to NATS JetStream instead of running handlers (`--publish`, no processed log). Deliveries
//! are spread over the replicas while replica 0 is SIGKILLed in the middle of its publishes and
//! then restarted, twice: every acknowledged delivery is on the stream exactly once (counted by
//! `Nats-Msg-Id`), the killed replica's leases are taken over within seconds, and the
//! survivors' re-publishes of what it published but had not marked are dropped by JetStream's
//! duplicate window.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use hookgen_runtime::client::reqwest;

const DELIVERIES: usize = 900;
const KILLS: usize = 2;

/// Post delivery `n` to replica `n % 3`, or to the next live one when that one is down; true
/// once a replica acknowledged it (202, or 200 for one another replica already stored).
async fn deliver(client: &reqwest::Client, ports: &[u16], n: usize) -> bool {
    let (_, headers, body) = delivery(n);
    for k in 0..ports.len() {
        let port = ports[(n + k) % ports.len()];
        if let Some(200 | 202) = post(client, &url(port), &headers, &body).await {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_hand_each_delivery_to_jetstream_once_across_kill_9() {
    if !nats_is_up() {
        eprintln!("skipped: no NATS on 127.0.0.1:4222");
        return;
    }
    let Some(db) = hookgen_tests::postgres_url("replicas_handoff").await else {
        return;
    };
    let stream = "hookgen-test-replicas-handoff".to_string();
    delete_streams_on("hookgen.roomz.>").await;
    // Leases of 2 minutes, which the survivors must not wait out.
    let extra = [
        "--publish",
        NATS,
        "--stream",
        &stream,
        "--lease-secs",
        "120",
    ];
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut replicas: Vec<ReceiverProcess> = ports
        .iter()
        .map(|port| ReceiverProcess::start_with(*port, &db, None, &extra))
        .collect();
    let client = reqwest::Client::new();
    let mut acked: HashSet<String> = HashSet::new();
    let per_round = DELIVERIES / (KILLS + 1);
    let mut last_kill = Instant::now();
    let mut held_at_kills = Vec::new();
    for round in 0..=KILLS {
        let range = round * per_round..(round + 1) * per_round;
        let sends: Vec<_> = range
            .map(|n| {
                let (client, ports) = (client.clone(), ports.clone());
                async move { (n, deliver(&client, &ports, n).await) }
            })
            .collect();
        let posting = tokio::spawn(futures_join(sends));
        if round < KILLS {
            // Mid-round, while replica 0 holds leases: in hand-off-only mode a lease is held
            // from before its publish until the row is marked, so it dies mid-publish.
            let victim = replicas.remove(0);
            let pid = victim.child.id();
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut held = 0;
            while held == 0 && Instant::now() < deadline {
                held = leases_held(&db, pid).await;
            }
            held_at_kills.push(held);
            victim.kill9();
            last_kill = Instant::now();
        }
        for (n, ok) in posting.await.unwrap() {
            if ok {
                acked.insert(delivery(n).0);
            }
        }
        if round < KILLS {
            replicas.insert(0, ReceiverProcess::start_with(ports[0], &db, None, &extra));
        }
    }
    assert!(
        acked.len() >= DELIVERIES * 9 / 10,
        "only {} of {DELIVERIES} acknowledged",
        acked.len()
    );
    assert_each_once_on_stream(&stream, &acked).await;
    let drained = last_kill.elapsed();
    drop(replicas);
    assert!(
        held_at_kills.iter().all(|n| *n > 0),
        "replica 0 held no lease when killed: {held_at_kills:?}"
    );
    assert!(
        drained < Duration::from_secs(30),
        "the stream held every delivery only {drained:.1?} after the last kill"
    );
    eprintln!(
        "replicas + JetStream: {} acknowledged, all on the stream once, {drained:.1?} after the \
         last kill; replica 0 held {held_at_kills:?} leases at its kills",
        acked.len()
    );
    let nats = async_nats::connect(NATS).await.unwrap();
    let _ = async_nats::jetstream::new(nats)
        .delete_stream(&stream)
        .await;
}
