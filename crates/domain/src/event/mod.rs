//! The append-only record of every change, written in the same transaction as the change.
//!
//! Nothing in the domain reads events back; the real-time layer streams them in id order,
//! so repositories must make ids visible in commit order (see `infrastructure`'s event
//! writer) and never skip one.

use serde_json::Value;

use crate::{
    id::{ThreadId, UserId},
    time::Timestamp,
};

/// What happened, as `thread.created`, `message.updated`, …
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    ThreadCreated,
    ThreadUpdated,
    ThreadDeleted,
    MemberAdded,
    MemberUpdated,
    MemberRemoved,
    MessageCreated,
    MessageUpdated,
    MessageDeleted,
    ReactionAdded,
    ReactionRemoved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThreadCreated => "thread.created",
            Self::ThreadUpdated => "thread.updated",
            Self::ThreadDeleted => "thread.deleted",
            Self::MemberAdded => "member.added",
            Self::MemberUpdated => "member.updated",
            Self::MemberRemoved => "member.removed",
            Self::MessageCreated => "message.created",
            Self::MessageUpdated => "message.updated",
            Self::MessageDeleted => "message.deleted",
            Self::ReactionAdded => "reaction.added",
            Self::ReactionRemoved => "reaction.removed",
        }
    }
}

/// An event to append; the store assigns its increasing id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub thread_id: ThreadId,
    pub actor_id: UserId,
    /// The ids and fields a subscriber needs to update its view.
    pub payload: Value,
    pub created_at: Timestamp,
}

impl NewEvent {
    pub fn new(
        kind: EventKind,
        thread_id: &ThreadId,
        actor_id: &UserId,
        payload: Value,
        created_at: Timestamp,
    ) -> Self {
        Self {
            kind,
            thread_id: thread_id.clone(),
            actor_id: actor_id.clone(),
            payload,
            created_at,
        }
    }
}
