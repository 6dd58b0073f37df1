//! The inbox's guarantees, checked against every store (in memory, SQLite on disk, PostgreSQL
//! when the machine has it): dedup by (source, key) inside a batch, across batches and across
//! reopening; leases that expire and pass to another worker; per-key ordering; replay,
//! purge, counts; and the workers' retries, panics and dead letters.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use hookgen_runtime::inbox::{
    self, Finish, GroupCommit, HandlerError, Inbox, Inserted, ListFilter, NewDelivery, Replay,
    RetrySchedule, State, WorkerOptions, Workers,
};
use hookgen_runtime::reexports::http::HeaderMap;
use hookgen_runtime::DecodeError;

fn delivery(key: &str) -> NewDelivery {
    NewDelivery {
        source: "test".into(),
        key: key.into(),
        body: format!(r#"{{"key":"{key}"}}"#).into_bytes(),
        headers: vec![("webhook-id".into(), key.into())],
        event_type: Some("thing.happened".into()),
        ordering_key: None,
        state: State::Pending,
        error: None,
        received_at: SystemTime::now(),
    }
}

fn ordered(key: &str, order: &str) -> NewDelivery {
    NewDelivery {
        ordering_key: Some(order.into()),
        ..delivery(key)
    }
}

/// Every store, named for failure messages.
async fn stores(name: &str) -> Vec<(String, Arc<dyn Inbox>)> {
    let dir = std::env::temp_dir().join(format!("hookgen-inbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite:{}", dir.join("inbox.db").display());
    let mut all = vec![
        ("memory".to_string(), inbox::open("memory").await.unwrap()),
        (sqlite.clone(), inbox::open(&sqlite).await.unwrap()),
    ];
    if let Some(pg) = hookgen_tests::postgres_url(name).await {
        all.push((pg.clone(), inbox::open(&pg).await.unwrap()));
    }
    all
}

#[tokio::test]
async fn a_key_is_stored_once_within_and_across_batches() {
    for (name, store) in stores("dedup").await {
        let first = store
            .insert_batch(&[delivery("a"), delivery("b"), delivery("a")])
            .await
            .unwrap();
        assert!(matches!(first[0], Inserted::New(_)), "{name}");
        assert!(matches!(first[1], Inserted::New(_)), "{name}");
        assert_eq!(first[2], Inserted::Duplicate, "{name}: same batch");
        let again = store.insert_batch(&[delivery("b")]).await.unwrap();
        assert_eq!(again, [Inserted::Duplicate], "{name}: later batch");
        let other_source = NewDelivery {
            source: "elsewhere".into(),
            ..delivery("a")
        };
        let third = store.insert_batch(&[other_source]).await.unwrap();
        assert!(
            matches!(third[0], Inserted::New(_)),
            "{name}: keys are per source"
        );
        let stored = store.get(first_id(&first)).await.unwrap().unwrap();
        assert_eq!(stored.body, br#"{"key":"a"}"#, "{name}");
        assert_eq!(
            stored.headers,
            [("webhook-id".to_string(), "a".to_string())]
        );
        assert_eq!(stored.state, State::Pending);
    }
}

fn first_id(results: &[Inserted]) -> i64 {
    match results[0] {
        Inserted::New(id) => id,
        Inserted::Duplicate => panic!("not new"),
    }
}

#[tokio::test]
async fn a_sqlite_file_keeps_rows_and_dedup_across_reopening() {
    let dir = std::env::temp_dir().join(format!("hookgen-inbox-reopen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("inbox.db").display());
    {
        let store = inbox::open(&url).await.unwrap();
        store.insert_batch(&[delivery("kept")]).await.unwrap();
    }
    let store = inbox::open(&url).await.unwrap();
    assert_eq!(
        store.insert_batch(&[delivery("kept")]).await.unwrap(),
        [Inserted::Duplicate]
    );
    assert_eq!(store.list(&ListFilter::default()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn leases_expire_and_pass_to_another_worker() {
    for (name, store) in stores("lease").await {
        store.insert_batch(&[delivery("x")]).await.unwrap();
        let now = SystemTime::now() + Duration::from_millis(5);
        let a = store
            .lease("a", 10, Duration::from_secs(30), now)
            .await
            .unwrap();
        assert_eq!(a.len(), 1, "{name}");
        assert_eq!(a[0].attempts, 1);
        assert!(
            store
                .lease("b", 10, Duration::from_secs(30), now)
                .await
                .unwrap()
                .is_empty(),
            "{name}: a held row is not leased twice"
        );
        // Worker a dies; after its lease, b takes the row.
        let later = now + Duration::from_secs(31);
        let b = store
            .lease("b", 10, Duration::from_secs(30), later)
            .await
            .unwrap();
        assert_eq!(b.len(), 1, "{name}");
        assert_eq!(b[0].attempts, 2, "{name}: the expired attempt counts");
        assert!(
            !store.finish(a[0].id, "a", Finish::Done).await.unwrap(),
            "{name}: a's late outcome is refused"
        );
        assert!(
            store.finish(b[0].id, "b", Finish::Done).await.unwrap(),
            "{name}"
        );
        let row = store.get(b[0].id).await.unwrap().unwrap();
        assert_eq!(row.state, State::Done, "{name}");
        assert_eq!(row.lease_owner, None);
    }
}

/// A long chain of one ordering key, longer than any bound a lease walks, does not hide the
/// rows behind it: what waits for its key is passed over, not counted.
#[tokio::test]
async fn a_long_ordering_chain_does_not_hold_back_other_rows() {
    for (name, store) in stores("chain").await {
        let chain: Vec<NewDelivery> = (0..600)
            .map(|i| ordered(&format!("chain-{i}"), "busy-customer"))
            .collect();
        for batch in chain.chunks(200) {
            store.insert_batch(batch).await.unwrap();
        }
        store
            .insert_batch(&[delivery("free"), ordered("other", "quiet-customer")])
            .await
            .unwrap();
        let now = SystemTime::now() + Duration::from_millis(5);
        let leased = store
            .lease("w", 4, Duration::from_secs(30), now)
            .await
            .unwrap();
        let mut keys: Vec<&str> = leased.iter().map(|d| d.key.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["chain-0", "free", "other"], "{name}");
    }
}

#[tokio::test]
async fn an_ordering_key_runs_one_at_a_time_in_arrival_order() {
    for (name, store) in stores("order").await {
        store
            .insert_batch(&[
                ordered("1", "cust-1"),
                ordered("2", "cust-1"),
                ordered("3", "cust-2"),
            ])
            .await
            .unwrap();
        let now = SystemTime::now() + Duration::from_millis(5);
        let first = store
            .lease("w", 10, Duration::from_secs(30), now)
            .await
            .unwrap();
        let keys: Vec<&str> = first.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["1", "3"], "{name}: 2 waits for 1");
        assert!(store.finish(first[1].id, "w", Finish::Done).await.unwrap());
        // 1 fails and is retried later: 2 still waits behind it.
        let retry_at = now + Duration::from_secs(60);
        let retry = Finish::Retry {
            at: retry_at,
            error: "try later".into(),
        };
        assert!(store.finish(first[0].id, "w", retry).await.unwrap());
        assert!(
            store
                .lease("w", 10, Duration::from_secs(30), now)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        let again = store
            .lease("w", 10, Duration::from_secs(30), retry_at)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].key, "1", "{name}");
        assert!(store.finish(again[0].id, "w", Finish::Done).await.unwrap());
        let next = store
            .lease("w", 10, Duration::from_secs(30), retry_at)
            .await
            .unwrap();
        assert_eq!(
            next.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
            ["2"],
            "{name}"
        );
    }
}

#[tokio::test]
async fn replay_purge_counts_and_list() {
    for (name, store) in stores("ops").await {
        let undecodable = NewDelivery {
            state: State::Undecodable,
            error: Some("id: invalid uuid".into()),
            event_type: None,
            ..delivery("u")
        };
        store
            .insert_batch(&[delivery("d"), delivery("x"), undecodable])
            .await
            .unwrap();
        let now = SystemTime::now() + Duration::from_millis(5);
        let leased = store
            .lease("w", 10, Duration::from_secs(30), now)
            .await
            .unwrap();
        assert_eq!(leased.len(), 2, "{name}: undecodable rows are not leased");
        let by_key = |k: &str| leased.iter().find(|d| d.key == k).unwrap().id;
        store
            .finish(
                by_key("d"),
                "w",
                Finish::Dead {
                    error: "boom".into(),
                },
            )
            .await
            .unwrap();
        store.finish(by_key("x"), "w", Finish::Done).await.unwrap();
        let counts = store.counts().await.unwrap();
        let count = |s: State| counts.iter().find(|(c, _)| *c == s).unwrap().1;
        assert_eq!(
            (
                count(State::Dead),
                count(State::Done),
                count(State::Undecodable)
            ),
            (1, 1, 1),
            "{name}"
        );
        let dead = ListFilter {
            state: Some(State::Dead),
            ..ListFilter::default()
        };
        let listed = store.list(&dead).await.unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert_eq!(listed[0].last_error.as_deref(), Some("boom"));
        let typed = ListFilter {
            event_type: Some("thing.happened".into()),
            ..ListFilter::default()
        };
        assert_eq!(store.list(&typed).await.unwrap().len(), 2, "{name}");

        assert_eq!(store.replay(Replay::Dead).await.unwrap(), 1, "{name}");
        assert_eq!(
            store.replay(Replay::Undecodable).await.unwrap(),
            1,
            "{name}"
        );
        let replayed = store.get(by_key("d")).await.unwrap().unwrap();
        assert_eq!(
            (replayed.state, replayed.attempts),
            (State::Pending, 0),
            "{name}"
        );
        assert_eq!(
            store.replay(Replay::Id(by_key("x"))).await.unwrap(),
            1,
            "{name}: a done row can run again"
        );
        assert_eq!(
            store.replay(Replay::Id(999_999)).await.unwrap(),
            0,
            "{name}"
        );

        let leased = store
            .lease(
                "w",
                10,
                Duration::from_secs(30),
                SystemTime::now() + Duration::from_secs(1),
            )
            .await
            .unwrap();
        for d in &leased {
            store.finish(d.id, "w", Finish::Done).await.unwrap();
        }
        assert_eq!(
            store
                .purge_done_before(SystemTime::now() - Duration::from_secs(3600))
                .await
                .unwrap(),
            0,
            "{name}: recent rows stay"
        );
        assert_eq!(
            store
                .purge_done_before(SystemTime::now() + Duration::from_secs(1))
                .await
                .unwrap(),
            3,
            "{name}"
        );
        assert_eq!(store.insert_batch(&[delivery("d")]).await.unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_share_transactions() {
    for (name, store) in stores("group").await {
        // Counts the transactions the store is asked for.
        let batches = Arc::new(AtomicUsize::new(0));
        let counted = batches.clone();
        let counting = Arc::new(hookgen_tests::InsertHook {
            inner: store.clone(),
            before_insert: move |_: &[NewDelivery]| {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        });
        let commit = GroupCommit::with_bounds(counting, 64, Duration::from_millis(5));
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let commit = commit.clone();
                tokio::spawn(async move { commit.insert(delivery(&format!("k{}", i % 150))).await })
            })
            .collect();
        let mut new = 0;
        for t in tasks {
            if let Inserted::New(_) = t.await.unwrap().unwrap() {
                new += 1;
            }
        }
        assert_eq!(new, 150, "{name}: each key stored once");
        let batches = batches.load(Ordering::SeqCst);
        assert!(
            batches <= 50,
            "{name}: 200 concurrent inserts took {batches} transactions"
        );
        assert_eq!(
            store
                .list(&ListFilter {
                    limit: Some(1000),
                    ..ListFilter::default()
                })
                .await
                .unwrap()
                .len(),
            150
        );
    }
}

fn quick_workers() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        poll: Duration::from_millis(20),
        retry: RetrySchedule::quick(Duration::from_millis(20), 3),
        ..WorkerOptions::default()
    }
}

/// Run workers whose handler behaves per body until `until` holds (or 10 s pass).
async fn run_workers(
    store: Arc<dyn Inbox>,
    handler: impl Fn(String, u32) -> Result<(), HandlerError> + Send + Sync + 'static,
    until: impl Fn(&[(State, u64)]) -> bool,
) {
    let calls: Arc<Mutex<std::collections::HashMap<String, u32>>> = Arc::default();
    let handler = Arc::new(handler);
    let workers = Workers::spawn(
        store.clone(),
        Arc::new(|_: &HeaderMap, body: &[u8]| {
            String::from_utf8(body.to_vec()).map_err(|e| DecodeError::new(body, ".", e.to_string()))
        }),
        Arc::new(move |body: String| {
            let n = {
                let mut calls = calls.lock().unwrap();
                let n = calls.entry(body.clone()).or_default();
                *n += 1;
                *n
            };
            let handler = handler.clone();
            Box::pin(async move { handler(body, n) })
        }),
        quick_workers(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !until(&store.counts().await.unwrap()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers.shutdown().await;
}

fn count(counts: &[(State, u64)], s: State) -> u64 {
    counts.iter().find(|(c, _)| *c == s).map_or(0, |c| c.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_retry_panics_retry_and_exhausted_events_go_dead_then_replay() {
    for (name, store) in stores("workers").await {
        let body = |k: &str| format!(r#"{{"key":"{k}"}}"#);
        store
            .insert_batch(&[delivery("flaky"), delivery("panics"), delivery("always")])
            .await
            .unwrap();
        let (flaky, panics) = (body("flaky"), body("panics"));
        run_workers(
            store.clone(),
            move |b, n| {
                if b == flaky && n == 1 {
                    return Err(HandlerError::new("first call fails"));
                }
                if b == panics && n == 1 {
                    panic!("handler bug");
                }
                if b.contains("always") {
                    return Err(HandlerError::new("never works"));
                }
                Ok(())
            },
            |c| count(c, State::Done) == 2 && count(c, State::Dead) == 1,
        )
        .await;
        let rows = store.list(&ListFilter::default()).await.unwrap();
        let row = |k: &str| rows.iter().find(|d| d.key == k).unwrap().clone();
        assert_eq!(
            (row("flaky").state, row("flaky").attempts),
            (State::Done, 2),
            "{name}"
        );
        assert_eq!(
            (row("panics").state, row("panics").attempts),
            (State::Done, 2),
            "{name}"
        );
        assert_eq!(
            (row("always").state, row("always").attempts),
            (State::Dead, 3),
            "{name}"
        );
        assert_eq!(row("always").last_error.as_deref(), Some("never works"));

        // Replay the dead letter with a handler that now works.
        assert_eq!(store.replay(Replay::Dead).await.unwrap(), 1);
        let runs = Arc::new(AtomicU32::new(0));
        let r = runs.clone();
        run_workers(
            store.clone(),
            move |_, _| {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
            |c| count(c, State::Done) == 3,
        )
        .await;
        assert_eq!(row_state(&store, "always").await, State::Done, "{name}");
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "{name}: only the replayed row ran"
        );
    }
}

async fn row_state(store: &Arc<dyn Inbox>, key: &str) -> State {
    let rows = store.list(&ListFilter::default()).await.unwrap();
    rows.iter().find(|d| d.key == key).unwrap().state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_that_do_not_decode_are_kept_as_undecodable() {
    for (name, store) in stores("undecodable").await {
        let binary = NewDelivery {
            body: vec![0xff, 0xfe],
            ..delivery("bin")
        };
        store.insert_batch(&[binary]).await.unwrap();
        run_workers(
            store.clone(),
            |_, _| Ok(()),
            |c| count(c, State::Undecodable) == 1,
        )
        .await;
        let rows = store.list(&ListFilter::default()).await.unwrap();
        assert_eq!(rows[0].state, State::Undecodable, "{name}");
        assert_eq!(rows[0].body, [0xff, 0xfe], "{name}: the raw body is kept");
        assert!(rows[0].last_error.is_some(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_leasers_never_lease_a_row_twice() {
    for (name, store) in stores("race").await {
        let rows: Vec<NewDelivery> = (0..400).map(|i| delivery(&format!("r{i}"))).collect();
        store.insert_batch(&rows).await.unwrap();
        let leasers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let owner = format!("w{w}");
                    let mut got = Vec::new();
                    loop {
                        let now = SystemTime::now() + Duration::from_millis(5);
                        let batch = store
                            .lease(&owner, 7, Duration::from_secs(60), now)
                            .await
                            .unwrap();
                        if batch.is_empty() {
                            return got;
                        }
                        for d in batch {
                            assert!(store.finish(d.id, &owner, Finish::Done).await.unwrap());
                            got.push(d.id);
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for l in leasers {
            all.extend(l.await.unwrap());
        }
        let unique: std::collections::HashSet<i64> = all.iter().copied().collect();
        assert_eq!(all.len(), unique.len(), "{name}: a row was leased twice");
        assert_eq!(unique.len(), 400, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_can_ask_for_its_retry_delay_and_workers_prune_done_rows() {
    for (name, store) in stores("delay").await {
        store
            .insert_batch(&[delivery("later"), delivery("now")])
            .await
            .unwrap();
        let options = WorkerOptions {
            poll: Duration::from_millis(20),
            // Done rows are pruned at once: a retention of zero, checked every 50 ms.
            retention: Duration::ZERO,
            prune_every: Duration::from_millis(50),
            ..WorkerOptions::default()
        };
        let started = SystemTime::now();
        let workers = Workers::spawn(
            store.clone(),
            Arc::new(|_: &HeaderMap, body: &[u8]| Ok(body.to_vec())),
            Arc::new(|body: Vec<u8>| {
                Box::pin(async move {
                    if body.windows(5).any(|w| w == b"later") {
                        Err(HandlerError::new("rate limited")
                            .retry_after(Duration::from_secs(3600)))
                    } else {
                        Ok(())
                    }
                })
            }),
            options,
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let rows = store.list(&ListFilter::default()).await.unwrap();
            if rows.len() == 1 && rows[0].attempts == 1 && rows[0].state == State::Pending {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        workers.shutdown().await;
        let rows = store.list(&ListFilter::default()).await.unwrap();
        assert_eq!(rows.len(), 1, "{name}: the done row was pruned: {rows:?}");
        let later = &rows[0];
        assert_eq!(
            (later.key.as_str(), later.state),
            ("later", State::Pending),
            "{name}"
        );
        let wait = later.next_run_at.duration_since(started).unwrap();
        assert!(
            wait >= Duration::from_secs(3590),
            "{name}: the asked-for hour, not the policy's 10 s: {wait:?}"
        );
        assert_eq!(later.last_error.as_deref(), Some("rate limited"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_retry_delays_and_leases_are_capped_never_a_panic() {
    // Regression: `SystemTime::now() + delay` overflowed (and panicked outside the task that
    // catches handler panics) for a handler asking for `Duration::MAX`, and for a huge lease.
    for (name, store) in stores("huge").await {
        store
            .insert_batch(&[delivery("forever"), delivery("fine")])
            .await
            .unwrap();
        let options = WorkerOptions {
            poll: Duration::from_millis(20),
            lease_for: Duration::MAX,
            ..WorkerOptions::default()
        };
        let started = SystemTime::now();
        let workers = Workers::spawn(
            store.clone(),
            Arc::new(|_: &HeaderMap, body: &[u8]| Ok(body.to_vec())),
            Arc::new(|body: Vec<u8>| {
                Box::pin(async move {
                    if body.windows(7).any(|w| w == b"forever") {
                        Err(HandlerError::new("come back never").retry_after(Duration::MAX))
                    } else {
                        Ok(())
                    }
                })
            }),
            options,
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut rows = Vec::new();
        while std::time::Instant::now() < deadline {
            rows = store.list(&ListFilter::default()).await.unwrap();
            let settled = rows
                .iter()
                .all(|r| r.attempts == 1 && r.state != State::Leased);
            if rows.len() == 2 && settled {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        workers.shutdown().await;
        let forever = rows.iter().find(|r| r.key == "forever").unwrap();
        let fine = rows.iter().find(|r| r.key == "fine").unwrap();
        assert_eq!(
            fine.state,
            State::Done,
            "{name}: the workers kept working: {rows:?}"
        );
        assert_eq!(forever.state, State::Pending, "{name}: {rows:?}");
        let wait = forever.next_run_at.duration_since(started).unwrap();
        assert!(
            wait >= inbox::LONGEST_WAIT - Duration::from_secs(60),
            "{name}: capped at the longest wait: {wait:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_keeps_its_lease_so_no_other_worker_runs_it() {
    for (name, store) in stores("heartbeat").await {
        store.insert_batch(&[delivery("slow")]).await.unwrap();
        let runs = Arc::new(AtomicU32::new(0));
        let start = |owner: &str| {
            let runs = runs.clone();
            Workers::spawn(
                store.clone(),
                Arc::new(|_: &HeaderMap, body: &[u8]| Ok(body.to_vec())),
                Arc::new(move |_body: Vec<u8>| {
                    let runs = runs.clone();
                    Box::pin(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        // Four times the lease: only the heartbeat keeps it.
                        tokio::time::sleep(Duration::from_millis(1200)).await;
                        Ok(())
                    })
                }),
                WorkerOptions {
                    owner: owner.into(),
                    lease_for: Duration::from_millis(300),
                    poll: Duration::from_millis(20),
                    ..WorkerOptions::default()
                },
            )
        };
        let (a, b) = (start("a"), start("b"));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while row_state(&store, "slow").await != State::Done && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        a.shutdown().await;
        b.shutdown().await;
        assert_eq!(row_state(&store, "slow").await, State::Done, "{name}");
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "{name}: the slow event ran once"
        );
    }
}

/// Workers on a SQLite file that count their handler runs by key.
fn counting_workers(
    store: Arc<dyn Inbox>,
    runs: Arc<Mutex<Vec<String>>>,
    work: Duration,
) -> Workers {
    Workers::spawn(
        store,
        Arc::new(|_: &HeaderMap, body: &[u8]| Ok(body.to_vec())),
        Arc::new(move |body: Vec<u8>| {
            let runs = runs.clone();
            Box::pin(async move {
                tokio::time::sleep(work).await;
                runs.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                Ok(())
            })
        }),
        WorkerOptions {
            poll: Duration::from_millis(20),
            ..WorkerOptions::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_receiver_takes_back_a_dead_predecessors_leases_at_once() {
    let dir = std::env::temp_dir().join(format!("hookgen-inbox-reclaim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("inbox.db").display());
    // A predecessor leased a row for an hour, then died (it never held the workers' lock).
    let dead = inbox::open(&url).await.unwrap();
    dead.insert_batch(&[delivery("orphan")]).await.unwrap();
    let leased = dead
        .lease(
            "dead-process",
            10,
            Duration::from_secs(3600),
            SystemTime::now(),
        )
        .await
        .unwrap();
    assert_eq!(leased.len(), 1);
    drop(dead);

    let store = inbox::open(&url).await.unwrap();
    let runs: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = std::time::Instant::now();
    let workers = counting_workers(store.clone(), runs.clone(), Duration::ZERO);
    while runs.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the orphaned row ran after {:?}, not after its hour-long lease",
        started.elapsed()
    );

    // While those workers live, workers of a second inbox on the same file take nothing back:
    // a slow handler's lease held by a live process is never released.
    // The first workers stop before the row arrives: had they taken it, it would run (and be
    // counted) there instead.
    workers.shutdown().await;
    store.insert_batch(&[delivery("slow")]).await.unwrap();
    let slow_runs: Arc<Mutex<Vec<String>>> = Arc::default();
    let first = counting_workers(
        store.clone(),
        slow_runs.clone(),
        Duration::from_millis(1500),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second_store = inbox::open(&url).await.unwrap();
    let second = counting_workers(second_store, slow_runs.clone(), Duration::ZERO);
    // Until the slow handler has run (bounded: a loaded machine starts workers late), and a
    // while longer, in which a second run would show.
    let waiting = std::time::Instant::now();
    let ran_slow = || slow_runs.lock().unwrap().iter().any(|b| b.contains("slow"));
    while !ran_slow() && waiting.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    first.shutdown().await;
    second.shutdown().await;
    let slow: Vec<String> = slow_runs.lock().unwrap().clone();
    assert_eq!(
        slow.iter().filter(|b| b.contains("slow")).count(),
        1,
        "{slow:?}"
    );
}
