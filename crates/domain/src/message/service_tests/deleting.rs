//! Deleting: the author, an owner of the thread or an ADMIN deletes.

use super::*;
use crate::test_fixtures::{assert_forbidden, assert_precondition_failed};

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
async fn an_editor_cannot_delete_someone_elses_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &UserId::generate());
    let mut messages = holding(&stored);
    messages.expect_delete().never();

    assert_forbidden(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
            messages,
        )
        .delete(&caller, &stored.id, &Precondition::None)
        .await,
    );
}

#[tokio::test]
async fn a_stale_if_match_fails_the_delete_without_deleting() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &caller.user.id);
    let mut messages = holding(&stored);
    messages.expect_delete().times(0);

    assert_precondition_failed(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
            messages,
        )
        .delete(&caller, &stored.id, &stale())
        .await,
    );
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
    .delete(&caller, &stored.id, &if_match(stored.etag()))
    .await
    .unwrap();
}
