//! The receiver served by `hookgen_runtime::serve` under slow and hostile clients, on
//! loopback: a thousand connections dribbling their headers do not delay a genuine delivery;
//! a dribbled body gets 408; a connection past the limit gets 503; a slow head is closed.

use std::io;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hookgen_runtime::client::reqwest;
use hookgen_runtime::receiver::{Receiver, Running};
use hookgen_runtime::serve::{serve, Limits};
use roam_webhooks::{Event, Webhook};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn started() -> Running {
    Receiver::in_memory(Webhook::new(SECRET).unwrap()).spawn(|_: Event| async {})
}

async fn served(running: &mut Running, limits: Limits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = running.router("/hook");
    tokio::spawn(serve(listener, router, limits));
    addr
}

/// A genuine signed delivery; its status and how long the answer took.
async fn genuine(addr: std::net::SocketAddr, id: &str) -> (u16, Duration) {
    let body = serde_json::to_vec(&json!({"type": "lobby:opened", "data": {"id": "x"}})).unwrap();
    let headers = Webhook::new(SECRET)
        .unwrap()
        .sign(&body, id, now())
        .unwrap();
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/hook"))
        .headers(headers)
        .header("content-type", "application/json")
        .body(body)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), started.elapsed())
}

async fn read_all(stream: &mut TcpStream) -> io::Result<String> {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| io::Error::other("no answer in 5 s"))??;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_connections_do_not_delay_a_genuine_delivery() {
    let mut running = started();
    let addr = served(&mut running, Limits::default()).await;
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"P").await.unwrap();
        slow.push(s);
    }
    let request = b"OST /hook HTTP/1.1\r\nhost: x\r\n";
    let mut worst = Duration::ZERO;
    for (second, byte) in request.iter().take(3).enumerate() {
        for s in &mut slow {
            let _ = s.write_all(&[*byte]).await;
        }
        let (status, took) = genuine(addr, &format!("msg_slow_{second}")).await;
        assert_eq!(status, 202);
        worst = worst.max(took);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(
        worst < Duration::from_secs(1),
        "a genuine delivery took {worst:?}"
    );
    drop(slow);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dribbled_bodies_time_out_and_slow_heads_are_closed() {
    let mut running = started();
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let addr = served(&mut running, limits).await;
    // A head that never completes: closed once the head timeout passes.
    let mut head = TcpStream::connect(addr).await.unwrap();
    head.write_all(b"POST /hook HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let _ = read_all(&mut head).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the slow head was held"
    );
    // A body announced as 1000 bytes that stops after 10: 408, then closed.
    let mut body = TcpStream::connect(addr).await.unwrap();
    body.write_all(b"POST /hook HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();
    let answer = read_all(&mut body).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Too many headers: refused, not buffered.
    let mut many = TcpStream::connect(addr).await.unwrap();
    let mut request = String::from("POST /hook HTTP/1.1\r\nhost: x\r\n");
    for i in 0..200 {
        request.push_str(&format!("x-h{i}: v\r\n"));
    }
    request.push_str("content-length: 0\r\n\r\n");
    many.write_all(request.as_bytes()).await.unwrap();
    let answer = read_all(&mut many).await.unwrap_or_default();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    // The server is still there.
    assert_eq!(genuine(addr, "msg_after").await.0, 202);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_get_503() {
    let mut running = started();
    let limits = Limits {
        max_connections: 4,
        ..Limits::default()
    };
    let addr = served(&mut running, limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let s = TcpStream::connect(addr).await.unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let answer = read_all(&mut extra).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after"),
        "{answer}"
    );
    drop(held);
    // Freed: served again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(genuine(addr, "msg_freed").await.0, 202);
    running.shutdown().await;
}
