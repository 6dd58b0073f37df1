//! Crash test: the example receiver, on its SQLite inbox, under load from this process, is
//! SIGKILLed at random moments (12 times) and restarted on the same port. Senders behave like
//! vendors: a delivery that got no 2xx (refused connection, reset, 503) is sent again, and
//! some acknowledged ones are sent again too. At the end every delivery that received a 2xx
//! has been processed at least once (the processed log says so); re-runs are counted and
//! reported.

mod common;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use hookgen_runtime::client::reqwest;
use rand::Rng;

const DELIVERIES: usize = 1200;
/// Deliveries arrive over about 6 s, so that the kills land under load.
const ARRIVALS_PER_TICK: usize = 10;
const TICK: Duration = Duration::from_millis(50);
const KILLS: usize = 12;
const SENDERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_delivery_is_lost_across_kill_9() {
    let dir = scratch("crash");
    let inbox = format!("sqlite:{}", dir.join("inbox.db").display());
    let log = dir.join("processed.log");
    let port = free_port();
    // Handlers take 100 ms, so that kills land while stored events wait or run. The lease is
    // the default 5 minutes: rows a killed process held run again at once only because the
    // next process takes its dead predecessor's leases back as it starts.
    let extra = ["--work-ms", "100"];

    let queue: Arc<Mutex<VecDeque<usize>>> = Arc::default();
    let producer = {
        let queue = queue.clone();
        tokio::spawn(async move {
            for start in (0..DELIVERIES).step_by(ARRIVALS_PER_TICK) {
                queue
                    .lock()
                    .unwrap()
                    .extend(start..(start + ARRIVALS_PER_TICK).min(DELIVERIES));
                tokio::time::sleep(TICK).await;
            }
        })
    };
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let resent_after_ack = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (queue, acked, client, resent) = (
                queue.clone(),
                acked.clone(),
                client.clone(),
                resent_after_ack.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap().pop_front();
                    let Some(n) = next else {
                        if acked.lock().unwrap().len() == DELIVERIES {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let (id, headers, body) = delivery(n);
                    match post(&client, &url(port), &headers, &body).await {
                        Some(200..=299) => {
                            let first = acked.lock().unwrap().insert(id);
                            if !first {
                                resent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            // Vendors redeliver now and then even after a 2xx.
                            if first && rand::thread_rng().gen_ratio(1, 10) {
                                queue.lock().unwrap().push_back(n);
                            }
                        }
                        _ => {
                            // No 2xx: the vendor retries later.
                            queue.lock().unwrap().push_back(n);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            })
        })
        .collect();

    // At each kill: (acknowledged so far, of which not yet processed).
    let mut at_kills = Vec::new();
    for _ in 0..KILLS {
        let receiver = ReceiverProcess::start(port, &inbox, &log, &extra);
        let up_for = rand::thread_rng().gen_range(150..700);
        tokio::time::sleep(Duration::from_millis(up_for)).await;
        receiver.kill9();
        let acked_now = acked.lock().unwrap().clone();
        let processed_now = processed(std::slice::from_ref(&log));
        let waiting = acked_now
            .iter()
            .filter(|id| !processed_now.contains_key(*id))
            .count();
        at_kills.push((acked_now.len(), waiting));
        // Down for a moment: deliveries are refused and retried.
        tokio::time::sleep(Duration::from_millis(rand::thread_rng().gen_range(0..200))).await;
    }
    let _receiver = ReceiverProcess::start(port, &inbox, &log, &extra);
    let restarted = std::time::Instant::now();
    producer.await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let load_stopped = std::time::Instant::now();
    let acked: HashSet<String> = acked.lock().unwrap().clone();
    assert_eq!(
        acked.len(),
        DELIVERIES,
        "every delivery was eventually acknowledged"
    );
    let counts = wait_for(
        std::slice::from_ref(&log),
        Duration::from_secs(120),
        "every acknowledged delivery is processed",
        |c| acked.iter().all(|id| c.contains_key(id)),
    )
    .await;
    let drained = load_stopped.elapsed();
    eprintln!(
        "crash test: the queue drained {drained:?} after the load stopped, {:?} after the last restart",
        restarted.elapsed()
    );
    assert!(
        drained < Duration::from_secs(30),
        "draining took {drained:?}: a dead predecessor's leases waited out their lease"
    );
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged but never processed: {lost:?}"
    );
    let unknown: Vec<&String> = counts.keys().filter(|id| !acked.contains(*id)).collect();
    assert!(unknown.is_empty(), "processed but never sent: {unknown:?}");
    let reruns: usize = counts.values().map(|n| n - 1).sum();
    eprintln!(
        "crash test: {DELIVERIES} deliveries, {KILLS} SIGKILLs; at each kill (acknowledged, of \
         which not yet processed): {at_kills:?}; {} redeliveries after a 2xx; 0 lost; {reruns} \
         re-runs (a kill between the handler's effect and its commit)",
        resent_after_ack.load(std::sync::atomic::Ordering::SeqCst)
    );
    let under_load = at_kills
        .iter()
        .filter(|(acked, _)| *acked < DELIVERIES)
        .count();
    assert!(
        under_load >= KILLS / 2,
        "most kills came while deliveries were arriving: {at_kills:?}"
    );
    let waiting: usize = at_kills.iter().map(|(_, w)| w).sum();
    assert!(
        waiting > 0,
        "kills came while acknowledged events were unprocessed: {at_kills:?}"
    );
}
