//! How long this instance may answer reads from memory.

use std::time::Duration;

use infrastructure::database::Backend;

use super::reader::Reader;

/// Each lifetime zero turns that cache off.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// User and session lookups of every authenticated request.
    pub auth_ttl: Duration,
    /// Threads, members, messages, reactions and files.
    pub thread_ttl: Duration,
}

pub(super) fn read(r: &mut Reader<'_>, backend: Option<Backend>) -> CacheSettings {
    // One SQLite file has one server, which sees every write and keeps the cache exact;
    // PostgreSQL may have several, whose writes a local cache would not see.
    let default = if backend == Some(Backend::Sqlite) {
        30
    } else {
        0
    };
    CacheSettings {
        auth_ttl: Duration::from_secs(r.parse("AUTH_CACHE_TTL_SECONDS", default)),
        thread_ttl: Duration::from_secs(r.parse("THREAD_CACHE_TTL_SECONDS", default)),
    }
}
