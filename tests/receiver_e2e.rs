//! The axum receiver end to end, per vendor, on 127.0.0.1: every documented event type
//! arrives as its typed variant (signed by the crate's test kit, and once by `cargo hookgen
//! send`); duplicates, sequential and concurrent, are handled once; tampering, wrong secrets,
//! stale timestamps and missing headers get 401/400 and never reach the handler.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hookgen_runtime::client::reqwest;
use hookgen_runtime::inbox::{Inbox, InboxError, ListFilter, NewDelivery, State};
use hookgen_runtime::receiver::{Receiver, Running};
use http::HeaderMap;
use serde_json::{json, Value};

type Seen = Arc<Mutex<Vec<String>>>;

/// Serve a started receiver on an ephemeral port; returns its URL.
async fn serve(running: &mut Running) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = running.router("/hook");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

async fn post(url: &str, headers: &HeaderMap, body: &[u8]) -> u16 {
    let mut req = reqwest::Client::new()
        .post(url)
        .body(body.to_vec())
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_bytes());
    }
    req.send().await.unwrap().status().as_u16()
}

/// The variant name of a decoded event (its Debug text up to the first parenthesis).
fn variant(debug: String) -> String {
    debug.split('(').next().unwrap_or_default().to_string()
}

/// Wait until the handler has seen `n` events (or give up after 5 s), then a moment longer
/// so that an extra, wrong call would show.
async fn seen_after(seen: &Seen, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().unwrap().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    seen.lock().unwrap().clone()
}

