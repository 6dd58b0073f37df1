//! The ROOMZ receiver as a program:
//!
//! ```text
//! ROOMZ_WEBHOOK_SECRET=whsec_... roomz-receiver-example \
//!     --listen 127.0.0.1:3000 --inbox sqlite:roomz-inbox.db --processed-log processed.txt
//! ```
//!
//! `--inbox` also takes `postgres://...` (several replicas on one database). For tests:
//! `--work-ms N` makes each handler run take N ms, `--lease-secs N` sets the lease.
//!
//! `--publish nats://127.0.0.1:4222 --stream NAME` hands each stored delivery off to NATS
//! JetStream (the stream is created if missing), on subject `hookgen.roomz.<event type>` with
//! `Nats-Msg-Id` set to the delivery key and the raw body as the payload: instead of the
//! handler, or beside it when `--processed-log` is given too. `--publish redis://...` appends
//! to the Redis stream NAME instead.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

struct Options {
    listen: String,
    inbox: String,
    processed_log: Option<PathBuf>,
    publish: Option<String>,
    stream: String,
    work: Duration,
    lease: Option<Duration>,
}

const USAGE: &str = "usage: roomz-receiver-example [--listen ADDR] [--inbox URL] \
     [--processed-log FILE] [--publish nats://HOST:PORT|redis://HOST:PORT --stream NAME] \
     [--work-ms N] [--lease-secs N]  (secret in ROOMZ_WEBHOOK_SECRET)";

fn options() -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:3000".into(),
        inbox: "sqlite:roomz-inbox.db".into(),
        processed_log: None,
        publish: None,
        stream: "hookgen-roomz".into(),
        work: Duration::ZERO,
        lease: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} takes a number, not `{value}`"))
        };
        match flag.as_str() {
            "--listen" => o.listen = value.clone(),
            "--inbox" => o.inbox = value.clone(),
            "--processed-log" => o.processed_log = Some(PathBuf::from(&value)),
            "--publish" => o.publish = Some(value.clone()),
            "--stream" => o.stream = value.clone(),
            "--work-ms" => o.work = Duration::from_millis(number()?),
            "--lease-secs" => o.lease = Some(Duration::from_secs(number()?)),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = options()?;
    let secret = std::env::var("ROOMZ_WEBHOOK_SECRET").map_err(|_| "set ROOMZ_WEBHOOK_SECRET")?;
    let mut receiver = roomz_receiver_example::receiver(&secret, &o.inbox).await?;
    if let Some(lease) = o.lease {
        receiver = receiver
            .lease_for(lease)
            .poll_interval(Duration::from_millis(200));
    }
    if let Some(url) = &o.publish {
        let handoff = roomz_receiver_example::handoff(url, &o.stream).await?;
        // Without a processed log the hand-off replaces the handler; with one, it runs beside.
        receiver = receiver
            .handoff(handoff)
            .handoff_only(o.processed_log.is_none());
    }
    let log = o.processed_log.unwrap_or_else(|| "processed.log".into());
    let (log, work) = (Arc::new(log), o.work);
    let running = receiver.spawn(move |event| {
        let log = log.clone();
        async move {
            tokio::time::sleep(work).await;
            roomz_receiver_example::record(event, &log).await
        }
    });
    eprintln!("roomz receiver: listening on {}", o.listen);
    roomz_receiver_example::serve(running, &o.listen).await
}
