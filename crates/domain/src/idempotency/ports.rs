use async_trait::async_trait;

use super::{IdempotencyKey, IdempotencyScope, StoredResponse};
use crate::{time::Timestamp, DomainResult};

/// A stored idempotency record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub created_at: Timestamp,
    /// `None` while the first request is still being handled.
    pub response: Option<StoredResponse>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Stores a pending record; `Ok(false)` when the (scope, key) exists already.
    async fn insert_pending(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        now: Timestamp,
    ) -> DomainResult<bool>;

    async fn find(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> DomainResult<Option<IdempotencyRecord>>;

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> DomainResult<()>;

    /// Takes over a record created before `cutoff` for a new request (a fresh pending
    /// claim); `Ok(false)` when the record is not that old (someone else renewed it).
    async fn renew_expired(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> DomainResult<bool>;

    /// Forgets the key (its request failed), so it can be used again.
    async fn remove(&self, scope: &IdempotencyScope, key: &IdempotencyKey) -> DomainResult<()>;

    /// Forgets every record created before `cutoff`; returns how many.
    async fn remove_created_before(&self, cutoff: Timestamp) -> DomainResult<u64>;
}
