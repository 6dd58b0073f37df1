//! Group commit: concurrent writes share one transaction, so that the fsync that makes a 2xx
//! honest (and the commit of each outcome) is paid once per batch, not once per delivery.
//!
//! A batch is whatever has queued while the previous one committed, so a lone delivery
//! commits at once and a busy receiver commits in larger batches; an optional wait gathers
//! more before committing.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::model::{BoxFuture, Finish, Inbox, InboxError, Inserted, NewDelivery};

type Reply<R> = oneshot::Sender<Result<R, InboxError>>;
type Write<T, R> =
    Arc<dyn Fn(Vec<T>) -> BoxFuture<'static, Result<Vec<R>, InboxError>> + Send + Sync>;

/// Items queued for one writer task, which writes them in batches and answers each.
struct Batcher<T, R> {
    tx: mpsc::Sender<(T, Reply<R>)>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Batcher {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    fn spawn(write: Write<T, R>, max_rows: usize, max_wait: Duration) -> Self {
        let max_rows = max_rows.max(1);
        let (tx, rx) = mpsc::channel(max_rows * 4);
        tokio::spawn(write_loop(write, rx, max_rows, max_wait));
        Batcher { tx }
    }

    async fn submit(&self, item: T) -> Result<R, InboxError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((item, reply))
            .await
            .map_err(|_| InboxError::Closed)?;
        answer.await.map_err(|_| InboxError::Closed)?
    }
}

async fn write_loop<T, R>(
    write: Write<T, R>,
    mut rx: mpsc::Receiver<(T, Reply<R>)>,
    max_rows: usize,
    max_wait: Duration,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        // What queued while the last batch committed.
        while batch.len() < max_rows {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if !max_wait.is_zero() {
            let deadline = tokio::time::Instant::now() + max_wait;
            while batch.len() < max_rows {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(next)) => batch.push(next),
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match write(items).await {
            Ok(results) if results.len() == replies.len() => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            Ok(results) => {
                let message = format!("{} results for {} writes", results.len(), replies.len());
                for reply in replies {
                    let _ = reply.send(Err(InboxError::Commit(message.clone())));
                }
            }
            Err(error) => {
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(InboxError::Commit(message.clone())));
                }
            }
        }
    }
}

/// Batches inserts into an [`Inbox`]: a batch is what queued while the previous one committed
/// (at most `max_rows`), gathered for up to `max_wait` more when that is not zero.
#[derive(Clone)]
pub struct GroupCommit {
    batcher: Batcher<NewDelivery, Inserted>,
}

impl GroupCommit {
    /// Defaults: 256 rows, no extra wait.
    pub fn new(inbox: Arc<dyn Inbox>) -> Self {
        Self::with_bounds(inbox, 256, Duration::ZERO)
    }

    /// Batches of at most `max_rows`, gathered for up to `max_wait` beyond what has queued.
    pub fn with_bounds(inbox: Arc<dyn Inbox>, max_rows: usize, max_wait: Duration) -> Self {
        let write: Write<NewDelivery, Inserted> = Arc::new(move |rows| {
            let inbox = inbox.clone();
            Box::pin(async move { inbox.insert_batch(&rows).await })
        });
        GroupCommit {
            batcher: Batcher::spawn(write, max_rows, max_wait),
        }
    }

    /// Store one delivery; returns once the transaction that holds it is durable.
    pub async fn insert(&self, delivery: NewDelivery) -> Result<Inserted, InboxError> {
        self.batcher.submit(delivery).await
    }
}

/// Batches one worker owner's outcome writes ([`Inbox::finish_many`]) the same way.
#[derive(Clone)]
pub(crate) struct OutcomeCommit {
    batcher: Batcher<(i64, Finish), bool>,
}

impl OutcomeCommit {
    pub(crate) fn new(inbox: Arc<dyn Inbox>, owner: String) -> Self {
        let owner: Arc<str> = owner.into();
        let write: Write<(i64, Finish), bool> = Arc::new(move |outcomes| {
            let (inbox, owner) = (inbox.clone(), owner.clone());
            Box::pin(async move { inbox.finish_many(&owner, &outcomes).await })
        });
        OutcomeCommit {
            // Small enough that an outcome batch holds SQLite's one writer only briefly.
            batcher: Batcher::spawn(write, 64, Duration::ZERO),
        }
    }

    /// Record an attempt's outcome: what [`Inbox::finish`] returns.
    pub(crate) async fn finish(&self, id: i64, outcome: Finish) -> Result<bool, InboxError> {
        self.batcher.submit((id, outcome)).await
    }
}
