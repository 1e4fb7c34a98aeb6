//! The rules of [`MessageService`], checked against `mockall` mocks of its ports: which
//! action each operation asks [`AccessControl`] for, and one refusal per rule (the access
//! matrix itself is tested once, in `access_tests.rs`).
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was written on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeMap, sync::Arc};

use serde_json::json;

use super::{
    Blocks, CreateMessage, Message, MessageChanges, MessageContent, MessageDraft, MessageFilter,
    MessageRepository, MessageRole, MessageService, MockMessageRepository, NewMessage, Revision,
};
use crate::{
    access::AccessControl,
    event::{EventKind, NewEvent},
    file::MockFileRepository,
    id::{MessageId, ThreadId, UserId},
    pagination::{Cursor, Limit, Page, PageRequest},
    precondition::Precondition,
    test_fixtures::{
        first_page, holding, if_match, message, principal, stale, thread, where_caller_is,
    },
    thread::{MemberRole, MockThreadRepository, Thread, ThreadStatus},
    time,
    user::Role,
    DomainError,
};

fn service(threads: MockThreadRepository, messages: MockMessageRepository) -> MessageService {
    let messages: Arc<dyn MessageRepository> = Arc::new(messages);
    let access = AccessControl::new(
        Arc::new(threads),
        messages.clone(),
        Arc::new(MockFileRepository::new()),
    );
    MessageService::new(messages, Arc::new(access))
}

/// Whether `event` records `kind` in `thread`, done by `actor`.
fn records(event: &NewEvent, kind: EventKind, thread: &ThreadId, actor: &UserId) -> bool {
    event.kind == kind && &event.thread_id == thread && &event.actor_id == actor
}

mod deleting;
mod editing;
mod posting;
mod reading;
