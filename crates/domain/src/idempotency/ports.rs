use async_trait::async_trait;

use super::{HeldClaim, IdempotencyKey, IdempotencyScope, Receipt, StoredResponse};
use crate::{time::Timestamp, DomainResult};

/// A stored idempotency record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub created_at: Timestamp,
    /// The token of the claim that holds the key now.
    pub token: String,
    /// Until when the holder may still commit; `None` (a claim from before leases) has
    /// run out.
    pub lease_until: Option<Timestamp>,
    /// Set in the transaction of the holder's write: the write committed.
    pub receipt: Option<Receipt>,
    /// `None` until the answer of the committed write is stored.
    pub response: Option<StoredResponse>,
}

/// The records behind `Idempotency-Key`. Adapters also mark a claim committed inside the
/// transaction of its write (not part of this port: it runs within a repository's
/// transaction), refusing the write with `Conflict` when the claim was taken over.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Stores a pending record held by `claim` until `lease_until`; `Ok(false)` when the
    /// (scope, key) exists already.
    async fn insert_pending(
        &self,
        claim: &HeldClaim,
        request_hash: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> DomainResult<bool>;

    async fn find(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> DomainResult<Option<IdempotencyRecord>>;

    /// Stores the answer of `claim`'s committed write, if `claim` still holds the key.
    async fn complete(&self, claim: &HeldClaim, response: &StoredResponse) -> DomainResult<()>;

    /// Takes over a record created before `cutoff` for a new request (a fresh pending
    /// claim); `Ok(false)` when the record is not that old (someone else renewed it).
    async fn renew_expired(
        &self,
        claim: &HeldClaim,
        request_hash: &str,
        cutoff: Timestamp,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> DomainResult<bool>;

    /// Hands a pending record held by `previous_token`, with no receipt and a lease run out
    /// by `now`, to `claim` until `lease_until`, in one conditional update: of two
    /// requests taking the same claim over, exactly one gets `Ok(true)`.
    async fn take_over(
        &self,
        claim: &HeldClaim,
        previous_token: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> DomainResult<bool>;

    /// Forgets the key if `claim` holds it and its write did not commit (no receipt), so
    /// that it can be used again.
    async fn release(&self, claim: &HeldClaim) -> DomainResult<()>;

    /// Forgets every record created before `cutoff`; returns how many.
    async fn remove_created_before(&self, cutoff: Timestamp) -> DomainResult<u64>;
}