/// The handler saw exactly one event of each type, as that type's own variant.
async fn assert_each_type_arrived(seen: &Seen, types: &[&str]) {
    let mut got = seen_after(seen, types.len()).await;
    got.sort();
    let mut want: Vec<String> = types
        .iter()
        .map(|t| hookgen::ir::names::type_name(t))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// `cargo hookgen send`, run in-process through the CLI entry point.
async fn hookgen_send(spec: &str, event: &str, url: &str, secret: &str) -> bool {
    let spec = hookgen_tests::repo_root()
        .join("specs")
        .join(spec)
        .display()
        .to_string();
    let args: Vec<std::ffi::OsString> = [
        "cargo-hookgen",
        "send",
        &spec,
        "--event",
        event,
        "--to",
        url,
        "--secret",
        secret,
    ]
    .iter()
    .map(Into::into)
    .collect();
    tokio::task::spawn_blocking(move || {
        cargo_hookgen::cli::run(args) == std::process::ExitCode::SUCCESS
    })
    .await
    .unwrap()
}

mod roomz {
    use super::*;
    use roomz_webhooks::Webhook;
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const SECRET: &str = "roomz_test_secret";

    fn body(t: &str, id: &str) -> Vec<u8> {
        let mut v = json!({"id": id, "type": t, "timestamp": "2024-02-02T09:13:44+0000"});
        let target = "df801b47-b7be-48e8-8e21-20e20c75906c";
        match t.split('.').next().unwrap() {
            "building" => v["buildingId"] = json!(target),
            "floor" => v["floorId"] = json!(target),
            _ if t == "workspace.presence.changed" => {
                v["data"] = json!({"workspaceId": target, "presenceStatus": "Busy"})
            }
            _ => v["workspaceId"] = json!(target),
        }
        bytes(&v)
    }

    #[tokio::test]
    async fn end_to_end() {
        let mock = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/v1/workspaces/[0-9a-f-]+/status$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"bookingSystem": "Free", "presence": "Busy", "workspace": "Busy"}),
            ))
            .mount(&mock)
            .await;
        let client = roomz_webhooks::Client::with_base_url(mock.uri()).unwrap();
        let seen: Seen = Arc::default();
        let fetched: Seen = Arc::default();
        let (s, f) = (seen.clone(), fetched.clone());
        // The README's receiver, on a SQLite inbox in a fresh file.
        let dir = std::env::temp_dir().join(format!("hookgen-e2e-roomz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let inbox_url = format!("sqlite:{}", dir.join("inbox.db").display());
        let receiver = roomz_receiver_example::receiver(SECRET, &inbox_url)
            .await
            .unwrap();
        let mut running = receiver.spawn(move |event| {
            let (s, f, client) = (s.clone(), f.clone(), client.clone());
            async move {
                if let roomz_webhooks::Event::WorkspacePresenceChanged(e) = &event {
                    let status = e.fetch_workspace_status(&client).await;
                    f.lock().unwrap().push(
                        status
                            .map(|s| s.workspace.to_string())
                            .unwrap_or_else(|e| e.to_string()),
                    );
                }
                s.lock().unwrap().push(variant(format!("{event:?}")));
            }
        });
        let url = serve(&mut running).await;
        let wh = Webhook::new(SECRET).unwrap();

        let types = roomz_webhooks::Event::TYPES;
        for (i, t) in types.iter().enumerate() {
            let b = body(t, &format!("00000000-0000-4000-8000-{i:012}"));
            assert_eq!(post(&url, &wh.sign(&b).unwrap(), &b).await, 202, "{t}");
        }
        let got = seen_after(&seen, types.len()).await;
        let mut expected: Vec<String> = types
            .iter()
            .map(|t| hookgen::ir::names::type_name(t))
            .collect();
        let mut sorted = got.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected);
        assert_eq!(
            fetched.lock().unwrap().as_slice(),
            ["Busy"],
            "the link fetched the workspace status"
        );

        // Twice in a row, then twice at once: one handler call each.
        let dup = body("workspace.updated", "11111111-1111-4111-8111-111111111111");
        let h = wh.sign(&dup).unwrap();
        assert_eq!(post(&url, &h, &dup).await, 202);
        assert_eq!(post(&url, &h, &dup).await, 200);
        let dup2 = body("workspace.deleted", "22222222-2222-4222-8222-222222222222");
        let h2 = wh.sign(&dup2).unwrap();
        let (a, b) = tokio::join!(post(&url, &h2, &dup2), post(&url, &h2, &dup2));
        let mut codes = [a, b];
        codes.sort();
        assert_eq!(codes, [200, 202]);
        assert_eq!(
            seen_after(&seen, types.len() + 2).await.len(),
            types.len() + 2
        );

        // Refusals never reach the handler.
        let good = body("floor.created", "33333333-3333-4333-8333-333333333333");
        let mut tampered = good.clone();
        tampered[10] ^= 1;
        assert_eq!(post(&url, &wh.sign(&good).unwrap(), &tampered).await, 401);
        assert_eq!(
            post(
                &url,
                &Webhook::new("wrong").unwrap().sign(&good).unwrap(),
                &good
            )
            .await,
            401
        );
        assert_eq!(post(&url, &HeaderMap::new(), &good).await, 400);
        assert!(hookgen_send("roomz", "workspace.presence.changed", &url, SECRET).await);
        let all = seen_after(&seen, types.len() + 3).await;
        assert_eq!(all.len(), types.len() + 3, "{all:?}");
        assert_eq!(
            all.last().map(String::as_str),
            Some("WorkspacePresenceChanged")
        );
        assert_eq!(
            running
                .stats
                .rejected
                .load(std::sync::atomic::Ordering::SeqCst),
            3
        );
        running.shutdown().await;
    }
}

mod roam {
    use super::*;
    use roam_webhooks::{Event, Webhook};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn body(t: &str) -> Vec<u8> {
        let data = if t == "lobby:booked" {
            json!({"id": "b1", "start": "2025-03-01T10:00:00Z", "end": "2025-03-01T10:30:00Z", "status": "confirmed"})
        } else {
            json!({"id": "x"})
        };
        bytes(&json!({"type": t, "data": data}))
    }

