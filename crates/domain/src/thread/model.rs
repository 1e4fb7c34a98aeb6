use crate::{
    id::{ThreadId, UserId},
    json_object::{Memory, Metadata},
    precondition::EntityTag,
    text::{self, Lines},
    time::Timestamp,
    user::{AvatarUrl, Email, UserName},
    DomainError,
};

/// A thread's title: at most 200 characters on one line; may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadTitle(String);

impl ThreadTitle {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        text::bounded(raw.trim(), Self::MAX_CHARS, Lines::Single).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A thread's description: at most 2,000 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadDescription(String);

impl ThreadDescription {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        text::bounded(raw, Self::MAX_CHARS, Lines::Multi).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadStatus {
    Active,
    Archived,
}

impl ThreadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "active" => Ok(Self::Active),
            "archived" => Ok(Self::Archived),
            _ => Err(DomainError::invalid("", "must be active or archived")),
        }
    }
}

/// Why a change to the members was refused: it would leave the thread without an owner.
pub const LAST_OWNER: &str = "a thread needs an owner: make someone else owner first";

/// What a member may do in a thread: `owner` everything, `editor` post and react,
/// `viewer` read and react.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemberRole {
    Viewer,
    Editor,
    Owner,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Editor => "editor",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "owner" => Ok(Self::Owner),
            "editor" => Ok(Self::Editor),
            "viewer" => Ok(Self::Viewer),
            _ => Err(DomainError::invalid("", "must be owner, editor or viewer")),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Thread {
    pub id: ThreadId,
    pub title: ThreadTitle,
    pub description: ThreadDescription,
    pub status: ThreadStatus,
    pub pinned: bool,
    pub metadata: Metadata,
    pub memory: Memory,
    /// Who created the thread.
    pub owner_id: UserId,
    pub message_count: u64,
    pub last_message_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Moves with every change, including a new message: threads sort by it.
    pub updated_at: Timestamp,
}

impl Thread {
    /// Moves with every write and with the message count (a deleted message lowers it
    /// without a write to the thread).
    pub fn etag(&self) -> EntityTag {
        EntityTag::with_state(self.updated_at, &self.message_count.to_be_bytes())
    }
}

/// A thread as one caller sees it: with their role, `None` for an ADMIN reading a thread
/// they are not a member of.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadView {
    pub thread: Thread,
    pub my_role: Option<MemberRole>,
}

/// What a caller asks for when creating a thread.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateThread {
    pub title: ThreadTitle,
    pub description: ThreadDescription,
    pub metadata: Metadata,
    pub memory: Memory,
    pub pinned: bool,
}

/// A thread to store, with its creator as owner.
#[derive(Clone, Debug, PartialEq)]
pub struct NewThread {
    pub id: ThreadId,
    pub owner_id: UserId,
    pub fields: CreateThread,
    pub created_at: Timestamp,
}

/// The fields to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadChanges {
    pub title: Option<ThreadTitle>,
    pub description: Option<ThreadDescription>,
    pub metadata: Option<Metadata>,
    pub memory: Option<Memory>,
    pub status: Option<ThreadStatus>,
    pub pinned: Option<bool>,
}

impl ThreadChanges {
    /// The names of the fields this change sets, for the event payload.
    pub fn field_names(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_some()),
            ("metadata", self.metadata.is_some()),
            ("memory", self.memory.is_some()),
            ("status", self.status.is_some()),
            ("pinned", self.pinned.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// Which of the caller's threads to list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadFilter {
    pub status: Option<ThreadStatus>,
    pub pinned: Option<bool>,
    /// Part of the title, case-insensitive.
    pub q: Option<String>,
}

/// A member of a thread with what others may see of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub user_id: UserId,
    pub name: UserName,
    pub avatar_url: Option<AvatarUrl>,
    pub role: MemberRole,
    pub added_at: Timestamp,
}

/// Whom to add to a thread.
#[derive(Clone, Debug, PartialEq)]
pub enum Invitee {
    Id(UserId),
    Email(Email),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_bounded() {
        assert_eq!(
            ThreadTitle::parse("  Plans ").ok().map(|t| t.0),
            Some("Plans".into())
        );
        assert!(ThreadTitle::parse(&"t".repeat(200)).is_ok());
        assert!(ThreadTitle::parse(&"t".repeat(201)).is_err());
        assert!(ThreadTitle::parse("two\nlines").is_err());
        assert!(ThreadDescription::parse(&"d".repeat(2001)).is_err());
    }

    #[test]
    fn roles_order_by_power() {
        assert!(MemberRole::Owner > MemberRole::Editor);
        assert!(MemberRole::Editor > MemberRole::Viewer);
        assert_eq!(MemberRole::parse("editor").ok(), Some(MemberRole::Editor));
        assert!(MemberRole::parse("admin").is_err());
    }
}
