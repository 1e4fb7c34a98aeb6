//! The rules about reactions: members react, one per emoji, 50 emoji per message.

use std::sync::Arc;

use serde_json::json;

use super::{Emoji, NewReaction, ReactionGroup, ReactionRepository, Toggled};
use crate::api_key::Scope;
use crate::{
    access::{AccessControl, ThreadAction},
    auth::Principal,
    event::{EventKind, NewEvent},
    id::{MessageId, ReactionId},
    pagination::{Page, PageRequest},
    time, DomainError, DomainResult,
};

/// Distinct emoji a message can carry; the next new one is refused.
pub const MAX_DISTINCT_EMOJI: usize = 50;

pub struct ReactionService {
    reactions: Arc<dyn ReactionRepository>,
    access: Arc<AccessControl>,
}

impl ReactionService {
    pub fn new(reactions: Arc<dyn ReactionRepository>, access: Arc<AccessControl>) -> Self {
        Self { reactions, access }
    }

    /// Adds the caller's reaction, or removes it when it is there: `true` when added.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn toggle(
        &self,
        caller: &Principal,
        message_id: &MessageId,
        emoji: Emoji,
    ) -> DomainResult<bool> {
        caller.require_scope(Scope::MessagesWrite)?;
        let (message, _) = self
            .access
            .message(caller, message_id, ThreadAction::React)
            .await?;
        let now = time::now();
        let event = |kind| {
            NewEvent::new(
                kind,
                &message.thread_id,
                &caller.user.id,
                json!({ "message_id": message_id, "user_id": caller.user.id, "emoji": emoji.as_str() }),
                now,
            )
        };
        let (added, removed) = (
            event(EventKind::ReactionAdded),
            event(EventKind::ReactionRemoved),
        );
        let reaction = NewReaction {
            id: ReactionId::generate(),
            message_id: message_id.clone(),
            user_id: caller.user.id.clone(),
            emoji,
            created_at: now,
        };
        match self
            .reactions
            .toggle(&reaction, MAX_DISTINCT_EMOJI, &added, &removed)
            .await?
        {
            Toggled::Added => Ok(true),
            Toggled::Removed => Ok(false),
            Toggled::TooManyEmoji => Err(DomainError::invalid(
                "emoji",
                format!("a message has at most {MAX_DISTINCT_EMOJI} distinct reactions"),
            )),
        }
    }

    /// Removes the caller's reaction; `NotFound` when they had none with this emoji.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn remove(
        &self,
        caller: &Principal,
        message_id: &MessageId,
        emoji: &Emoji,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::MessagesWrite)?;
        let (message, _) = self
            .access
            .message(caller, message_id, ThreadAction::React)
            .await?;
        let event = NewEvent::new(
            EventKind::ReactionRemoved,
            &message.thread_id,
            &caller.user.id,
            json!({ "message_id": message_id, "user_id": caller.user.id, "emoji": emoji.as_str() }),
            time::now(),
        );
        if self
            .reactions
            .remove(message_id, &caller.user.id, emoji, &event)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound("reaction"))
        }
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        message_id: &MessageId,
        page: &PageRequest,
    ) -> DomainResult<Page<ReactionGroup>> {
        caller.require_scope(Scope::MessagesRead)?;
        self.access
            .message(caller, message_id, ThreadAction::Read)
            .await?;
        self.reactions.list(message_id, &caller.user.id, page).await
    }
}
