//! What an export holds and what an erasure does.

use serde_json::json;

use crate::{
    audit::{AuditAction, NewAuditEntry},
    auth::Principal,
    file::{File, Sha256Digest},
    id::{MessageId, ReactionId, ThreadId, UserId},
    message::{Message, Revision},
    thread::{MemberRole, Thread},
    time::Timestamp,
    user::Email,
    DomainError,
};

/// The version of the archive's layout, in `manifest.json`; raised when a section changes
/// shape.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// The name an erased account's messages show as their author.
pub const DELETED_USER_NAME: &str = "Deleted user";

/// How many rows an export reads at once. Messages and revisions may be 200,000
/// characters each, so their pages are smaller.
pub const EXPORT_PAGE: u64 = 100;
pub const EXPORT_MESSAGE_PAGE: u64 = 20;

/// One erasure: whose account, who asked, and when. The repository applies it in one
/// transaction (see `AccountRepository::erase`), its `user.deleted` audit entry included.
#[derive(Clone, Debug, PartialEq)]
pub struct Erasure {
    pub user_id: UserId,
    /// The user themselves, or the ADMIN who deleted them; the actor of the events.
    pub actor_id: UserId,
    /// What the tombstone's email becomes: unique, and unroutable (`.invalid`, RFC 2606).
    pub tombstone_email: Email,
    /// With `If-Match` (the ADMIN route): only if the user's row still has this time.
    pub expected_updated_at: Option<Timestamp>,
    pub now: Timestamp,
    /// `user.deleted`, by the caller, on the erased user; `{"by_self": bool}`.
    pub audit: NewAuditEntry,
}

impl Erasure {
    /// `caller` erases `user_id` (themselves, or as an ADMIN).
    pub fn new(
        user_id: &UserId,
        caller: &Principal,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Self, DomainError> {
        let tombstone_email = Email::parse(&format!("{user_id}@erased.invalid"))?;
        let audit = NewAuditEntry::by(caller, AuditAction::UserDeleted)
            .on("user", user_id)
            .details(json!({ "by_self": caller.is_self(user_id) }));
        Ok(Self {
            user_id: user_id.clone(),
            actor_id: caller.user.id.clone(),
            tombstone_email,
            expected_updated_at,
            now,
            audit,
        })
    }
}

/// What an erasure left to do after its commit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Erased {
    /// Threads that changed (members, owner, reactions) or went.
    pub threads: Vec<ThreadId>,
    /// Blobs the user's deleted files pointed at: removed after the commit when no other
    /// record references them (a crash in between leaves bytes for the sweep, never a
    /// record without bytes).
    pub blobs: Vec<Sha256Digest>,
}

/// A thread the user owns or belongs to, with their role in it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedThread {
    pub thread: Thread,
    pub role: MemberRole,
}

/// A message the user wrote, with its earlier versions.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedMessage {
    pub message: Message,
    pub revisions: Vec<Revision>,
}

/// A reaction the user gave.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedReaction {
    pub id: ReactionId,
    pub message_id: MessageId,
    pub thread_id: ThreadId,
    pub emoji: String,
    pub created_at: Timestamp,
}

/// The files the export holds: the user's own records.
pub type ExportedFile = File;
