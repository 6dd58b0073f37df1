//! Hand-off after commit against the machine's NATS JetStream (127.0.0.1:4222): the example
//! receiver, with `--publish nats://... --stream NAME`, is SIGKILLed under load and restarted;
//! every acknowledged delivery reaches the stream exactly once (counted by `Nats-Msg-Id`).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use hookgen_runtime::client::reqwest;

const DELIVERIES: usize = 400;
const KILLS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_delivery_reaches_jetstream_once_across_kill_9() {
    if !nats_is_up() {
        eprintln!("skipped: no NATS on 127.0.0.1:4222");
        return;
    }
    let dir = scratch("handoff");
    let inbox = format!("sqlite:{}", dir.join("inbox.db").display());
    let log = dir.join("processed.log");
    // One stream may own `hookgen.roomz.>`: start from none (a failed run may have left one).
    let stream = "hookgen-test-handoff".to_string();
    delete_streams_on("hookgen.roomz.>").await;
    let extra = ["--publish", NATS, "--stream", &stream, "--work-ms", "20"];
    let port = free_port();
    let client = reqwest::Client::new();
    let mut acked: HashSet<String> = HashSet::new();
    let mut receiver = ReceiverProcess::start(port, &inbox, &log, &extra);
    let per_round = DELIVERIES / (KILLS + 1);
    let mut n = 0;
    for round in 0..=KILLS {
        // A round of deliveries, sent concurrently; then a SIGKILL while work is in flight.
        let batch: Vec<_> = (n..n + per_round).map(delivery).collect();
        n += per_round;
        let url = receiver.url();
        let sends = batch.into_iter().map(|(id, headers, body)| {
            let (client, url) = (client.clone(), url.clone());
            async move { (id, post(&client, &url, &headers, &body).await) }
        });
        for (id, status) in futures_join(sends).await {
            if matches!(status, Some(200 | 202)) {
                acked.insert(id);
            }
        }
        if round < KILLS {
            receiver.kill9();
            receiver = ReceiverProcess::start(port, &inbox, &log, &extra);
        }
    }
    assert!(
        acked.len() >= DELIVERIES * 9 / 10,
        "only {} acknowledged",
        acked.len()
    );
    // The last receiver drains what its predecessors left.
    assert_each_once_on_stream(&stream, &acked).await;
    drop(receiver);
    let client = async_nats::connect(NATS).await.unwrap();
    let _ = async_nats::jetstream::new(client)
        .delete_stream(&stream)
        .await;
}

fn outgoing(key: &str) -> hookgen_runtime::inbox::handoff::Outgoing<'_> {
    hookgen_runtime::inbox::handoff::Outgoing {
        key,
        source: "roomz",
        event_type: Some("workspace.updated"),
        body: b"{\"id\":\"x\"}",
        headers: &[],
    }
}

#[tokio::test]
async fn a_publish_retried_under_the_same_key_is_one_message_on_jetstream() {
    use hookgen_runtime::inbox::handoff::{Handoff, JetStream};
    if !nats_is_up() {
        eprintln!("skipped: no NATS on 127.0.0.1:4222");
        return;
    }
    delete_streams_on("hookgen.dedup.>").await;
    let name = "hookgen-test-dedup";
    let handoff = JetStream::connect(NATS, name, "hookgen.dedup")
        .await
        .unwrap();
    assert!(handoff.dedup_window() >= Duration::from_secs(6 * 60));
    for _ in 0..3 {
        handoff.publish(outgoing("event-id:same")).await.unwrap();
    }
    handoff.publish(outgoing("event-id:other")).await.unwrap();
    let counts = on_stream_subject(name, "hookgen.dedup.workspace.updated").await;
    assert_eq!(counts.get("event-id:same"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 2, "{counts:?}");
    delete_streams_on("hookgen.dedup.>").await;
}

#[tokio::test]
async fn a_publish_retried_under_the_same_key_is_one_entry_on_a_redis_stream() {
    use hookgen_runtime::inbox::handoff::{Handoff, RedisStream};
    let up = std::net::TcpStream::connect(("127.0.0.1", 6379)).is_ok();
    if !up {
        assert!(
            std::env::var_os("HOOKGEN_REQUIRE_REDIS").is_none(),
            "Redis is not running on 127.0.0.1:6379 (HOOKGEN_REQUIRE_REDIS is set)"
        );
        eprintln!("skipped: no Redis on 127.0.0.1:6379");
        return;
    }
    let stream = format!("hookgen-test-{}", std::process::id());
    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let handoff = RedisStream::connect("redis://127.0.0.1:6379", &stream)
        .await
        .unwrap();
    for _ in 0..3 {
        handoff.publish(outgoing("event-id:same")).await.unwrap();
    }
    handoff.publish(outgoing("event-id:other")).await.unwrap();
    let length: usize = redis::cmd("XLEN")
        .arg(&stream)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(length, 2);
    let _: () = redis::cmd("DEL")
        .arg(&stream)
        .arg(format!("{stream}:published:event-id:same"))
        .arg(format!("{stream}:published:event-id:other"))
        .query_async(&mut conn)
        .await
        .unwrap();
}
