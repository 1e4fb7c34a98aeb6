//! The rules about messages: who posts which role, who edits and deletes.

use std::sync::Arc;

use serde_json::json;

use super::{
    CreateMessage, Message, MessageChanges, MessageFilter, MessageRepository, MessageRole,
    NewMessage, Revision,
};
use crate::api_key::Scope;
use crate::{
    access::{AccessControl, FileAction, ThreadAction},
    auth::Principal,
    event::{EventKind, NewEvent},
    id::{MessageId, ThreadId},
    pagination::{Page, PageRequest},
    precondition::Precondition,
    thread::ThreadStatus,
    time, DomainError, DomainResult,
};

pub struct MessageService {
    messages: Arc<dyn MessageRepository>,
    access: Arc<AccessControl>,
}

impl MessageService {
    pub fn new(messages: Arc<dyn MessageRepository>, access: Arc<AccessControl>) -> Self {
        Self { messages, access }
    }

    /// Owners and editors post `user` messages; ADMINs (agent services) post `assistant`,
    /// `system` and `tool` messages in any thread. Archived threads take no new messages.
    #[tracing::instrument(skip(self, caller, input), fields(caller = %caller.user.id))]
    pub async fn create(
        &self,
        caller: &Principal,
        thread_id: &ThreadId,
        input: CreateMessage,
    ) -> DomainResult<Message> {
        caller.require_scope(Scope::MessagesWrite)?;
        if input.role != MessageRole::User {
            caller.require_scope(Scope::MessagesAssistant)?;
        }
        let action = match input.role {
            MessageRole::User => ThreadAction::Write,
            _ => ThreadAction::PostAsAgent,
        };
        let access = self.access.thread(caller, thread_id, action).await?;
        if access.thread.status == ThreadStatus::Archived {
            return Err(DomainError::Conflict(
                "the thread is archived; unarchive it to post",
            ));
        }
        if let Some(parent) = &input.parent_id {
            let in_thread = self
                .messages
                .find(parent)
                .await?
                .is_some_and(|p| &p.thread_id == thread_id);
            if !in_thread {
                return Err(DomainError::invalid(
                    "parent_id",
                    "is not a message of this thread",
                ));
            }
        }
        let mut attachments = Vec::with_capacity(input.attachments.len());
        for (i, id) in input.attachments.iter().enumerate() {
            let file = self
                .access
                .file(caller, id, FileAction::Read)
                .await
                .map_err(|e| match e {
                    DomainError::NotFound(_) => DomainError::invalid(
                        format!("attachments[{i}]"),
                        "is not a file you can read",
                    ),
                    other => other,
                })?;
            attachments.push(file.summary());
        }
        let message = NewMessage {
            id: MessageId::generate(),
            thread_id: thread_id.clone(),
            author_id: caller.user.id.clone(),
            fields: input,
            attachments,
            created_at: time::now(),
        };
        let event = NewEvent::new(
            EventKind::MessageCreated,
            thread_id,
            &caller.user.id,
            json!({ "message_id": message.id, "role": message.fields.role.as_str() }),
            message.created_at,
        );
        self.messages.insert(&message, &event).await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        thread_id: &ThreadId,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Message>> {
        caller.require_scope(Scope::MessagesRead)?;
        self.access
            .thread(caller, thread_id, ThreadAction::Read)
            .await?;
        // Messages are paged by id: a cursor holding anything else was not issued by us.
        if let Some(after) = &page.after {
            MessageId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        self.messages.list(thread_id, filter, page).await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn get(&self, caller: &Principal, id: &MessageId) -> DomainResult<Message> {
        caller.require_scope(Scope::MessagesRead)?;
        let (message, _) = self.access.message(caller, id, ThreadAction::Read).await?;
        Ok(message)
    }

    /// The author or an ADMIN edits; the replaced text is kept as a revision.
    #[tracing::instrument(skip(self, caller, changes), fields(caller = %caller.user.id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: &MessageId,
        changes: MessageChanges,
        precondition: &Precondition,
    ) -> DomainResult<Message> {
        caller.require_scope(Scope::MessagesWrite)?;
        let (message, _) = self.access.message(caller, id, ThreadAction::Read).await?;
        if !caller.is_self(&message.author_id) && !caller.is_admin() {
            return Err(DomainError::Forbidden(
                "only the author or an ADMIN edits a message",
            ));
        }
        precondition.check(&message.etag())?;
        let content = match &changes.content {
            Some(content) => content.as_ref(),
            None => message.content.as_ref(),
        }
        .filter(|c| !c.as_str().is_empty());
        let blocks = changes.blocks.as_ref().unwrap_or(&message.blocks);
        if content.is_none() && blocks.is_empty() && message.attachments.is_empty() {
            return Err(DomainError::invalid(
                "content",
                "a message needs content, blocks or attachments",
            ));
        }
        if changes == MessageChanges::default() {
            return Ok(message);
        }
        let now = time::after(message.updated_at);
        let event = NewEvent::new(
            EventKind::MessageUpdated,
            &message.thread_id,
            &caller.user.id,
            json!({ "message_id": id, "fields": changes.field_names() }),
            now,
        );
        let expected = precondition.write_condition(message.updated_at);
        self.messages
            .update(id, &changes, &caller.user.id, expected, now, &event)
            .await
    }

    /// The author, an owner of the thread, or an ADMIN deletes.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn delete(
        &self,
        caller: &Principal,
        id: &MessageId,
        precondition: &Precondition,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::MessagesWrite)?;
        let (message, access) = self.access.message(caller, id, ThreadAction::Read).await?;
        if !caller.is_self(&message.author_id) && !access.allows(ThreadAction::Moderate) {
            return Err(DomainError::Forbidden(
                "only the author, a thread owner or an ADMIN deletes a message",
            ));
        }
        precondition.check(&message.etag())?;
        let event = NewEvent::new(
            EventKind::MessageDeleted,
            &message.thread_id,
            &caller.user.id,
            json!({ "message_id": id }),
            time::now(),
        );
        let expected = precondition.write_condition(message.updated_at);
        self.messages.delete(id, expected, &event).await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn revisions(
        &self,
        caller: &Principal,
        id: &MessageId,
        page: &PageRequest,
    ) -> DomainResult<Page<Revision>> {
        caller.require_scope(Scope::MessagesRead)?;
        self.access.message(caller, id, ThreadAction::Read).await?;
        if let Some(after) = &page.after {
            after
                .key()
                .parse::<u32>()
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        self.messages.revisions(id, page).await
    }
}