    #[tokio::test]
    async fn end_to_end() {
        let seen: Seen = Arc::default();
        let s = seen.clone();
        let mut running =
            Receiver::in_memory(Webhook::new(SECRET).unwrap()).spawn(move |e: Event| {
                let s = s.clone();
                async move {
                    s.lock()
                        .unwrap()
                        .push(e.event_type().to_string() + "=" + &variant(format!("{e:?}")))
                }
            });
        let url = serve(&mut running).await;
        let wh = Webhook::new(SECRET).unwrap();
        for (i, t) in Event::TYPES.iter().enumerate() {
            let b = body(t);
            assert_eq!(
                post(&url, &wh.sign(&b, &format!("msg_{i}"), now()).unwrap(), &b).await,
                202,
                "{t}"
            );
        }
        let got = seen_after(&seen, Event::TYPES.len()).await;
        for t in Event::TYPES {
            let want = format!("{t}={}", hookgen::ir::names::type_name(t));
            assert!(got.contains(&want), "{want} not in {got:?}");
        }
        // Same webhook-id: once, sequentially and concurrently.
        let b = body("chat:message:dm");
        let h = wh.sign(&b, "msg_dup", now()).unwrap();
        assert_eq!(post(&url, &h, &b).await, 202);
        assert_eq!(post(&url, &h, &b).await, 200);
        let h2 = wh.sign(&b, "msg_dup2", now()).unwrap();
        let (x, y) = tokio::join!(post(&url, &h2, &b), post(&url, &h2, &b));
        assert_eq!(x.min(y), 200);
        assert_eq!(x.max(y), 202);
        // Stale, tampered, wrong secret, missing headers.
        assert_eq!(
            post(&url, &wh.sign(&b, "msg_old", now() - 1000).unwrap(), &b).await,
            401
        );
        assert_eq!(
            post(
                &url,
                &wh.sign(&b, "msg_t", now()).unwrap(),
                &body("chat:message:channel")
            )
            .await,
            401
        );
        let other = Webhook::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(
            post(&url, &other.sign(&b, "msg_w", now()).unwrap(), &b).await,
            401
        );
        let mut partial = wh.sign(&b, "msg_p", now()).unwrap();
        partial.remove("webhook-timestamp");
        assert_eq!(post(&url, &partial, &b).await, 400);
        // Two sends are two deliveries: each gets its own webhook-id.
        assert!(hookgen_send("roam", "lobby:booked", &url, SECRET).await);
        assert!(hookgen_send("roam", "lobby:booked", &url, SECRET).await);
        let all = seen_after(&seen, Event::TYPES.len() + 4).await;
        assert_eq!(all.len(), Event::TYPES.len() + 4, "{all:?}");
        running.shutdown().await;
    }
}

mod roostsync {
    use super::*;
    use roostsync_webhooks::{Event, Webhook};

    const SECRET: &str = "roostsync_test_secret";

    fn body(t: &str, n: usize) -> Vec<u8> {
        bytes(
            &json!({"event": t, "timestamp": "2024-03-15T10:30:00Z", "data": {"booking_id": format!("bk_{n}")}, "property_id": "prop_abc123"}),
        )
    }

    #[tokio::test]
    async fn end_to_end() {
        let seen: Seen = Arc::default();
        let s = seen.clone();
        let mut running =
            Receiver::in_memory(Webhook::new(SECRET).unwrap()).spawn(move |e: Event| {
                let s = s.clone();
                async move { s.lock().unwrap().push(variant(format!("{e:?}"))) }
            });
        let url = serve(&mut running).await;
        let wh = Webhook::new(SECRET).unwrap();
        for (i, t) in Event::TYPES.iter().enumerate() {
            let b = body(t, i);
            assert_eq!(post(&url, &wh.sign(&b).unwrap(), &b).await, 202, "{t}");
        }
        assert_each_type_arrived(&seen, Event::TYPES).await;
        // No id in RoostSync payloads: a byte-identical redelivery is still recognised.
        let b = body("payment.received", 99);
        let h = wh.sign(&b).unwrap();
        assert_eq!(post(&url, &h, &b).await, 202);
        assert_eq!(post(&url, &h, &b).await, 200);
        let b2 = body("payment.received", 100);
        let h2 = wh.sign(&b2).unwrap();
        let (x, y) = tokio::join!(post(&url, &h2, &b2), post(&url, &h2, &b2));
        assert_eq!((x.min(y), x.max(y)), (200, 202));
        let mut tampered = b.clone();
        tampered.push(b' ');
        assert_eq!(post(&url, &h, &tampered).await, 401);
        assert_eq!(
            post(&url, &Webhook::new("nope").unwrap().sign(&b).unwrap(), &b).await,
            401
        );
        assert_eq!(post(&url, &HeaderMap::new(), &b).await, 400);
        assert!(hookgen_send("roostsync", "booking.created", &url, SECRET).await);
        assert_eq!(
            seen_after(&seen, Event::TYPES.len() + 3).await.len(),
            Event::TYPES.len() + 3
        );
        running.shutdown().await;
    }
}

