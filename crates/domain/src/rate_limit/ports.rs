//! What rate limiting needs from the outside world: a place that counts.

use async_trait::async_trait;

use super::{Quota, Verdict};

/// Counts requests per key against a quota, with GCRA semantics (see [`Quota`]).
///
/// The contract:
/// - `acquire` counts one request of `key` when it fits `quota` (`Allowed`), and counts
///   nothing when it does not (`Limited`, with when to retry).
/// - Counts of different quotas are kept apart, so one key may be held to several quotas.
/// - It is atomic: of concurrent requests, no more are allowed than the quota holds, also
///   across the instances that share the adapter's store.
/// - It never fails: an adapter whose store cannot be reached decides by itself (and says
///   so in its documentation and its logs) rather than failing the request.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    async fn acquire(&self, key: &str, quota: Quota) -> Verdict;
}
