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
    Blocks, CreateMessage, Message, MessageChanges, MessageContent, MessageFilter,
    MessageRepository, MessageRole, MessageService, MockMessageRepository, NewMessage, Revision,
};
use crate::{
    access::AccessControl,
    auth::Principal,
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
    DomainResult,
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

/// A service in which `caller` is an editor of `thread`, whose messages are `messages`.
fn as_editor(
    caller: &Principal,
    thread: &Thread,
    messages: MockMessageRepository,
) -> MessageService {
    service(
        where_caller_is(caller, thread, Some(MemberRole::Editor)),
        messages,
    )
}

/// Whether `event` records `kind` in `thread`, done by `actor`.
fn records(event: &NewEvent, kind: EventKind, thread: &ThreadId, actor: &UserId) -> bool {
    event.kind == kind && &event.thread_id == thread && &event.actor_id == actor
}

/// A message operation, for the tables of refusals.
enum Attempt {
    Get,
    Revisions(PageRequest),
    List(PageRequest),
    Post(CreateMessage),
    Edit(MessageChanges, Precondition),
    Delete(Precondition),
}

/// Runs `attempt` as `caller`, on `stored` or on its thread.
async fn attempt(
    service: &MessageService,
    caller: &Principal,
    stored: &Message,
    attempt: Attempt,
) -> DomainResult<()> {
    let (id, thread) = (&stored.id, &stored.thread_id);
    let any = MessageFilter::default();
    match attempt {
        Attempt::Get => service.get(caller, id).await.map(drop),
        Attempt::Revisions(page) => service.revisions(caller, id, &page).await.map(drop),
        Attempt::List(page) => service.list(caller, thread, &any, &page).await.map(drop),
        Attempt::Post(new) => service.create(caller, thread, new).await.map(drop),
        Attempt::Edit(changes, precondition) => service
            .update(caller, id, changes, &precondition)
            .await
            .map(drop),
        Attempt::Delete(precondition) => service.delete(caller, id, &precondition).await,
    }
}

/// A message repository in which `stored` (if any) can be found and nothing may be written.
fn read_only(stored: Option<&Message>) -> MockMessageRepository {
    let mut messages = stored.map_or_else(MockMessageRepository::new, holding);
    messages.expect_insert().never();
    messages.expect_update().never();
    messages.expect_delete().never();
    messages.expect_list().never();
    messages.expect_revisions().never();
    messages
}

mod deleting;
mod editing;
mod posting;
mod reading;