mod roomle {
    use super::*;
    use roomle_webhooks::{Event, Webhook};

    const SECRET: &str = "roomle-tenant-secret";

    fn body(t: &str, n: usize) -> Vec<u8> {
        bytes(
            &json!({"event": t, "data": {"success": true, "email": format!("u{n}@example.com"), "configuratorId": "c", "url": "https://x"}}),
        )
    }

    #[tokio::test]
    async fn end_to_end() {
        let seen: Seen = Arc::default();
        let s = seen.clone();
        let mut running =
            Receiver::in_memory(Webhook::new(SECRET).unwrap()).spawn(move |e: Event| {
                let s = s.clone();
                async move { s.lock().unwrap().push(variant(format!("{e:?}"))) }
            });
        let url = serve(&mut running).await;
        let wh = Webhook::new(SECRET).unwrap();
        for (i, t) in Event::TYPES.iter().enumerate() {
            assert_eq!(
                post(&url, &wh.sign(now()).unwrap(), &body(t, i)).await,
                202,
                "{t}"
            );
        }
        assert_each_type_arrived(&seen, Event::TYPES).await;
        let b = body("email.shareConfiguration", 50);
        let h = wh.sign(now()).unwrap();
        assert_eq!(post(&url, &h, &b).await, 202);
        assert_eq!(post(&url, &h, &b).await, 200);
        let b2 = body("email.shareConfiguration", 51);
        let (x, y) = tokio::join!(post(&url, &h, &b2), post(&url, &h, &b2));
        assert_eq!((x.min(y), x.max(y)), (200, 202));
        // The token does not cover the body (Roomle's scheme): only the secret is checked.
        assert_eq!(
            post(
                &url,
                &Webhook::new("not-the-secret").unwrap().sign(now()).unwrap(),
                &b
            )
            .await,
            401
        );
        let mut garbage = HeaderMap::new();
        garbage.insert(
            "x-roomle-token",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                .parse()
                .unwrap(),
        );
        assert_eq!(post(&url, &garbage, &b).await, 401);
        assert_eq!(post(&url, &HeaderMap::new(), &b).await, 400);
        assert!(hookgen_send("roomle", "email.3DExportAsset", &url, SECRET).await);
        assert_eq!(
            seen_after(&seen, Event::TYPES.len() + 3).await.len(),
            Event::TYPES.len() + 3
        );
        running.shutdown().await;
    }
}

