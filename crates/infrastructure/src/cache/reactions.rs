//! Reactions change the counts on cached message pages: their writes move the thread's
//! epoch (`thread_epochs.rs`).

use std::sync::Arc;

use domain::{
    event::NewEvent,
    id::{MessageId, UserId},
    pagination::{Page, PageRequest},
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

decorate! {
    impl ReactionRepository for CachedReactionRepository {
        fn toggle(
            &self, reaction: &NewReaction, max_distinct: usize, added: &NewEvent,
            removed: &NewEvent,
        ) -> DomainResult<Toggled> => |outcome| self.epochs.moved(&added.thread_id, outcome);
        fn remove(&self, message: &MessageId, user: &UserId, emoji: &Emoji, event: &NewEvent)
            -> DomainResult<bool> => |outcome| self.epochs.moved(&event.thread_id, outcome);
        fn list(&self, message: &MessageId, viewer: &UserId, page: &PageRequest)
            -> DomainResult<Page<ReactionGroup>>;
    }
}
