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
        first_page, holding, is_invalid, is_not_found, message, principal, stale, thread,
        where_caller_is,
    },
    thread::{MemberRole, MockThreadRepository, Thread, ThreadStatus},
    time,
    user::Role,
    DomainError,
};

fn archived(mut thread: Thread) -> Thread {
    thread.status = ThreadStatus::Archived;
    thread
}

/// What the repository would return for `new`.
fn stored(new: &NewMessage) -> Message {
    Message {
        id: new.id.clone(),
        thread_id: new.thread_id.clone(),
        author_id: new.author_id.clone(),
        role: new.fields.role,
        content: new.fields.content.clone(),
        blocks: new.fields.blocks.clone(),
        metadata: new.fields.metadata.clone(),
        parent_id: new.fields.parent_id.clone(),
        status: new.fields.status,
        attachments: new.attachments.clone(),
        reaction_counts: BTreeMap::new(),
        edited_at: None,
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

fn service(threads: MockThreadRepository, messages: MockMessageRepository) -> MessageService {
    let messages: Arc<dyn MessageRepository> = Arc::new(messages);
    let access = AccessControl::new(
        Arc::new(threads),
        messages.clone(),
        Arc::new(MockFileRepository::new()),
    );
    MessageService::new(messages, Arc::new(access))
}

/// A new message with `role` saying hi.
fn post(role: &str) -> CreateMessage {
    CreateMessage::parse(MessageDraft {
        role: Some(MessageRole::parse(role).unwrap()),
        content: Some("hi".to_owned()),
        ..MessageDraft::default()
    })
    .unwrap()
}

fn reply_to(parent: &MessageId) -> CreateMessage {
    CreateMessage {
        parent_id: Some(parent.clone()),
        ..post("user")
    }
}

fn reword() -> MessageChanges {
    MessageChanges {
        content: Some(Some(MessageContent::parse("hello, world").unwrap())),
        ..MessageChanges::default()
    }
}

fn current(message: &Message) -> Precondition {
    Precondition::IfMatch(vec![message.etag().as_str().to_owned()])
}

fn after(key: &str) -> PageRequest {
    PageRequest {
        limit: Limit::DEFAULT,
        after: Some(Cursor::after(key)),
    }
}

/// Whether `event` records `kind` in `thread`, done by `actor`.
fn records(event: &NewEvent, kind: EventKind, thread: &ThreadId, actor: &UserId) -> bool {
    event.kind == kind && &event.thread_id == thread && &event.actor_id == actor
}

// ---------------------------------------------------------------------------------------
// who sees a message

#[tokio::test]
async fn a_non_member_cannot_see_a_message_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);

    let err = service(where_caller_is(&caller, &thread, None), holding(&stored))
        .get(&caller, &stored.id)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "message"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_edit_a_message_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    // Even their own, once they are no longer a member.
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().never();

    let err = service(where_caller_is(&caller, &thread, None), messages)
        .update(&caller, &stored.id, reword(), &Precondition::None)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "message"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_delete_a_message_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_delete().never();

    let err = service(where_caller_is(&caller, &thread, None), messages)
        .delete(&caller, &stored.id, &Precondition::None)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "message"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_see_the_revisions_of_a_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    messages.expect_revisions().never();

    let err = service(where_caller_is(&caller, &thread, None), messages)
        .revisions(&caller, &stored.id, &first_page())
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "message"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_list_the_messages_of_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_list().never();

    let err = service(where_caller_is(&caller, &thread, None), messages)
        .list(
            &caller,
            &thread.id,
            &MessageFilter::default(),
            &first_page(),
        )
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_viewer_sees_a_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);

    let found = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        holding(&stored),
    )
    .get(&caller, &stored.id)
    .await
    .unwrap();

    assert_eq!(found, stored);
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_sees_a_message() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let stored = message(&thread, &thread.owner_id);

    let found = service(where_caller_is(&caller, &thread, None), holding(&stored))
        .get(&caller, &stored.id)
        .await
        .unwrap();

    assert_eq!(found, stored);
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_lists_the_messages_of_a_thread() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = MockMessageRepository::new();
    let id = thread.id.clone();
    messages
        .expect_list()
        .withf(move |asked, _, _| asked == &id)
        .times(1)
        .returning(move |_, _, _| {
            Ok(Page {
                items: vec![stored.clone()],
                next: None,
            })
        });

    let page = service(where_caller_is(&caller, &thread, None), messages)
        .list(
            &caller,
            &thread.id,
            &MessageFilter::default(),
            &first_page(),
        )
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn a_message_cursor_that_is_not_a_message_id_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_list().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .list(
        &caller,
        &thread.id,
        &MessageFilter::default(),
        &after(UserId::generate().as_str()),
    )
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "cursor"), "{err:?}");
}

