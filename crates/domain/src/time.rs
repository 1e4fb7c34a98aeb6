//! Time as the contract shows it: UTC with millisecond precision.

use chrono::{DateTime, SubsecRound, Utc};

pub type Timestamp = DateTime<Utc>;

/// Now, truncated to milliseconds so that a value survives a round trip through any
/// database and its RFC 3339 rendering unchanged (ETags are derived from it).
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(3)
}

/// Now, but strictly later than `previous`, so that every change moves a version (and its
/// `ETag`) forward even within one millisecond.
pub fn after(previous: Timestamp) -> Timestamp {
    now().max(previous + chrono::Duration::milliseconds(1))
}
