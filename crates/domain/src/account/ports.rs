//! What account export and erasure need from storage.

use async_trait::async_trait;

use super::{Erased, Erasure, ExportedFile, ExportedMessage, ExportedReaction, ExportedThread};
use crate::{
    api_key::ApiKey,
    audit::AuditEntry,
    auth::Session,
    id::{ThreadId, UserId},
    time::Timestamp,
    DomainResult,
};

/// Reads for an export, each a keyset page in id order starting after `after` (an id
/// from the previous page), at most `limit` rows; and the erasure transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// Every session of the user, ended ones included (never a token or its hash).
    async fn sessions(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<Session>>;

    /// The user's API keys (metadata: never a secret or its hash).
    async fn api_keys(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ApiKey>>;

    /// Threads the user is a member of (an owner is a member), with their role.
    async fn threads(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedThread>>;

    /// Messages the user wrote in `thread`, with their revisions.
    async fn messages(
        &self,
        user: &UserId,
        thread: &ThreadId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedMessage>>;

    async fn reactions(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedReaction>>;

    /// Files the user uploaded or linked (owns).
    async fn files(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedFile>>;

    /// Audit entries about the user: those they made (`actor_id`) and those on their
    /// record (`resource_type` `user`, `resource_id` their id), in `seq` order; `after`
    /// is the previous page's last `seq`, as text.
    async fn audit_entries(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<AuditEntry>>;

    /// When `user` was erased, if it is an erased account's tombstone.
    async fn erased_at(&self, user: &UserId) -> DomainResult<Option<Timestamp>>;

    /// Erases the account in ONE transaction; a failure changes nothing:
    /// - the user's row becomes a tombstone: name `DELETED_USER_NAME`, email
    ///   `erasure.tombstone_email`, no avatar, password, external subject or preferences,
    ///   role USER, `deleted_at` set. Their messages stay, authored by the tombstone;
    /// - sessions (with their refresh tokens), API keys and the share links they made are
    ///   deleted; reactions too;
    /// - the files they own are deleted (records and attachment links; bytes are the
    ///   caller's to remove after the commit, from `Erased::blobs`);
    /// - each thread where they are the only owner: if other members remain, the
    ///   longest-standing of them (earliest `added_at`, then id) becomes owner
    ///   (`member.updated`); if none remain, the thread is deleted with everything in it
    ///   (`thread.deleted`). Their membership everywhere is removed (`member.removed`).
    ///   Events are appended in the same transaction, with `erasure.actor_id` as actor.
    ///
    /// `Conflict` when the user is the last active ADMIN; `NotFound("user")` when there
    /// is no such (live) user; `PreconditionFailed` when `expected_updated_at` is given and
    /// the row moved on.
    async fn erase(&self, erasure: &Erasure) -> DomainResult<Erased>;
}
