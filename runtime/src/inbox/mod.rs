//! The durable inbox: every verified delivery is one row, stored before the receiver answers
//! 2xx, then leased by workers that run the handler until it succeeds or is given up on.
//!
//! A row is keyed by (source, delivery key), so a redelivery is recognised across restarts
//! and, with PostgreSQL, across replicas. States:
//!
//! - `pending`: waiting to run at `next_run_at`;
//! - `leased`: a worker runs it until `lease_expires_at`; a lease that expires (the worker or
//!   its process died) makes the row due again;
//! - `done`: handled; kept for the retention period (7 days by default) to catch redeliveries;
//! - `dead`: the handler failed on every attempt; `replay` makes it pending again;
//! - `undecodable`: verified but not understood by this SDK version; kept with its raw body,
//!   `replay` decodes it again (after an SDK upgrade).
//!
//! Stores: [`SqlInbox`] over SQLite (embedded, the default: a file in WAL mode, synchronous
//! commits, one writer) or PostgreSQL (feature `postgres`: several replicas share it, leasing
//! with `FOR UPDATE SKIP LOCKED` and waking on LISTEN/NOTIFY), and [`MemoryInbox`] (tests
//! only: **a crash loses everything in it**). [`open`] picks one from a URL.

mod group_commit;
pub mod handoff;
mod memory;
mod model;
mod retry;
mod sql;
mod worker;

use std::sync::Arc;

pub use group_commit::GroupCommit;
pub use memory::MemoryInbox;
pub use model::*;
pub use retry::{HandlerError, HandlerOutcome, RetrySchedule};

/// The inbox's retry schedule under its old name, which the client's `RetryPolicy` shares.
#[deprecated(note = "renamed `RetrySchedule`: `client::RetryPolicy` is the HTTP client's")]
pub type RetryPolicy = RetrySchedule;
pub use sql::SqlInbox;
pub use worker::{stored_header_map, WorkerOptions, WorkerStats, Workers};

/// Open the store a URL names, creating its tables: `sqlite:PATH` (a file, created if
/// missing), `sqlite::memory:`, `postgres://...` / `postgresql://...` (feature `postgres`), or
/// `memory` (tests only: a crash loses everything).
pub async fn open(url: &str) -> Result<Arc<dyn Inbox>, InboxError> {
    if url == "memory" {
        return Ok(Arc::new(MemoryInbox::new()));
    }
    Ok(Arc::new(SqlInbox::open(url).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_waits_are_capped_not_an_overflow() {
        let now = std::time::SystemTime::now();
        assert_eq!(
            super::later(now, std::time::Duration::MAX),
            now + super::LONGEST_WAIT
        );
        let second = std::time::Duration::from_secs(1);
        assert_eq!(super::later(now, second), now + second);
    }

    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_round_trip_through_millis() {
        for t in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            UNIX_EPOCH - Duration::from_millis(5),
        ] {
            assert_eq!(from_millis(to_millis(t)), t);
        }
    }

    #[test]
    fn states_round_trip_through_names() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("gone"), None);
    }
}
