use async_trait::async_trait;

use super::{Emoji, NewReaction, ReactionGroup, Toggled};
use crate::{
    event::NewEvent,
    id::{MessageId, UserId},
    pagination::{Page, PageRequest},
    DomainResult,
};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReactionRepository: Send + Sync {
    /// Removes the user's reaction with this emoji if it exists, adds it otherwise, and
    /// appends `added` or `removed` accordingly, all in one transaction. Concurrent toggles
    /// of one message are serialised, so the result is always exact: one reaction or none,
    /// and never more than `max_distinct` distinct emoji. `NotFound("message")` when the
    /// message is gone.
    async fn toggle(
        &self,
        reaction: &NewReaction,
        max_distinct: usize,
        added: &NewEvent,
        removed: &NewEvent,
    ) -> DomainResult<Toggled>;

    /// Removes the user's reaction; `false` when there was none.
    async fn remove(
        &self,
        message: &MessageId,
        user: &UserId,
        emoji: &Emoji,
        event: &NewEvent,
    ) -> DomainResult<bool>;

    /// A page of the message's reactions grouped by emoji, in the order each emoji was
    /// first used; `me` is set for `viewer`.
    async fn list(
        &self,
        message: &MessageId,
        viewer: &UserId,
        page: &PageRequest,
    ) -> DomainResult<Page<ReactionGroup>>;
}
