use std::collections::BTreeMap;

use super::Blocks;
use crate::{
    error::Validator,
    file::FileSummary,
    id::{FileId, MessageId, ThreadId, UserId},
    json_object::Metadata,
    precondition::EntityTag,
    text::{self, Lines},
    time::Timestamp,
    DomainError,
};

/// Who speaks: the person, or the assistant and its system and tool turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageRole {
    User,
    Assistant,
    System,
    Tool,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::System => "system",
            Self::Tool => "tool",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            "system" => Ok(Self::System),
            "tool" => Ok(Self::Tool),
            _ => Err(DomainError::invalid(
                "",
                "must be user, assistant, system or tool",
            )),
        }
    }
}

/// `streaming` while an assistant reply is still being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageStatus {
    Complete,
    Streaming,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Streaming => "streaming",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "complete" => Ok(Self::Complete),
            "streaming" => Ok(Self::Streaming),
            "failed" => Ok(Self::Failed),
            _ => Err(DomainError::invalid(
                "",
                "must be complete, streaming or failed",
            )),
        }
    }
}

/// Markdown text of at most 200,000 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub const MAX_CHARS: usize = 200_000;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        text::bounded(raw, Self::MAX_CHARS, Lines::Multi).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub author_id: UserId,
    pub role: MessageRole,
    pub content: Option<MessageContent>,
    pub blocks: Blocks,
    pub metadata: Metadata,
    pub parent_id: Option<MessageId>,
    pub status: MessageStatus,
    /// In the order they were attached.
    pub attachments: Vec<FileSummary>,
    /// How many users reacted with each emoji.
    pub reaction_counts: BTreeMap<String, u64>,
    pub edited_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Message {
    /// Moves with every edit, with the reaction counts (reactions are not edits), with
    /// `parent_id` (deleting the parent clears it without an edit) and with the
    /// attachments (deleting or renaming a file changes them).
    pub fn etag(&self) -> EntityTag {
        let mut state = Vec::new();
        for file in &self.attachments {
            state.extend_from_slice(file.id.as_str().as_bytes());
            state.extend_from_slice(file.filename.as_str().as_bytes());
            state.push(u8::from(file.has_preview));
        }
        state.push(0);
        state.extend_from_slice(
            self.parent_id
                .as_ref()
                .map_or("", |p| p.as_str())
                .as_bytes(),
        );
        state.push(0);
        for (emoji, count) in &self.reaction_counts {
            state.extend_from_slice(emoji.as_bytes());
            state.push(0);
            state.extend_from_slice(&count.to_be_bytes());
        }
        EntityTag::with_state(self.updated_at, &state)
    }
}

/// What a caller asks to post. Built only through `parse`, which holds the rule that a
/// message says something.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateMessage {
    pub role: MessageRole,
    pub content: Option<MessageContent>,
    pub blocks: Blocks,
    pub metadata: Metadata,
    pub parent_id: Option<MessageId>,
    pub status: MessageStatus,
    /// Distinct, in the order given; the service checks the caller can read each.
    pub attachments: Vec<FileId>,
}

/// The fields of a new message as a request carries them: enums already typed, the rest
/// raw.
#[derive(Clone, Debug, Default)]
pub struct MessageDraft {
    pub role: Option<MessageRole>,
    pub content: Option<String>,
    pub blocks: Option<serde_json::Value>,
    pub attachments: Vec<String>,
    pub metadata: Option<serde_json::Value>,
    pub parent_id: Option<String>,
    pub status: Option<MessageStatus>,
}

impl CreateMessage {
    /// Every bad field is reported at once, by its path.
    pub fn parse(draft: MessageDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let content = v.check(
            "content",
            draft
                .content
                .as_deref()
                .map(MessageContent::parse)
                .transpose(),
        );
        let blocks = v.check("blocks", draft.blocks.map(Blocks::parse).transpose());
        let metadata = v.check("metadata", draft.metadata.map(Metadata::parse).transpose());
        let parent_id = v.check(
            "parent_id",
            draft.parent_id.as_deref().map(MessageId::parse).transpose(),
        );
        let attachments = v.check("attachments", parse_attachments(&draft.attachments));
        v.finish()?;
        let message = Self {
            role: draft.role.unwrap_or(MessageRole::User),
            content: content.flatten().filter(|c| !c.as_str().is_empty()),
            blocks: blocks.flatten().unwrap_or_default(),
            metadata: metadata.flatten().unwrap_or_default(),
            parent_id: parent_id.flatten(),
            status: draft.status.unwrap_or(MessageStatus::Complete),
            attachments: attachments.unwrap_or_default(),
        };
        if message.content.is_none() && message.blocks.is_empty() && message.attachments.is_empty()
        {
            return Err(DomainError::invalid(
                "content",
                "a message needs content, blocks or attachments",
            ));
        }
        Ok(message)
    }
}

