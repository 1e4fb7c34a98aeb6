use std::collections::BTreeMap;

use domain::{
    error::Validator,
    id::MessageId,
    json_object::Metadata,
    message::{
        Blocks, Message, MessageChanges, MessageContent, MessageDraft, MessageFilter, MessageRole,
        MessageStatus, Revision, SortOrder,
    },
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{changed, file::FileSummaryResponse, rfc3339, CheckOptional};

mirrored_enum! {
    #[serde(rename_all = "lowercase")]
    #[schema(as = MessageRole)]
    pub enum MessageRoleDto mirrors MessageRole { User, Assistant, System, Tool }
}

mirrored_enum! {
    #[serde(rename_all = "lowercase")]
    #[schema(as = MessageStatus)]
    pub enum MessageStatusDto mirrors MessageStatus { Complete, Streaming, Failed }
}

/// A message in a thread.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageResponse {
    #[schema(example = "msg_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    pub thread_id: String,
    pub author_id: String,
    pub role: MessageRoleDto,
    /// Markdown, at most 200,000 characters.
    pub content: Option<String>,
    /// Slack Block Kit compatible blocks.
    #[schema(value_type = Vec<Object>)]
    pub blocks: serde_json::Value,
    /// The attached files, in the order given.
    pub attachments: Vec<FileSummaryResponse>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub parent_id: Option<String>,
    pub status: MessageStatusDto,
    /// How many users reacted with each emoji.
    #[schema(example = json!({"thumbsup": 2}))]
    pub reaction_counts: BTreeMap<String, u64>,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Message> for MessageResponse {
    fn from(message: Message) -> Self {
        Self {
            id: message.id.to_string(),
            thread_id: message.thread_id.to_string(),
            author_id: message.author_id.to_string(),
            role: message.role.into(),
            content: message.content.map(|c| c.as_str().to_owned()),
            blocks: message.blocks.into_value(),
            attachments: message.attachments.into_iter().map(Into::into).collect(),
            metadata: message.metadata.into_value(),
            parent_id: message.parent_id.map(|p| p.to_string()),
            status: message.status.into(),
            reaction_counts: message.reaction_counts,
            edited_at: message.edited_at.map(rfc3339),
            created_at: rfc3339(message.created_at),
            updated_at: rfc3339(message.updated_at),
        }
    }
}

/// A new message: at least one of `content`, `blocks`, `attachments`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMessageRequest {
    /// `user` when absent; `assistant`, `system` and `tool` need the ADMIN role.
    pub role: Option<MessageRoleDto>,
    #[schema(example = "Can you summarise the plan?")]
    pub content: Option<String>,
    /// At most 50 Block Kit blocks: section, header, divider, context, image, actions,
    /// input, rich_text, table, chart, key_value.
    #[schema(value_type = Option<Vec<Object>>)]
    pub blocks: Option<serde_json::Value>,
    /// Up to 10 distinct file ids the caller can read; thread members can then read
    /// them too.
    pub attachments: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// The message this one replies to, in the same thread.
    pub parent_id: Option<String>,
    /// `complete` when absent.
    pub status: Option<MessageStatusDto>,
}

impl TryFrom<CreateMessageRequest> for domain::message::CreateMessage {
    type Error = DomainError;

    fn try_from(body: CreateMessageRequest) -> Result<Self, DomainError> {
        Self::parse(MessageDraft {
            role: body.role.map(Into::into),
            content: body.content,
            blocks: body.blocks,
            attachments: body.attachments.unwrap_or_default(),
            metadata: body.metadata,
            parent_id: body.parent_id,
            status: body.status.map(Into::into),
        })
    }
}

change_request! {
    /// The fields to change; absent fields stay as they are. `content: null` removes the
    /// text (the message must keep blocks).
    pub struct UpdateMessageRequest {
        #[schema(value_type = Option<String>, nullable)]
        pub content: Option<Option<String>>,
        #[schema(value_type = Vec<Object>, required = false)]
        pub blocks: Option<Option<serde_json::Value>>,
        #[schema(value_type = Object, required = false)]
        pub metadata: Option<Option<serde_json::Value>>,
        #[schema(value_type = MessageStatusDto, required = false)]
        pub status: Option<Option<MessageStatusDto>>,
    }
}

impl TryFrom<UpdateMessageRequest> for MessageChanges {
    type Error = DomainError;

    fn try_from(body: UpdateMessageRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let changes = Self {
            content: v.optional(
                "content",
                body.content
                    .map(|c| {
                        c.filter(|c| !c.is_empty())
                            .as_deref()
                            .map(MessageContent::parse)
                            .transpose()
                    })
                    .transpose(),
            ),
            blocks: v.optional("blocks", changed(body.blocks, Blocks::parse)),
            metadata: v.optional("metadata", changed(body.metadata, Metadata::parse)),
            status: v
                .optional("status", changed(body.status, Ok))
                .map(Into::into),
        };
        v.finish()?;
        Ok(changes)
    }
}

/// `desc` (newest first) or `asc`.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = SortOrder)]
pub enum SortOrderDto {
    Asc,
    Desc,
}

list_query! {
    /// Filters and paging of a thread's messages.
    pub struct ListMessagesQuery {
        /// `desc` (newest first, the default) or `asc`.
        #[garde(skip)]
        #[param(value_type = Option<SortOrderDto>)]
        pub order: Option<String>,
        #[garde(skip)]
        #[param(value_type = Option<MessageRoleDto>)]
        pub role: Option<String>,
        /// Only replies to this message.
        #[garde(length(max = 64))]
        pub parent_id: Option<String>,
    }
}

impl ListMessagesQuery {
    pub fn filter(&self) -> Result<MessageFilter, DomainError> {
        let mut v = Validator::new();
        let filter = MessageFilter {
            order: v
                .parsed("order", self.order.as_deref(), SortOrder::parse)
                .unwrap_or_default(),
            role: v.parsed("role", self.role.as_deref(), MessageRole::parse),
            parent_id: v.parsed("parent_id", self.parent_id.as_deref(), MessageId::parse),
        };
        v.finish()?;
        Ok(filter)
    }
}

/// An earlier version of a message.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MessageRevision)]
pub struct RevisionResponse {
    /// 1 for the original, counting up.
    pub revision: u32,
    pub content: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub blocks: serde_json::Value,
    /// When this version was written.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Who replaced it.
    pub replaced_by: String,
    #[schema(format = DateTime)]
    pub replaced_at: String,
}

impl From<Revision> for RevisionResponse {
    fn from(revision: Revision) -> Self {
        Self {
            revision: revision.number,
            content: revision.content.map(|c| c.as_str().to_owned()),
            blocks: revision.blocks.into_value(),
            created_at: rfc3339(revision.created_at),
            replaced_by: revision.replaced_by.to_string(),
            replaced_at: rfc3339(revision.replaced_at),
        }
    }
}
