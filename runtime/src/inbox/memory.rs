//! An inbox in process memory, for tests. **A crash, a restart or a deploy loses every event
//! in it**, acknowledged or not; use [`super::SqliteInbox`] in production.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;

use super::model::{
    BoxFuture, Delivery, Finish, Inbox, InboxError, Inserted, ListFilter, NewDelivery, Replay,
    State,
};

/// See the module docs: tests only.
#[derive(Default)]
pub struct MemoryInbox {
    rows: Mutex<BTreeMap<i64, Delivery>>,
    /// (source, key) → row id: the unique index.
    keys: Mutex<HashMap<(String, String), i64>>,
    /// What leasing looks at, so that it costs what is due, not every row (locked after `rows`).
    index: Mutex<Index>,
    work: Notify,
}

/// The unfinished rows, indexed the way leasing asks for them.
#[derive(Default)]
struct Index {
    /// Pending rows.
    pending: BTreeSet<i64>,
    /// Leased rows, by when their lease runs out.
    leased: BTreeSet<(SystemTime, i64)>,
    /// Unfinished rows per (source, ordering key), oldest first: only the first may run.
    ordered: HashMap<(String, String), BTreeSet<i64>>,
}

impl Index {
    /// Take `row` out, before it changes.
    fn remove(&mut self, row: &Delivery) {
        self.pending.remove(&row.id);
        if let Some(until) = row.lease_expires_at {
            self.leased.remove(&(until, row.id));
        }
        if let Some(key) = ordering(row) {
            if let Some(ids) = self.ordered.get_mut(&key) {
                ids.remove(&row.id);
                if ids.is_empty() {
                    self.ordered.remove(&key);
                }
            }
        }
    }

    /// Put `row` back, as it is now.
    fn add(&mut self, row: &Delivery) {
        match row.state {
            State::Pending => {
                self.pending.insert(row.id);
            }
            State::Leased => {
                let until = row.lease_expires_at.unwrap_or(SystemTime::UNIX_EPOCH);
                self.leased.insert((until, row.id));
            }
            _ => return,
        }
        if let Some(key) = ordering(row) {
            self.ordered.entry(key).or_default().insert(row.id);
        }
    }

    /// Whether `row` is the oldest unfinished row of its ordering key (or has none).
    fn first_of_its_key(&self, row: &Delivery) -> bool {
        ordering(row).is_none_or(|key| {
            self.ordered
                .get(&key)
                .and_then(|ids| ids.first())
                .is_none_or(|first| *first == row.id)
        })
    }
}

fn ordering(row: &Delivery) -> Option<(String, String)> {
    row.ordering_key
        .as_ref()
        .map(|key| (row.source.clone(), key.clone()))
}

impl MemoryInbox {
    /// An empty inbox.
    pub fn new() -> Self {
        Self::default()
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, Delivery>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Change a row and keep the index in step with it.
    fn change(index: &mut Index, row: &mut Delivery, f: impl FnOnce(&mut Delivery)) {
        index.remove(row);
        f(row);
        index.add(row);
    }

    fn insert_now(&self, batch: &[NewDelivery]) -> Vec<Inserted> {
        let mut rows = self.rows();
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let mut results = Vec::with_capacity(batch.len());
        for new in batch {
            let id = rows.keys().next_back().map_or(1, |last| last + 1);
            match keys.entry((new.source.clone(), new.key.clone())) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    results.push(Inserted::Duplicate);
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(id);
                    let row = stored(id, new);
                    self.index().add(&row);
                    rows.insert(id, row);
                    results.push(Inserted::New(id));
                }
            }
        }
        drop((rows, keys));
        self.work.notify_waiters();
        results
    }

    fn lease_now(
        &self,
        owner: &str,
        limit: usize,
        lease_for: Duration,
        now: SystemTime,
    ) -> Vec<Delivery> {
        let mut rows = self.rows();
        let mut index = self.index();
        // Due: pending and due, or leased with a lapsed lease; oldest first.
        let mut due: Vec<i64> = index
            .pending
            .iter()
            .copied()
            .filter(|id| rows.get(id).is_some_and(|r| r.next_run_at <= now))
            .collect();
        let lapsed = index.leased.range(..=(now, i64::MAX)).map(|(_, id)| *id);
        due.extend(lapsed);
        due.sort_unstable();
        let mut leased = Vec::new();
        for id in due {
            if leased.len() >= limit {
                break;
            }
            let Some(row) = rows.get_mut(&id) else {
                continue;
            };
            if !index.first_of_its_key(row) {
                continue;
            }
            Self::change(&mut index, row, |row| {
                row.state = State::Leased;
                row.lease_owner = Some(owner.to_string());
                row.lease_expires_at = Some(super::model::later(now, lease_for));
                row.attempts += 1;
            });
            leased.push(row.clone());
        }
        leased
    }
}

