//! What the message services need from storage. Every write takes the event that records
//! it and appends it in the same transaction.

use async_trait::async_trait;

use super::{Message, MessageChanges, MessageFilter, NewMessage, Revision};
use crate::{
    event::NewEvent,
    id::{MessageId, ThreadId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Stores the message and, in the same transaction, moves the thread's
    /// `message_count`, `last_message_at` and `updated_at`. `NotFound("thread")` when the
    /// thread is gone.
    async fn insert(&self, message: &NewMessage, event: &NewEvent) -> DomainResult<Message>;

    /// With its reaction counts.
    async fn find(&self, id: &MessageId) -> DomainResult<Option<Message>>;

    /// A thread's messages by id (creation order), with their reaction counts.
    async fn list(
        &self,
        thread: &ThreadId,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Message>>;

    /// Applies `changes` and sets `updated_at` to `now`. When the text or blocks change,
    /// keeps the version being replaced as a revision and sets `edited_at`. With
    /// `expected_updated_at`, only if the row still has it (`PreconditionFailed`
    /// otherwise). `NotFound("message")` when gone.
    async fn update(
        &self,
        id: &MessageId,
        changes: &MessageChanges,
        editor: &UserId,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Message>;

    /// Earlier versions, oldest first, keyset-paginated by revision number.
    async fn revisions(&self, id: &MessageId, page: &PageRequest) -> DomainResult<Page<Revision>>;

    /// Removes the message with its reactions and revisions and decrements the thread's
    /// `message_count`, in one transaction. Replies keep existing without a parent.
    async fn delete(
        &self,
        id: &MessageId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
    ) -> DomainResult<()>;
}