#[tokio::test]
async fn a_message_cursor_holding_a_message_id_is_passed_on() {
    let (caller, thread) = (principal(Role::User), thread());
    let last_seen = MessageId::generate();
    let page = after(last_seen.as_str());
    let mut messages = MockMessageRepository::new();
    let expected = page.clone();
    messages
        .expect_list()
        .withf(move |_, _, asked| asked == &expected)
        .times(1)
        .returning(|_, _, _| {
            Ok(Page {
                items: Vec::new(),
                next: None,
            })
        });

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .list(&caller, &thread.id, &MessageFilter::default(), &page)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_revisions_cursor_that_is_not_a_revision_number_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    messages.expect_revisions().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .revisions(&caller, &stored.id, &after("first"))
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "cursor"), "{err:?}");
}

#[tokio::test]
async fn a_member_reads_the_revisions_of_a_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    let (id, replaced_by) = (stored.id.clone(), thread.owner_id.clone());
    messages
        .expect_revisions()
        .withf(move |asked, page| asked == &id && page.after == Some(Cursor::after("1")))
        .times(1)
        .returning(move |_, _| {
            let now = time::now();
            Ok(Page {
                items: vec![Revision {
                    number: 2,
                    content: None,
                    blocks: Blocks::default(),
                    created_at: now,
                    replaced_by: replaced_by.clone(),
                    replaced_at: now,
                }],
                next: None,
            })
        });

    let page = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .revisions(&caller, &stored.id, &after("1"))
    .await
    .unwrap();

    assert_eq!(page.items.len(), 1);
}

// ---------------------------------------------------------------------------------------
// post

#[tokio::test]
async fn an_editor_posts_a_user_message_and_records_message_created() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    let (thread_id, me) = (thread.id.clone(), caller.user.id.clone());
    messages
        .expect_insert()
        .withf(move |new: &NewMessage, event: &NewEvent| {
            new.thread_id == thread_id
                && new.author_id == me
                && new.fields.role == MessageRole::User
                && records(event, EventKind::MessageCreated, &thread_id, &me)
                && event.payload["message_id"] == new.id.as_str()
                && event.payload["role"] == "user"
        })
        .times(1)
        .returning(|new, _| Ok(stored(new)));

    let posted = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .create(&caller, &thread.id, post("user"))
    .await
    .unwrap();

    assert_eq!(posted.author_id, caller.user.id);
    assert_eq!(posted.thread_id, thread.id);
}

#[tokio::test]
async fn a_viewer_cannot_post() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_insert().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .create(&caller, &thread.id, post("user"))
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_post_and_learns_only_that_the_thread_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_insert().never();

    let err = service(where_caller_is(&caller, &thread, None), messages)
        .create(&caller, &thread.id, post("user"))
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn an_owner_without_the_admin_role_cannot_post_as_assistant_system_or_tool() {
    for role in ["assistant", "system", "tool"] {
        let (caller, thread) = (principal(Role::User), thread());
        let mut messages = MockMessageRepository::new();
        messages.expect_insert().never();

        let err = service(
            where_caller_is(&caller, &thread, Some(MemberRole::Owner)),
            messages,
        )
        .create(&caller, &thread.id, post(role))
        .await
        .unwrap_err();

        assert!(matches!(err, DomainError::Forbidden(_)), "{role}: {err:?}");
    }
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_posts_as_assistant_system_or_tool() {
    for role in ["assistant", "system", "tool"] {
        let (caller, thread) = (principal(Role::Admin), thread());
        let mut messages = MockMessageRepository::new();
        let me = caller.user.id.clone();
        messages
            .expect_insert()
            .withf(move |new: &NewMessage, event: &NewEvent| {
                new.fields.role.as_str() == role
                    && new.author_id == me
                    && event.kind == EventKind::MessageCreated
                    && event.payload["role"] == role
            })
            .times(1)
            .returning(|new, _| Ok(stored(new)));

        let posted = service(where_caller_is(&caller, &thread, None), messages)
            .create(&caller, &thread.id, post(role))
            .await
            .unwrap();

        assert_eq!(posted.role.as_str(), role);
    }
}

#[tokio::test]
async fn an_archived_thread_takes_no_new_messages() {
    let (caller, thread) = (principal(Role::User), archived(thread()));
    let mut messages = MockMessageRepository::new();
    messages.expect_insert().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Owner)),
        messages,
    )
    .create(&caller, &thread.id, post("user"))
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn an_archived_thread_takes_no_agent_messages_either() {
    let (caller, thread) = (principal(Role::Admin), archived(thread()));
    let mut messages = MockMessageRepository::new();
    messages.expect_insert().never();

    let err = service(where_caller_is(&caller, &thread, None), messages)
        .create(&caller, &thread.id, post("assistant"))
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn a_reply_to_a_message_of_another_thread_is_refused_on_parent_id() {
    let caller = principal(Role::User);
    let elsewhere = message(&thread(), &caller.user.id);
    let thread = thread();
    let mut messages = holding(&elsewhere);
    messages.expect_insert().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .create(&caller, &thread.id, reply_to(&elsewhere.id))
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "parent_id"), "{err:?}");
}

