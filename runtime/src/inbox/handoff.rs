//! Hand-off after commit: each stored delivery, once the inbox has it, published to a stream
//! (NATS JetStream, Redis Streams) exactly once, instead of or beside local handlers.
//!
//! The worker that leases a row publishes it, waits for the engine's acknowledgement, and only
//! then marks the row published. A worker that dies between the two leaves the row unmarked:
//! it is leased again and published again under the same key, which the engine drops as a
//! duplicate (JetStream's `Nats-Msg-Id` within the stream's duplicate window; a `SET NX` key
//! for Redis). The window must outlast the longest wait between a publish and its mark: the
//! lease, plus a publish retry (capped at [`PUBLISH_RETRY_CAP`]).

use std::time::Duration;

use super::model::{BoxFuture, Delivery};

/// The longest delay before a failed publish is tried again, whatever the retry policy says:
/// a publish that reached the stream but lost its acknowledgement must be retried inside the
/// engine's duplicate window.
pub const PUBLISH_RETRY_CAP: Duration = Duration::from_secs(60);

/// One stored delivery, as it is handed off.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The inbox's key for it: the message id the engine deduplicates on.
    pub key: &'a str,
    /// The sender, as the receiver names it.
    pub source: &'a str,
    /// The event type, when the receiver could tell.
    pub event_type: Option<&'a str>,
    /// The body exactly as received.
    pub body: &'a [u8],
    /// The headers stored with it (credentials masked).
    pub headers: &'a [(String, String)],
}

impl<'a> Outgoing<'a> {
    /// The hand-off of a leased row.
    pub fn of(row: &'a Delivery) -> Self {
        Outgoing {
            key: &row.key,
            source: &row.source,
            event_type: row.event_type.as_deref(),
            body: &row.body,
            headers: &row.headers,
        }
    }
}

/// Why a publish failed; the row is tried again.
#[derive(Debug, thiserror::Error)]
#[error("hand-off to {engine}: {message}")]
pub struct HandoffError {
    /// The stream engine.
    pub engine: &'static str,
    /// What it said.
    pub message: String,
}

/// A stream that takes deliveries, deduplicating on their key.
pub trait Handoff: Send + Sync + 'static {
    /// Publish and wait for the engine's acknowledgement: `Ok` means stored (or already there).
    fn publish<'a>(&'a self, message: Outgoing<'a>) -> BoxFuture<'a, Result<(), HandoffError>>;
    /// How long the engine remembers a key.
    fn dedup_window(&self) -> Duration;
}

