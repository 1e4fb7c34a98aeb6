//! Reactions change the counts on cached message pages: their writes move the thread's
//! epoch (`thread_epochs.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use domain::{
    event::NewEvent,
    id::{MessageId, UserId},
    reaction::{Emoji, NewReaction, ReactionGroup, ReactionRepository, Toggled},
    DomainResult,
};

use super::ThreadEpochs;

pub struct CachedReactionRepository {
    inner: Arc<dyn ReactionRepository>,
    epochs: Arc<ThreadEpochs>,
}

impl CachedReactionRepository {
    pub fn new(inner: Arc<dyn ReactionRepository>, epochs: Arc<ThreadEpochs>) -> Self {
        Self { inner, epochs }
    }
}

#[async_trait]
impl ReactionRepository for CachedReactionRepository {
    async fn toggle(
        &self,
        reaction: &NewReaction,
        max_distinct: usize,
        added: &NewEvent,
        removed: &NewEvent,
    ) -> DomainResult<Toggled> {
        let result = self
            .inner
            .toggle(reaction, max_distinct, added, removed)
            .await;
        self.epochs.moved(&added.thread_id, result)
    }

    async fn remove(
        &self,
        message: &MessageId,
        user: &UserId,
        emoji: &Emoji,
        event: &NewEvent,
    ) -> DomainResult<bool> {
        let result = self.inner.remove(message, user, emoji, event).await;
        self.epochs.moved(&event.thread_id, result)
    }

    async fn list(&self, message: &MessageId, viewer: &UserId) -> DomainResult<Vec<ReactionGroup>> {
        self.inner.list(message, viewer).await
    }
}
