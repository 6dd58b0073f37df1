//! `ROOMZ_WEBHOOK_SECRET=... cargo run -p roomz-receiver-example` serves on 127.0.0.1:3000.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("ROOMZ_WEBHOOK_SECRET").map_err(|_| "set ROOMZ_WEBHOOK_SECRET")?;
    roomz_receiver_example::serve(&secret, "127.0.0.1:3000").await
}
