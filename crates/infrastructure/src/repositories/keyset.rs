//! Sort keys of lists ordered by a time, then by id: `"<unix ms>:<id>"` in the cursor.

use chrono::{DateTime, Utc};
use domain::{time::Timestamp, DomainError, DomainResult};

/// 9999-12-31T23:59:59.999Z.
const MAX_MILLIS: i64 = 253_402_300_799_999;

pub struct TimeKey {
    pub at: Timestamp,
    pub id: String,
}

impl TimeKey {
    pub fn encode(at: Timestamp, id: &str) -> String {
        format!("{}:{id}", at.timestamp_millis())
    }

    /// Refuses keys this API did not issue.
    pub fn decode(key: &str) -> DomainResult<Self> {
        key.split_once(':')
            .and_then(|(ms, id)| {
                let ms: i64 = ms.parse().ok()?;
                // Times both databases store: years 1970 to 9999.
                if !(0..=MAX_MILLIS).contains(&ms) {
                    return None;
                }
                let at = DateTime::<Utc>::from_timestamp_millis(ms)?;
                Some(Self {
                    at,
                    id: id.to_owned(),
                })
            })
            .ok_or_else(|| DomainError::invalid("cursor", "is not a cursor this API returned"))
    }
}