#[tokio::test]
async fn an_inbox_that_cannot_store_answers_503_never_2xx() {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    // An inbox whose writes fail: nothing may be acknowledged.
    let broken = Arc::new(hookgen_tests::InsertHook {
        inner: Arc::new(hookgen_runtime::inbox::MemoryInbox::new()),
        before_insert: |_: &[NewDelivery]| Err(InboxError::Closed),
    });
    let mut running = Receiver::with_inbox(roomz_webhooks::Webhook::new("s").unwrap(), broken)
        .spawn(move |e: roomz_webhooks::Event| {
            let s = s.clone();
            async move { s.lock().unwrap().push(e.event_type().to_string()) }
        });
    let url = serve(&mut running).await;
    let wh = roomz_webhooks::Webhook::new("s").unwrap();
    let b = bytes(&json!({"id": "00000000-0000-4000-8000-000000000001", "type": "x.y"}));
    assert_eq!(post(&url, &wh.sign(&b).unwrap(), &b).await, 503);
    assert_eq!(
        running
            .stats
            .unavailable
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert!(seen_after(&seen, 1).await.is_empty());
    running.shutdown().await;
}

#[tokio::test]
async fn shutdown_waits_for_running_handlers_and_refuses_new_deliveries() {
    let (release, released) = tokio::sync::watch::channel(false);
    let done: Seen = Arc::default();
    let d = done.clone();
    let mut running = Receiver::in_memory(roomz_webhooks::Webhook::new("s").unwrap())
        .concurrency(1)
        .spawn(move |e: roomz_webhooks::Event| {
            let (mut released, d) = (released.clone(), d.clone());
            async move {
                let _ = released.wait_for(|r| *r).await;
                d.lock().unwrap().push(e.event_type().to_string());
            }
        });
    let url = serve(&mut running).await;
    let wh = roomz_webhooks::Webhook::new("s").unwrap();
    let b = bytes(&json!({"id": "00000000-0000-4000-8000-000000000001", "type": "x.y"}));
    assert_eq!(post(&url, &wh.sign(&b).unwrap(), &b).await, 202);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats = running.stats.clone();
    let stopping = tokio::spawn(running.shutdown());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let other = bytes(&json!({"id": "00000000-0000-4000-8000-000000000002", "type": "x.y"}));
    assert_eq!(post(&url, &wh.sign(&other).unwrap(), &other).await, 503);
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the running handler"
    );
    release.send(true).unwrap();
    stopping.await.unwrap();
    assert_eq!(done.lock().unwrap().len(), 1);
    assert_eq!(stats.processed(), 1);
}

