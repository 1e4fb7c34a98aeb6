//! What the thread services need from storage. Every write takes the event that records it
//! and appends it in the same transaction; deletions and member changes take their audit
//! entry too.

use async_trait::async_trait;

use super::{Member, MemberRole, NewThread, Thread, ThreadChanges, ThreadFilter, ThreadView};
use crate::{
    audit::NewAuditEntry,
    event::NewEvent,
    id::{ThreadId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ThreadRepository: Send + Sync {
    /// Stores the thread and its creator as `owner`.
    async fn insert(&self, thread: &NewThread, event: &NewEvent) -> DomainResult<Thread>;

    /// The thread and `user`'s role in it (`None` when not a member).
    async fn find_with_role(
        &self,
        id: &ThreadId,
        user: &UserId,
    ) -> DomainResult<Option<(Thread, Option<MemberRole>)>>;

    /// Threads `user` is a member of, latest activity (`updated_at`) first.
    async fn list_for_member(
        &self,
        user: &UserId,
        filter: &ThreadFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<ThreadView>>;

    /// Applies `changes` and sets `updated_at` to `now`; with `expected_updated_at`, only if
    /// the row still has it (`PreconditionFailed` otherwise). `NotFound` when gone.
    async fn update(
        &self,
        id: &ThreadId,
        changes: &ThreadChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Thread>;

    /// Removes the thread with its members, messages, revisions, reactions and share
    /// links, in one transaction. `PreconditionFailed` / `NotFound` as for `update`.
    async fn delete(
        &self,
        id: &ThreadId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<()>;

    /// Members by user id.
    async fn members(&self, id: &ThreadId, page: &PageRequest) -> DomainResult<Page<Member>>;

    async fn member(&self, id: &ThreadId, user: &UserId) -> DomainResult<Option<Member>>;

    /// `Conflict` when the user is already a member.
    async fn add_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        now: Timestamp,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<Member>;

    /// `NotFound("member")` when the user is not a member; `Conflict(LAST_OWNER)`, with
    /// nothing changed, when it would leave the thread without an owner (checked in the
    /// same transaction, so racing changes cannot get past it together).
    async fn change_role(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<Member>;

    /// `NotFound("member")` when the user is not a member; `Conflict(LAST_OWNER)` as for
    /// `change_role`.
    async fn remove_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<()>;

    async fn count_owners(&self, id: &ThreadId) -> DomainResult<u64>;
}
