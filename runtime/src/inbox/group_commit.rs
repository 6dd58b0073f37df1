//! Group commit: concurrent deliveries share one transaction, so that the fsync that makes a
//! 2xx honest is paid once per batch, not once per delivery.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::model::{Inbox, InboxError, Inserted, NewDelivery};

type Reply = oneshot::Sender<Result<Inserted, InboxError>>;

/// Batches inserts into an [`Inbox`]: a batch closes at `max_rows` deliveries or `max_wait`
/// after its first one, whichever comes first; while one batch commits, the next gathers.
#[derive(Clone)]
pub struct GroupCommit {
    tx: mpsc::Sender<(NewDelivery, Reply)>,
}

impl GroupCommit {
    /// Defaults: 256 rows, 2 ms.
    pub fn new(inbox: Arc<dyn Inbox>) -> Self {
        Self::with_bounds(inbox, 256, Duration::from_millis(2))
    }

    /// Batches of at most `max_rows`, gathered for at most `max_wait`.
    pub fn with_bounds(inbox: Arc<dyn Inbox>, max_rows: usize, max_wait: Duration) -> Self {
        let max_rows = max_rows.max(1);
        let (tx, rx) = mpsc::channel(max_rows * 4);
        tokio::spawn(commit_loop(inbox, rx, max_rows, max_wait));
        GroupCommit { tx }
    }

    /// Store one delivery; returns once the transaction that holds it is durable.
    pub async fn insert(&self, delivery: NewDelivery) -> Result<Inserted, InboxError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((delivery, reply))
            .await
            .map_err(|_| InboxError::Closed)?;
        answer.await.map_err(|_| InboxError::Closed)?
    }
}

async fn commit_loop(
    inbox: Arc<dyn Inbox>,
    mut rx: mpsc::Receiver<(NewDelivery, Reply)>,
    max_rows: usize,
    max_wait: Duration,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + max_wait;
        while batch.len() < max_rows {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(next)) => batch.push(next),
                Ok(None) | Err(_) => break,
            }
        }
        let (rows, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match inbox.insert_batch(&rows).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
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
