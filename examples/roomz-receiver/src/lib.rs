//! The receiver shown in the README (the text between the markers is checked to be identical),
//! run by the end-to-end, crash and replica tests through `src/main.rs`.

// README:BEGIN
use std::io::Write;
use std::path::Path;

use roomz_webhooks::receiver::{serve_with_shutdown, Limits, Receiver, Running};
use roomz_webhooks::{inbox, Event, Webhook};

/// Verifies ROOMZ deliveries and stores each in the inbox (`sqlite:PATH`, or `postgres://...`
/// with the `postgres` feature) before answering 202; duplicates get 200.
pub async fn receiver(
    secret: &str,
    inbox_url: &str,
) -> Result<Receiver<Webhook>, Box<dyn std::error::Error>> {
    let inbox = inbox::open(inbox_url).await?;
    Ok(Receiver::with_inbox(Webhook::new(secret)?, inbox).source("roomz"))
}

/// The handler, run on a worker: appends the event's id to `log`. An error (disk full, say)
/// or a panic is retried later with backoff; the event is not lost.
pub async fn record(event: Event, log: &Path) -> std::io::Result<()> {
    if let Event::WorkspacePresenceChanged(e) = &event {
        println!("presence in {}", e.data.workspace_id);
    }
    let line = format!("{}\n", event.id().unwrap_or_default());
    // One write per line: concurrent handlers append whole lines.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?
        .write_all(line.as_bytes())
}

/// Serve at `/webhooks/roomz` on `addr` until Ctrl-C, then wait for running handlers.
/// `serve_with_shutdown` is `axum::serve` with bounds on slow clients (head and body
/// timeouts, a connection limit with 503 beyond it, header count and size).
pub async fn serve(mut running: Running, addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let app = running.router("/webhooks/roomz");
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let stop = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
    serve_with_shutdown(listener, app, Limits::default(), stop).await?;
    running.shutdown().await;
    Ok(())
}
// README:END

/// The hand-off a `--publish` URL names: NATS JetStream (`nats://...`, stream `stream` on
/// subjects `hookgen.roomz.>`) or Redis Streams (`redis://...`, stream key `stream`).
pub async fn handoff(
    url: &str,
    stream: &str,
) -> Result<std::sync::Arc<dyn inbox::handoff::Handoff>, Box<dyn std::error::Error>> {
    if url.starts_with("redis://") {
        return Ok(std::sync::Arc::new(
            inbox::handoff::RedisStream::connect(url, stream).await?,
        ));
    }
    Ok(std::sync::Arc::new(
        inbox::handoff::JetStream::connect(url, stream, "hookgen.roomz").await?,
    ))
}
