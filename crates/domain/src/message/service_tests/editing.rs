//! Editing: only the author or an ADMIN edits, and a message keeps content, blocks or
//! attachments.

use super::*;
use crate::test_fixtures::{
    assert_forbidden, assert_invalid, assert_not_found, assert_precondition_failed,
};

fn reword() -> MessageChanges {
    MessageChanges {
        content: Some(Some(MessageContent::parse("hello, world").unwrap())),
        ..MessageChanges::default()
    }
}

#[tokio::test]
async fn a_non_member_cannot_edit_a_message_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    // Even their own, once they are no longer a member.
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().never();

    assert_not_found(
        service(where_caller_is(&caller, &thread, None), messages)
            .update(&caller, &stored.id, reword(), &Precondition::None)
            .await,
        "message",
    );
}

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

    assert_forbidden(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Owner)),
            messages,
        )
        .update(&caller, &stored.id, reword(), &Precondition::None)
        .await,
    );
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

    assert_precondition_failed(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
            messages,
        )
        .update(&caller, &stored.id, reword(), &stale())
        .await,
    );
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
    .update(&caller, &stored.id, reword(), &if_match(stored.etag()))
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

    assert_invalid(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
            messages,
        )
        .update(&caller, &stored.id, erase, &Precondition::None)
        .await,
        "content",
    );
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

    assert_invalid(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
            messages,
        )
        .update(&caller, &stored.id, erase, &Precondition::None)
        .await,
        "content",
    );
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

    assert_invalid(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
            messages,
        )
        .update(&caller, &stored.id, empty, &Precondition::None)
        .await,
        "content",
    );
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
