//! Serve a receiver (or any axum router) so that slow and hostile clients cannot hold it.
//!
//! `axum::serve` waits for a client's headers and body as long as the client likes. A vendor
//! never dribbles, but anyone who can reach the port can: one byte per second on a thousand
//! connections holds a thousand tasks and their buffers. [`serve`] bounds each part:
//! - the request head must arrive within [`Limits::header_read_timeout`], or the connection
//!   is closed; its size and header count are bounded too (431 beyond them);
//! - the body and the handler together get [`Limits::request_timeout`] (408 beyond it), so a
//!   dribbled body holds nothing for longer;
//! - at most [`Limits::max_connections`] connections are served at once: the next one gets a
//!   503 with `Retry-After`, so memory stays bounded, and vendors retry later.
//!
//! A streamed response (the listen page's event stream) is not cut: the request timeout covers
//! the wait for the response to start, not its body.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

/// Bounds on what one client may hold. The defaults suit a webhook receiver.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time for a request's head (request line and headers) to arrive, from the moment the
    /// connection waits for one (a kept-alive idle connection too).
    pub header_read_timeout: Duration,
    /// Time for the body to arrive and the handler to answer.
    pub request_timeout: Duration,
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Headers in one request.
    pub max_headers: usize,
    /// Bytes of the request head (at least 8 KiB, hyper's minimum buffer).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_headers: 100,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Serve `router` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits) -> io::Result<()> {
    serve_with_shutdown(listener, router, limits, std::future::pending()).await
}

/// Serve until `shutdown` completes; then stop accepting, let requests in flight finish
/// (each within its timeouts) and return.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let limits = Arc::new(limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors and the like: wait a moment instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let (router, limits, stop) = (router.clone(), limits.clone(), stop.clone());
                tokio::spawn(async move {
                    connection(stream, router, &limits, stop).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tokio::spawn(refuse(stream));
            }
        }
    }
    let _ = stopping.send(true);
    // Every permit back: every connection has finished.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
    Ok(())
}

/// Answer 503 without reading the request, and close.
async fn refuse(mut stream: TcpStream) {
    let answer = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 29\r\n\
                   connection: close\r\n\r\ntoo many connections, retry\r\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(answer).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

async fn connection(
    stream: TcpStream,
    router: Router,
    limits: &Limits,
    stop: watch::Receiver<bool>,
) {
    let request_timeout = limits.request_timeout;
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        async move { Ok::<_, Infallible>(answer(router, request, request_timeout).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped(stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Completes once the server is stopping.
async fn stopped(mut stop: watch::Receiver<bool>) {
    loop {
        let stopping = *stop.borrow_and_update();
        if stopping || stop.changed().await.is_err() {
            return;
        }
    }
}

async fn answer(router: Router, request: Request<Incoming>, timeout: Duration) -> Response<Body> {
    use tower_service::Service;
    let request = request.map(Body::new);
    let mut router = router;
    match tokio::time::timeout(timeout, router.call(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => Response::builder()
            .status(StatusCode::REQUEST_TIMEOUT)
            .header("connection", "close")
            .body(Body::from("the request took too long to arrive"))
            .unwrap_or_default(),
    }
}
