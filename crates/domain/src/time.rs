//! Time as the contract shows it: UTC with millisecond precision.

use chrono::{DateTime, SubsecRound, Utc};

pub type Timestamp = DateTime<Utc>;

/// Now, truncated to milliseconds so that a value survives a round trip through any
/// database and its RFC 3339 rendering unchanged (ETags are derived from it).
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(3)
}
