//! Deleting: the author, an owner of the thread or an ADMIN deletes.

use super::*;
use crate::test_fixtures::{assert_refused, Refusal};

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

    as_editor(&caller, &thread, deleting(&stored, &caller.user.id))
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

    as_editor(&caller, &thread, messages)
        .delete(&caller, &stored.id, &if_match(stored.etag()))
        .await
        .unwrap();
}

#[tokio::test]
async fn refused_deletes_delete_nothing() {
    let cases = [
        (
            "an editor, someone else's",
            false,
            Precondition::None,
            Refusal::Forbidden,
        ),
        (
            "the author, stale If-Match",
            true,
            stale(),
            Refusal::PreconditionFailed,
        ),
    ];
    for (case, mine, precondition, refusal) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let author = if mine {
            caller.user.id.clone()
        } else {
            UserId::generate()
        };
        let stored = message(&thread, &author);
        let threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));

        let service = service(threads, read_only(Some(&stored)));
        let result = attempt(&service, &caller, &stored, Attempt::Delete(precondition)).await;

        assert_refused(case, result, refusal);
    }
}