fn stored(id: i64, new: &NewDelivery) -> Delivery {
    Delivery {
        id,
        source: new.source.clone(),
        key: new.key.clone(),
        body: new.body.clone(),
        headers: new.headers.clone(),
        event_type: new.event_type.clone(),
        ordering_key: new.ordering_key.clone(),
        state: new.state,
        attempts: 0,
        received_at: new.received_at,
        next_run_at: new.received_at,
        lease_owner: None,
        lease_expires_at: None,
        last_error: new.error.clone(),
        published_at: None,
    }
}

impl Inbox for MemoryInbox {
    fn insert_batch<'a>(
        &'a self,
        batch: &'a [NewDelivery],
    ) -> BoxFuture<'a, Result<Vec<Inserted>, InboxError>> {
        let results = self.insert_now(batch);
        Box::pin(async move { Ok(results) })
    }

    fn lease<'a>(
        &'a self,
        owner: &'a str,
        limit: usize,
        lease_for: Duration,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>> {
        let leased = self.lease_now(owner, limit, lease_for, now);
        Box::pin(async move { Ok(leased) })
    }

    fn finish<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        outcome: Finish,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        let mut rows = self.rows();
        let held = rows
            .get_mut(&id)
            .filter(|r| r.state == State::Leased && r.lease_owner.as_deref() == Some(owner));
        let recorded = if let Some(row) = held {
            let write = outcome.row();
            Self::change(&mut self.index(), row, |row| {
                row.state = write.state;
                if let Some(at) = write.next_run_at {
                    row.next_run_at = super::model::from_millis(at);
                }
                row.last_error = write.error.map(str::to_string);
                row.lease_owner = None;
                row.lease_expires_at = None;
            });
            true
        } else {
            false
        };
        drop(rows);
        self.work.notify_waiters();
        Box::pin(async move { Ok(recorded) })
    }

    fn extend_lease<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        let mut rows = self.rows();
        let held = rows
            .get_mut(&id)
            .filter(|r| r.state == State::Leased && r.lease_owner.as_deref() == Some(owner));
        let extended = held
            .map(|row| Self::change(&mut self.index(), row, |r| r.lease_expires_at = Some(until)))
            .is_some();
        Box::pin(async move { Ok(extended) })
    }

    fn mark_published<'a>(
        &'a self,
        id: i64,
        owner: &'a str,
        at: SystemTime,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        let mut rows = self.rows();
        let held = rows
            .get_mut(&id)
            .filter(|r| r.state == State::Leased && r.lease_owner.as_deref() == Some(owner));
        let marked = held.map(|row| row.published_at = Some(at)).is_some();
        Box::pin(async move { Ok(marked) })
    }

    fn list<'a>(
        &'a self,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<Delivery>, InboxError>> {
        let rows: Vec<Delivery> = self
            .rows()
            .values()
            .rev()
            .filter(|r| filter.state.is_none_or(|s| r.state == s))
            .filter(|r| {
                filter.event_type.is_none()
                    || r.event_type.as_deref() == filter.event_type.as_deref()
            })
            .take(filter.limit.unwrap_or(100) as usize)
            .cloned()
            .collect();
        Box::pin(async move { Ok(rows) })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Delivery>, InboxError>> {
        let row = self.rows().get(&id).cloned();
        Box::pin(async move { Ok(row) })
    }

    fn replay(&self, which: Replay) -> BoxFuture<'_, Result<u64, InboxError>> {
        let now = SystemTime::now();
        let mut count = 0;
        let mut rows = self.rows();
        for row in rows.values_mut() {
            let chosen = match which {
                Replay::Id(id) => row.id == id,
                Replay::Dead => row.state == State::Dead,
                Replay::Undecodable => row.state == State::Undecodable,
            };
            if chosen {
                Self::change(&mut self.index(), row, |row| {
                    row.state = State::Pending;
                    row.attempts = 0;
                    row.next_run_at = now;
                    row.lease_owner = None;
                    row.lease_expires_at = None;
                });
                count += 1;
            }
        }
        self.work.notify_waiters();
        Box::pin(async move { Ok(count) })
    }

    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        let mut rows = self.rows();
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let was = rows.len();
        rows.retain(|_, r| {
            let expired = r.state == State::Done && r.received_at < before;
            if expired {
                keys.remove(&(r.source.clone(), r.key.clone()));
            }
            !expired
        });
        let purged = (was - rows.len()) as u64;
        Box::pin(async move { Ok(purged) })
    }

    fn counts(&self) -> BoxFuture<'_, Result<Vec<(State, u64)>, InboxError>> {
        let rows = self.rows();
        let counts = State::ALL
            .iter()
            .map(|s| (*s, rows.values().filter(|r| r.state == *s).count() as u64))
            .collect();
        Box::pin(async move { Ok(counts) })
    }

    fn wait_for_work(&self, timeout: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = tokio::time::timeout(timeout, self.work.notified()).await;
        })
    }
}