/// At most this many files per message, as in Slack.
pub const MAX_ATTACHMENTS: usize = 10;

fn parse_attachments(raw: &[String]) -> Result<Vec<FileId>, DomainError> {
    let mut v = Validator::new();
    let mut ids: Vec<FileId> = Vec::new();
    if raw.len() > MAX_ATTACHMENTS {
        return Err(DomainError::invalid(
            "",
            format!("at most {MAX_ATTACHMENTS} files per message"),
        ));
    }
    for (i, id) in raw.iter().enumerate() {
        let field = format!("attachments[{i}]");
        if let Some(id) = v.check(&field, FileId::parse(id)) {
            if ids.contains(&id) {
                v.check::<()>(&field, Err(DomainError::invalid("", "is listed twice")));
            } else {
                ids.push(id);
            }
        }
    }
    v.finish()?;
    Ok(ids)
}

/// A message to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub author_id: UserId,
    pub fields: CreateMessage,
    /// The files of `fields.attachments`, checked readable by the author.
    pub attachments: Vec<FileSummary>,
    pub created_at: Timestamp,
}

/// An edit; `None` leaves a field as it is, `content: Some(None)` removes the text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageChanges {
    pub content: Option<Option<MessageContent>>,
    pub blocks: Option<Blocks>,
    pub metadata: Option<Metadata>,
    pub status: Option<MessageStatus>,
}

impl MessageChanges {
    /// Whether the text or blocks change: only those make a revision and set `edited_at`.
    pub fn edits_text(&self) -> bool {
        self.content.is_some() || self.blocks.is_some()
    }

    pub fn field_names(&self) -> Vec<&'static str> {
        [
            ("content", self.content.is_some()),
            ("blocks", self.blocks.is_some()),
            ("metadata", self.metadata.is_some()),
            ("status", self.status.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// Filters of a thread's message list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MessageFilter {
    pub order: SortOrder,
    pub role: Option<MessageRole>,
    pub parent_id: Option<MessageId>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

impl SortOrder {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err(DomainError::invalid("", "must be asc or desc")),
        }
    }
}

/// An earlier version of a message, kept when it was edited.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    /// 1 for the original text, counting up.
    pub number: u32,
    pub content: Option<MessageContent>,
    pub blocks: Blocks,
    /// When this version was written.
    pub created_at: Timestamp,
    /// Who replaced it, and when.
    pub replaced_by: UserId,
    pub replaced_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_message_needs_something_to_say() {
        let err = CreateMessage::parse(MessageDraft::default()).err();
        assert!(matches!(err, Some(DomainError::Validation(e)) if e.contains_key("content")));
        let empty = MessageDraft {
            content: Some(String::new()),
            blocks: Some(json!([])),
            ..MessageDraft::default()
        };
        assert!(CreateMessage::parse(empty).is_err());
    }

    #[test]
    fn defaults_are_a_complete_user_message() {
        let parsed = CreateMessage::parse(MessageDraft {
            content: Some("hi".into()),
            ..MessageDraft::default()
        });
        let Ok(message) = parsed else {
            panic!("expected a valid message");
        };
        assert_eq!(message.role, MessageRole::User);
        assert_eq!(message.status, MessageStatus::Complete);
    }

    #[test]
    fn attachments_alone_make_a_message_and_are_distinct() {
        let file = format!("fil_{}", "a".repeat(32));
        let parsed = CreateMessage::parse(MessageDraft {
            attachments: vec![file.clone()],
            ..MessageDraft::default()
        });
        assert!(matches!(parsed, Ok(m) if m.attachments.len() == 1));
        let twice = CreateMessage::parse(MessageDraft {
            attachments: vec![file.clone(), file],
            ..MessageDraft::default()
        });
        let Err(DomainError::Validation(errors)) = twice else {
            panic!("expected a validation error");
        };
        assert!(errors.contains_key("attachments[1]"));
        let many = CreateMessage::parse(MessageDraft {
            attachments: (0..=MAX_ATTACHMENTS)
                .map(|i| format!("fil_{i:032x}"))
                .collect(),
            ..MessageDraft::default()
        });
        assert!(matches!(many, Err(DomainError::Validation(e)) if e.contains_key("attachments")));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let parsed = CreateMessage::parse(MessageDraft {
            content: Some("x".repeat(MessageContent::MAX_CHARS + 1)),
            attachments: vec!["fil_1".into()],
            parent_id: Some("nope".into()),
            ..MessageDraft::default()
        });
        let Err(DomainError::Validation(errors)) = parsed else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, vec!["attachments[0]", "content", "parent_id"]);
    }
}