/// A subject token from an event type: NATS subjects may not hold spaces or wildcards.
pub fn subject_token(event_type: Option<&str>) -> String {
    let text = event_type.filter(|t| !t.is_empty()).unwrap_or("unknown");
    text.split('.')
        .map(|part| {
            let clean: String = part
                .chars()
                .map(|c| {
                    if c.is_whitespace() || c == '*' || c == '>' {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            if clean.is_empty() {
                "_".into()
            } else {
                clean
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(feature = "nats")]
pub use jetstream::JetStream;

#[cfg(feature = "nats")]
mod jetstream {
    use std::time::Duration;

    use async_nats::jetstream::{self, stream};

    use crate::inbox::handoff::{subject_token, Handoff, HandoffError, Outgoing};
    use crate::inbox::model::BoxFuture;

    fn failed(message: impl std::fmt::Display) -> HandoffError {
        HandoffError {
            engine: "NATS JetStream",
            message: message.to_string(),
        }
    }

    /// Deliveries published to a JetStream stream on `SUBJECT_PREFIX.<event type>`, with
    /// `Nats-Msg-Id` set to the delivery key and the raw body as the payload.
    pub struct JetStream {
        context: jetstream::Context,
        subject_prefix: String,
        window: Duration,
    }

    /// The duplicate window a created stream gets: the default 5-minute lease, a capped
    /// publish retry, and room to spare.
    pub const CREATED_WINDOW: Duration = Duration::from_secs(10 * 60);

    impl JetStream {
        /// Connect to `url` and use stream `name` for subjects under `subject_prefix`,
        /// creating the stream (with a 10-minute duplicate window) if it is missing.
        pub async fn connect(
            url: &str,
            name: &str,
            subject_prefix: &str,
        ) -> Result<Self, HandoffError> {
            let client = async_nats::connect(url).await.map_err(failed)?;
            let context = jetstream::new(client);
            let config = stream::Config {
                name: name.to_string(),
                subjects: vec![format!("{subject_prefix}.>")],
                duplicate_window: CREATED_WINDOW,
                ..Default::default()
            };
            let mut stream = context.get_or_create_stream(config).await.map_err(failed)?;
            let window = stream.info().await.map_err(failed)?.config.duplicate_window;
            Ok(JetStream {
                context,
                subject_prefix: subject_prefix.to_string(),
                window,
            })
        }
    }

    impl Handoff for JetStream {
        fn publish<'a>(&'a self, message: Outgoing<'a>) -> BoxFuture<'a, Result<(), HandoffError>> {
            Box::pin(async move {
                let subject = format!(
                    "{}.{}",
                    self.subject_prefix,
                    subject_token(message.event_type)
                );
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(async_nats::header::NATS_MESSAGE_ID, message.key);
                headers.insert("Hookgen-Delivery-Key", message.key);
                headers.insert("Hookgen-Source", message.source);
                if let Some(t) = message.event_type {
                    headers.insert("Hookgen-Event-Type", t);
                }
                if let Some((_, v)) = message
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                {
                    headers.insert("Content-Type", v.as_str());
                }
                let ack = self
                    .context
                    .publish_with_headers(subject, headers, message.body.to_vec().into())
                    .await
                    .map_err(failed)?;
                // Stored, or already stored under this id: either way it is on the stream once.
                ack.await.map_err(failed)?;
                Ok(())
            })
        }

        fn dedup_window(&self) -> Duration {
            self.window
        }
    }
}

#[cfg(feature = "redis-streams")]
pub use redis_streams::RedisStream;

#[cfg(feature = "redis-streams")]
mod redis_streams {
    use std::time::Duration;

    use crate::inbox::handoff::{Handoff, HandoffError, Outgoing};
    use crate::inbox::model::BoxFuture;

    fn failed(message: impl std::fmt::Display) -> HandoffError {
        HandoffError {
            engine: "Redis Streams",
            message: message.to_string(),
        }
    }

    /// Marks the key and appends the entry in one step, so that a retried publish adds nothing.
    const PUBLISH: &str = r"
        if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
            redis.call('XADD', KEYS[1], '*', 'key', ARGV[2], 'source', ARGV[3],
                'event_type', ARGV[4], 'body', ARGV[5])
            return 1
        end
        return 0";

    /// Deliveries appended to a Redis stream (fields `key`, `source`, `event_type`, `body`),
    /// each key once within the window (default 7 days, the inbox's retention).
    pub struct RedisStream {
        connection: redis::aio::ConnectionManager,
        stream: String,
        window: Duration,
    }

    impl RedisStream {
        /// Connect to `url` (`redis://127.0.0.1:6379`) and append to `stream`.
        pub async fn connect(url: &str, stream: &str) -> Result<Self, HandoffError> {
            let client = redis::Client::open(url).map_err(failed)?;
            let connection = redis::aio::ConnectionManager::new(client)
                .await
                .map_err(failed)?;
            Ok(RedisStream {
                connection,
                stream: stream.to_string(),
                window: Duration::from_secs(7 * 24 * 3600),
            })
        }
    }

    impl Handoff for RedisStream {
        fn publish<'a>(&'a self, message: Outgoing<'a>) -> BoxFuture<'a, Result<(), HandoffError>> {
            Box::pin(async move {
                let mut connection = self.connection.clone();
                let seen = format!("{}:published:{}", self.stream, message.key);
                let _added: i64 = redis::Script::new(PUBLISH)
                    .key(&self.stream)
                    .key(seen)
                    .arg(self.window.as_millis() as u64)
                    .arg(message.key)
                    .arg(message.source)
                    .arg(message.event_type.unwrap_or(""))
                    .arg(message.body)
                    .invoke_async(&mut connection)
                    .await
                    .map_err(failed)?;
                Ok(())
            })
        }

        fn dedup_window(&self) -> Duration {
            self.window
        }
    }
}

#[cfg(test)]
mod tests {
    use super::subject_token;

    #[test]
    fn event_types_become_subject_tokens() {
        assert_eq!(
            subject_token(Some("workspace.status.updated")),
            "workspace.status.updated"
        );
        assert_eq!(subject_token(Some("a b.*.>")), "a_b._._");
        assert_eq!(subject_token(Some("a..b")), "a._.b");
        assert_eq!(subject_token(None), "unknown");
    }
}
