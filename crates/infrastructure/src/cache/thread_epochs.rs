//! Read caches for what every read inside a thread costs: the caller's access to the thread
//! (one query, `threads.rs`) and a page of its messages (one row per message, which is
//! where SQLite's driver spends its time, `messages.rs`). Chat clients read the newest page
//! of a thread far more often than anyone writes to it.
//!
//! Exact for one instance, like the auth cache (`read_cache.rs`): every write to a thread
//! goes through these wrappers, which move the thread's epoch once the write has committed;
//! cache keys include the epoch, so a read after a write never sees an older entry, and an
//! entry filled by a read that raced the write is simply never asked for again. Several
//! instances cannot see each other's writes, so the composition root enables the caches
//! only where one instance owns the database (SQLite) unless configured otherwise.
//! Deleting a user changes threads by cascade without passing here; entries then live out
//! their time to live (30 s by default). File changes show in message pages (attachment
//! summaries) of threads the file does not name, so `CachedFileRepository` moves every
//! thread's epoch when a file is renamed, deleted or loses its preview: rare writes, and
//! the caches refill on the next read.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use domain::id::ThreadId;
use moka::sync::Cache;

/// Epochs are a thread id and a number each: about 100 bytes, so 10 MB at most.
const MAX_EPOCH_ENTRIES: u64 = 100_000;

/// Each thread's current epoch. Values come from one counter and are never reused, so a
/// thread whose epoch was evicted gets a fresh one that no old key can match.
pub struct ThreadEpochs {
    epochs: Cache<ThreadId, u64>,
    next: AtomicU64,
    /// How long the caches keyed by these epochs keep an entry.
    pub(super) ttl: Duration,
}

impl ThreadEpochs {
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            epochs: Cache::builder().max_capacity(MAX_EPOCH_ENTRIES).build(),
            next: AtomicU64::new(1),
            ttl,
        })
    }

    pub(super) fn current(&self, thread: &ThreadId) -> u64 {
        self.epochs
            .get_with_by_ref(thread, || self.next.fetch_add(1, Ordering::AcqRel))
    }

    /// Called with the outcome of a write to the thread, once it committed (or failed: a
    /// spare move is harmless); hands the outcome back.
    pub(super) fn moved<T>(&self, thread: &ThreadId, outcome: T) -> T {
        self.epochs
            .insert(thread.clone(), self.next.fetch_add(1, Ordering::AcqRel));
        outcome
    }

    /// Every thread's next epoch is fresh: after a write that may show in any thread.
    pub(super) fn all_moved<T>(&self, outcome: T) -> T {
        self.epochs.invalidate_all();
        outcome
    }
}