#[tokio::test]
async fn a_reply_to_a_missing_message_is_refused_on_parent_id() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_find().returning(|_| Ok(None));
    messages.expect_insert().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .create(&caller, &thread.id, reply_to(&MessageId::generate()))
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "parent_id"), "{err:?}");
}

#[tokio::test]
async fn a_reply_to_a_message_of_the_same_thread_is_posted() {
    let (caller, thread) = (principal(Role::User), thread());
    let parent = message(&thread, &thread.owner_id);
    let mut messages = holding(&parent);
    let parent_id = parent.id.clone();
    messages
        .expect_insert()
        .withf(move |new: &NewMessage, _| new.fields.parent_id.as_ref() == Some(&parent_id))
        .times(1)
        .returning(|new, _| Ok(stored(new)));

    let posted = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .create(&caller, &thread.id, reply_to(&parent.id))
    .await
    .unwrap();

    assert_eq!(posted.parent_id, Some(parent.id));
}

// ---------------------------------------------------------------------------------------
// edit

#[tokio::test]
async fn the_author_edits_their_message_and_records_message_updated() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    let (id, thread_id, me, read_at) = (
        stored.id.clone(),
        thread.id.clone(),
        caller.user.id.clone(),
        stored.updated_at,
    );
    messages
        .expect_update()
        .withf(
            move |asked, changes, editor, expected, now, event: &NewEvent| {
                // Without If-Match the write is unconditional, and moves the version forward.
                asked == &id
                    && changes == &reword()
                    && editor == &me
                    && expected.is_none()
                    && *now > read_at
                    && records(event, EventKind::MessageUpdated, &thread_id, &me)
                    && event.payload["message_id"] == id.as_str()
                    && event.payload["fields"] == json!(["content"])
            },
        )
        .times(1)
        .returning({
            let stored = stored.clone();
            move |_, changes, _, _, now, _| {
                let mut updated = stored.clone();
                updated.content = changes.content.clone().unwrap();
                updated.updated_at = now;
                updated.edited_at = Some(now);
                Ok(updated)
            }
        });

    let updated = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, reword(), &Precondition::None)
    .await
    .unwrap();

    assert_eq!(
        updated.content.as_ref().map(MessageContent::as_str),
        Some("hello, world")
    );
}

#[tokio::test]
async fn a_thread_owner_cannot_edit_someone_elses_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &UserId::generate());
    let mut messages = holding(&stored);
    messages.expect_update().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Owner)),
        messages,
    )
    .update(&caller, &stored.id, reword(), &Precondition::None)
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_edits_any_message() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    let (me, thread_id) = (caller.user.id.clone(), thread.id.clone());
    messages
        .expect_update()
        .withf(move |_, _, editor, _, _, event: &NewEvent| {
            editor == &me && records(event, EventKind::MessageUpdated, &thread_id, &me)
        })
        .times(1)
        .returning({
            let stored = stored.clone();
            move |_, _, _, _, _, _| Ok(stored.clone())
        });

    service(where_caller_is(&caller, &thread, None), messages)
        .update(&caller, &stored.id, reword(), &Precondition::None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_if_match_fails_the_edit_without_writing() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().times(0);

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, reword(), &stale())
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
}

#[tokio::test]
async fn an_edit_with_a_current_if_match_is_conditional_on_the_version_read() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    let read_at = stored.updated_at;
    messages
        .expect_update()
        .withf(move |_, _, _, expected, _, _| *expected == Some(read_at))
        .times(1)
        .returning({
            let stored = stored.clone();
            move |_, _, _, _, _, _| Ok(stored.clone())
        });

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, reword(), &current(&stored))
    .await
    .unwrap();
}

