//! Editing: only the author or an ADMIN edits, and a message keeps content, blocks or
//! attachments.

use super::*;
use crate::test_fixtures::{assert_invalid, assert_refused, Refusal};

/// Changes that set the text to `text` (`None`: remove it).
fn text(text: Option<&str>) -> MessageChanges {
    MessageChanges {
        content: Some(text.map(|text| MessageContent::parse(text).unwrap())),
        ..MessageChanges::default()
    }
}

fn reword() -> MessageChanges {
    MessageChanges {
        content: Some(Some(MessageContent::parse("hello, world").unwrap())),
        ..MessageChanges::default()
    }
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

    let updated = as_editor(&caller, &thread, messages)
        .update(&caller, &stored.id, reword(), &Precondition::None)
        .await
        .unwrap();

    assert_eq!(
        updated.content.as_ref().map(MessageContent::as_str),
        Some("hello, world")
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

    as_editor(&caller, &thread, messages)
        .update(&caller, &stored.id, reword(), &if_match(stored.etag()))
        .await
        .unwrap();
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
        as_editor(&caller, &thread, messages)
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

    as_editor(&caller, &thread, messages)
        .update(&caller, &stored.id, text(None), &Precondition::None)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_edit_that_changes_nothing_writes_nothing() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_update().never();

    let unchanged = as_editor(&caller, &thread, messages)
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

#[tokio::test]
async fn refused_edits_write_nothing() {
    use MemberRole::{Editor, Owner};
    use Refusal::{Forbidden, Invalid, NotFound, PreconditionFailed};
    let none = || Precondition::None;
    let cases = [
        // Even their own, once they are no longer a member.
        (
            "a non-member",
            None,
            true,
            reword(),
            none(),
            NotFound("message"),
        ),
        (
            "an owner, someone else's",
            Some(Owner),
            false,
            reword(),
            none(),
            Forbidden,
        ),
        (
            "a stale If-Match",
            Some(Editor),
            true,
            reword(),
            stale(),
            PreconditionFailed,
        ),
        (
            "leaving no text nor blocks",
            Some(Editor),
            true,
            text(None),
            none(),
            Invalid("content"),
        ),
        // `CreateMessage::parse` treats empty text as no text; an edit must do the same.
        (
            "empty text, no blocks",
            Some(Editor),
            true,
            text(Some("")),
            none(),
            Invalid("content"),
        ),
    ];
    for (case, role, mine, changes, precondition, refusal) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let author = if mine {
            caller.user.id.clone()
        } else {
            UserId::generate()
        };
        let stored = message(&thread, &author);
        let threads = where_caller_is(&caller, &thread, role);

        let service = service(threads, read_only(Some(&stored)));
        let result = attempt(
            &service,
            &caller,
            &stored,
            Attempt::Edit(changes, precondition),
        );

        assert_refused(case, result.await, refusal);
    }
}