#[tokio::test]
async fn oversized_bodies_get_413_and_undecodable_bodies_are_stored() {
    let kept: Seen = Arc::default();
    let k = kept.clone();
    let store = Arc::new(hookgen_runtime::inbox::MemoryInbox::new());
    let mut running =
        Receiver::with_inbox(roomz_webhooks::Webhook::new("s").unwrap(), store.clone())
            .body_limit(1024)
            .on_decode_error(move |raw, err| {
                k.lock()
                    .unwrap()
                    .push(format!("{}|{}", String::from_utf8_lossy(raw), err.path))
            })
            .spawn(|_e: roomz_webhooks::Event| async {});
    let url = serve(&mut running).await;
    let wh = roomz_webhooks::Webhook::new("s").unwrap();
    let big = vec![b' '; 4096];
    assert_eq!(post(&url, &wh.sign(&big).unwrap(), &big).await, 413);
    let bad = br#"{"type":"workspace.updated","id":"not-a-uuid"}"#;
    assert_eq!(post(&url, &wh.sign(bad).unwrap(), bad).await, 202);
    assert_eq!(
        post(&url, &wh.sign(bad).unwrap(), bad).await,
        200,
        "a redelivery of it is a duplicate"
    );
    assert_eq!(
        kept.lock().unwrap().as_slice(),
        [format!("{}|id", String::from_utf8_lossy(bad))]
    );
    let rows = store.list(&ListFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, State::Undecodable);
    assert_eq!(rows[0].body, bad);
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("id"),
        "{rows:?}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_failing_or_panicking_handler_is_retried_until_it_succeeds() {
    let calls: Arc<Mutex<std::collections::HashMap<String, u32>>> = Arc::default();
    let c = calls.clone();
    let store = Arc::new(hookgen_runtime::inbox::MemoryInbox::new());
    let mut running =
        Receiver::with_inbox(roomz_webhooks::Webhook::new("s").unwrap(), store.clone())
            .retry_schedule(hookgen_runtime::inbox::RetrySchedule::quick(
                Duration::from_millis(20),
                5,
            ))
            .poll_interval(Duration::from_millis(20))
            .spawn(move |e: roomz_webhooks::Event| {
                let c = c.clone();
                async move {
                    let id = e.id().unwrap_or_default();
                    let n = {
                        let mut calls = c.lock().unwrap();
                        let n = calls.entry(id.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    match (id.ends_with('1'), n) {
                        (true, 1) => panic!("handler bug on first run"),
                        (false, 1 | 2) => Err(std::io::Error::other("downstream unavailable")),
                        _ => Ok(()),
                    }
                }
            });
    let url = serve(&mut running).await;
    let wh = roomz_webhooks::Webhook::new("s").unwrap();
    for i in 1..=2 {
        let b =
            bytes(&json!({"id": format!("00000000-0000-4000-8000-00000000000{i}"), "type": "x.y"}));
        assert_eq!(post(&url, &wh.sign(&b).unwrap(), &b).await, 202);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.stats.processed() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let calls = calls.lock().unwrap().clone();
    assert_eq!(
        calls["00000000-0000-4000-8000-000000000001"], 2,
        "panicked once, then ran"
    );
    assert_eq!(
        calls["00000000-0000-4000-8000-000000000002"], 3,
        "failed twice, then ran"
    );
    let workers = &running.stats.workers;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!((load(&workers.panicked), load(&workers.retried)), (1, 3));
    let rows = store.list(&ListFilter::default()).await.unwrap();
    assert!(rows.iter().all(|r| r.state == State::Done), "{rows:?}");
    running.shutdown().await;
}

/// ROOMZ's webhook, as if its vendor also sent a shared secret in `x-hook-passcode` (the header
/// a `shared-secret` scheme names): the receiver must store that header masked.
struct WithPasscode(roomz_webhooks::Webhook);

impl hookgen_runtime::WebhookVerifier for WithPasscode {
    type Event = roomz_webhooks::Event;
    fn verify_signature_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), hookgen_runtime::WebhookError> {
        self.0.verify_signature_at(headers, body, now)
    }
    fn decode(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Self::Event, hookgen_runtime::DecodeError> {
        hookgen_runtime::WebhookVerifier::decode(&self.0, headers, body)
    }
    fn event_type(event: &Self::Event) -> String {
        <roomz_webhooks::Webhook as hookgen_runtime::WebhookVerifier>::event_type(event)
    }
    fn event_id(event: &Self::Event) -> Option<String> {
        <roomz_webhooks::Webhook as hookgen_runtime::WebhookVerifier>::event_id(event)
    }
    fn credential_headers(&self) -> Vec<String> {
        vec!["x-hook-passcode".into()]
    }
}

#[tokio::test]
async fn credentials_reach_the_inbox_masked_never_in_the_clear() {
    let store = Arc::new(hookgen_runtime::inbox::MemoryInbox::new());
    let webhook = WithPasscode(roomz_webhooks::Webhook::new("s").unwrap());
    let mut running =
        Receiver::with_inbox(webhook, store.clone()).spawn(|_e: roomz_webhooks::Event| async {});
    let url = serve(&mut running).await;
    let wh = roomz_webhooks::Webhook::new("s").unwrap();
    let body =
        br#"{"type":"workspace.updated","id":"00000000-0000-4000-8000-000000000001","data":{}}"#;
    let mut headers = wh.sign(body).unwrap();
    for (name, value) in [
        ("authorization", "Bearer t0p-s3cret-bearer"),
        ("x-hook-passcode", "t0p-s3cret-passcode"),
        ("x-api-key", "t0p-s3cret-key"),
        ("cookie", "session=t0p-s3cret-cookie"),
    ] {
        headers.insert(name, value.parse().unwrap());
    }
    let status = post(&url, &headers, body).await;
    assert!(status == 202 || status == 200, "{status}");
    let rows = store.list(&ListFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    let stored = format!("{:?}", rows[0].headers);
    assert!(!stored.contains("t0p-s3cret"), "{stored}");
    for name in ["authorization", "x-hook-passcode", "x-api-key", "cookie"] {
        let value = rows[0].headers.iter().find(|(n, _)| n == name);
        assert!(
            value.is_some_and(|(_, v)| hookgen_runtime::redact::is_masked(v)),
            "{name}: {stored}"
        );
    }
    assert!(
        rows[0].headers.iter().any(|(n, _)| n == "roomz-signature"),
        "signatures are kept: {stored}"
    );
    running.shutdown().await;
}