#[tokio::test]
async fn an_edit_that_leaves_neither_content_nor_blocks_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().never();
    let erase = MessageChanges {
        content: Some(None),
        ..MessageChanges::default()
    };

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, erase, &Precondition::None)
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "content"), "{err:?}");
}

#[tokio::test]
async fn an_edit_that_empties_the_blocks_of_a_message_without_text_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut stored = message(&thread, &caller.user.id);
    stored.content = None;
    stored.blocks = Blocks::parse(json!([{"type": "divider"}])).unwrap();
    let mut messages = holding(&stored);
    messages.expect_update().never();
    let erase = MessageChanges {
        blocks: Some(Blocks::default()),
        ..MessageChanges::default()
    };

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, erase, &Precondition::None)
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "content"), "{err:?}");
}

#[tokio::test]
async fn removing_the_text_of_a_message_with_blocks_is_allowed() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut stored = message(&thread, &caller.user.id);
    stored.blocks = Blocks::parse(json!([{"type": "divider"}])).unwrap();
    let mut messages = holding(&stored);
    messages
        .expect_update()
        .withf(|_, changes, _, _, _, _| changes.content == Some(None))
        .times(1)
        .returning({
            let stored = stored.clone();
            move |_, _, _, _, _, _| Ok(stored.clone())
        });
    let erase = MessageChanges {
        content: Some(None),
        ..MessageChanges::default()
    };

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, erase, &Precondition::None)
    .await
    .unwrap();
}

/// `CreateMessage::parse` treats empty text as no text, so an edit to empty text should
/// be refused on a message without blocks just like `content: null` is. Today only the api
/// DTO turns `""` into `null`; the domain itself lets it through.
#[tokio::test]
async fn an_edit_to_empty_text_on_a_message_without_blocks_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().never();
    let empty = MessageChanges {
        content: Some(Some(MessageContent::parse("").unwrap())),
        ..MessageChanges::default()
    };

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(&caller, &stored.id, empty, &Precondition::None)
    .await
    .unwrap_err();

    assert!(is_invalid(&err, "content"), "{err:?}");
}

#[tokio::test]
async fn an_edit_that_changes_nothing_writes_nothing() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().never();

    let unchanged = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .update(
        &caller,
        &stored.id,
        MessageChanges::default(),
        &Precondition::None,
    )
    .await
    .unwrap();

    assert_eq!(unchanged, stored);
}

// ---------------------------------------------------------------------------------------
// delete

/// A message repository holding `stored` that expects it deleted once, unconditionally,
/// with a `message.deleted` event by `actor`.
fn deleting(stored: &Message, actor: &UserId) -> MockMessageRepository {
    let mut messages = holding(stored);
    let (id, thread_id, actor) = (stored.id.clone(), stored.thread_id.clone(), actor.clone());
    messages
        .expect_delete()
        .withf(move |asked, expected, event: &NewEvent| {
            asked == &id
                && expected.is_none()
                && records(event, EventKind::MessageDeleted, &thread_id, &actor)
                && event.payload["message_id"] == id.as_str()
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    messages
}

#[tokio::test]
async fn the_author_deletes_their_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        deleting(&stored, &caller.user.id),
    )
    .delete(&caller, &stored.id, &Precondition::None)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_thread_owner_deletes_someone_elses_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &UserId::generate());

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Owner)),
        deleting(&stored, &caller.user.id),
    )
    .delete(&caller, &stored.id, &Precondition::None)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_deletes_any_message() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let stored = message(&thread, &thread.owner_id);

    service(
        where_caller_is(&caller, &thread, None),
        deleting(&stored, &caller.user.id),
    )
    .delete(&caller, &stored.id, &Precondition::None)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_editor_cannot_delete_someone_elses_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &UserId::generate());
    let mut messages = holding(&stored);
    messages.expect_delete().never();

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .delete(&caller, &stored.id, &Precondition::None)
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_stale_if_match_fails_the_delete_without_deleting() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_delete().times(0);

    let err = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .delete(&caller, &stored.id, &stale())
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
}

#[tokio::test]
async fn a_delete_with_a_current_if_match_is_conditional_on_the_version_read() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    let read_at = stored.updated_at;
    messages
        .expect_delete()
        .withf(move |_, expected, _| *expected == Some(read_at))
        .times(1)
        .returning(|_, _, _| Ok(()));

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        messages,
    )
    .delete(&caller, &stored.id, &current(&stored))
    .await
    .unwrap();
}
