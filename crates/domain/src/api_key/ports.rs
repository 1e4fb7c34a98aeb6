//! What API keys need from storage.

use async_trait::async_trait;

use super::{ApiKey, ApiKeyChanges, NewApiKey};
use crate::{
    audit::NewAuditEntry,
    id::{ApiKeyId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

/// Storage of API keys. A key's secret is never given to it, only the secret's hash. Every
/// write but `touch` appends its audit entry in its transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Stores a new key. `Conflict` if its id or secret hash exists already.
    async fn insert(&self, key: &NewApiKey, audit: &NewAuditEntry) -> DomainResult<ApiKey>;

    /// The key with this id, whoever owns it.
    async fn find(&self, id: &ApiKeyId) -> DomainResult<Option<ApiKey>>;

    /// The key whose secret hashes to `secret_hash`, expired or not.
    async fn find_by_secret_hash(&self, secret_hash: &str) -> DomainResult<Option<ApiKey>>;

    /// A page of the user's keys, newest first (by id).
    async fn list(&self, user_id: &UserId, page: &PageRequest) -> DomainResult<Page<ApiKey>>;

    /// Applies `changes` and sets `updated_at` to `now`, if the key still exists and, when
    /// `expected` is given, is still at that `updated_at`. `NotFound("api key")` when it
    /// is gone, `PreconditionFailed` when it changed.
    async fn update(
        &self,
        id: &ApiKeyId,
        changes: &ApiKeyChanges,
        expected: Option<Timestamp>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<ApiKey>;

    /// Replaces the secret (by its hash and shown prefix) in one conditional write: the
    /// old secret stops working when this returns. Errors as for [`Self::update`].
    async fn rotate(
        &self,
        id: &ApiKeyId,
        secret_hash: &str,
        prefix: &str,
        expected: Option<Timestamp>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<ApiKey>;

    /// Deletes the key. Errors as for [`Self::update`].
    async fn delete(
        &self,
        id: &ApiKeyId,
        expected: Option<Timestamp>,
        audit: &NewAuditEntry,
    ) -> DomainResult<()>;

    /// Records a use at `now` unless one at or after `since` is recorded already, so that
    /// concurrent requests write at most once per interval. Does not move `updated_at`.
    async fn touch(&self, id: &ApiKeyId, now: Timestamp, since: Timestamp) -> DomainResult<()>;
}
