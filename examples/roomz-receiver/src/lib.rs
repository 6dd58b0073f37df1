//! The receiver shown in the README (the text between the markers is checked to be identical),
//! run by the end-to-end tests in `tests/receiver_e2e.rs`.

// README:BEGIN
use roomz_webhooks::receiver::{Receiver, Running};
use roomz_webhooks::{Event, Webhook, WebhookError};

/// Verify, deduplicate and acknowledge ROOMZ deliveries; `handle` runs later on a worker.
pub fn receiver<F, Fut>(secret: &str, handle: F) -> Result<Running, WebhookError>
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Ok(Receiver::new(Webhook::new(secret)?).spawn(handle))
}

/// Serve on `addr` until Ctrl-C, then finish the queued events.
pub async fn serve(secret: &str, addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut running = receiver(secret, |event| async move {
        match event {
            Event::WorkspacePresenceChanged(e) => println!("presence in {}", e.data.workspace_id),
            other => println!("{} (id {:?})", other.event_type(), other.id()),
        }
    })?;
    let app = running.router("/webhooks/roomz");
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let stop = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    running.shutdown().await;
    Ok(())
}
// README:END
