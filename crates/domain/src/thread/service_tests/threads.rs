//! Creating, listing, reading, changing and deleting threads: reading needs membership
//! (or ADMIN), changing the owner or editor role, deleting the owner role (or ADMIN).

use super::*;
use crate::test_fixtures::{assert_refused, Refusal};

/// What the repository would return for `new`.
fn stored(new: &NewThread) -> Thread {
    Thread {
        id: new.id.clone(),
        title: new.fields.title.clone(),
        description: new.fields.description.clone(),
        status: ThreadStatus::Active,
        pinned: new.fields.pinned,
        metadata: new.fields.metadata.clone(),
        memory: new.fields.memory.clone(),
        owner_id: new.owner_id.clone(),
        message_count: 0,
        last_message_at: None,
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

fn retitle() -> ThreadChanges {
    ThreadChanges {
        title: Some(ThreadTitle::parse("New plans").unwrap()),
        ..ThreadChanges::default()
    }
}

#[tokio::test]
async fn creating_a_thread_records_thread_created_and_makes_the_caller_its_owner() {
    let caller = principal(Role::User);
    let mut threads = MockThreadRepository::new();
    let me = caller.user.id.clone();
    threads
        .expect_insert()
        .withf(move |new: &NewThread, event: &NewEvent| {
            new.owner_id == me
                && new.fields.title.as_str() == "Plans"
                && event.kind == EventKind::ThreadCreated
                && event.thread_id == new.id
                && event.actor_id == me
                && event.payload["thread_id"] == new.id.as_str()
        })
        .times(1)
        .returning(|new, _| Ok(stored(new)));
    let input = CreateThread {
        title: ThreadTitle::parse("Plans").unwrap(),
        ..CreateThread::default()
    };

    let view = service(threads).create(&caller, input).await.unwrap();

    assert_eq!(view.my_role, Some(MemberRole::Owner));
    assert_eq!(view.thread.owner_id, caller.user.id);
}

#[tokio::test]
async fn listing_threads_asks_for_the_callers_own_threads() {
    let caller = principal(Role::Admin);
    let mut threads = MockThreadRepository::new();
    let me = caller.user.id.clone();
    threads
        .expect_list_for_member()
        .withf(move |user, _, _| user == &me)
        .times(1)
        .returning(|_, _, _| {
            Ok(Page {
                items: vec![ThreadView {
                    thread: thread(),
                    my_role: Some(MemberRole::Viewer),
                }],
                next: None,
            })
        });

    let page = service(threads)
        .list(&caller, &ThreadFilter::default(), &first_page())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn members_see_the_thread_with_their_role() {
    let (caller, thread) = (principal(Role::User), thread());

    let view = service(where_caller_is(&caller, &thread, Some(MemberRole::Viewer)))
        .get(&caller, &thread.id)
        .await
        .unwrap();

    assert_eq!(view.thread, thread);
    assert_eq!(view.my_role, Some(MemberRole::Viewer));
}

#[tokio::test]
async fn an_editor_updates_a_thread_and_records_thread_updated() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    let (id, me, read_at) = (thread.id.clone(), caller.user.id.clone(), thread.updated_at);
    threads
        .expect_update()
        .withf(move |asked, changes, expected, now, event: &NewEvent| {
            // Without If-Match the write is unconditional, and moves the version forward.
            asked == &id
                && changes == &retitle()
                && expected.is_none()
                && *now > read_at
                && event.kind == EventKind::ThreadUpdated
                && event.thread_id == id
                && event.actor_id == me
                && event.created_at == *now
                && event.payload["fields"] == serde_json::json!(["title"])
        })
        .times(1)
        .returning({
            let read = thread.clone();
            move |_, changes, _, now, _| {
                let mut updated = read.clone();
                updated.title = changes.title.clone().unwrap();
                updated.updated_at = now;
                Ok(updated)
            }
        });

    let view = service(threads)
        .update(&caller, &thread.id, retitle(), &Precondition::None)
        .await
        .unwrap();

    assert_eq!(view.thread.title.as_str(), "New plans");
    assert_eq!(view.my_role, Some(MemberRole::Editor));
}

#[tokio::test]
async fn an_update_with_a_current_if_match_is_conditional_on_the_version_read() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    let read_at = thread.updated_at;
    threads
        .expect_update()
        .withf(move |_, _, expected, _, _| *expected == Some(read_at))
        .times(1)
        .returning({
            let read = thread.clone();
            move |_, _, _, _, _| Ok(read.clone())
        });

    service(threads)
        .update(&caller, &thread.id, retitle(), &if_match(thread.etag()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_thread_update_that_changes_nothing_writes_nothing() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_update().never();

    let view = service(threads)
        .update(
            &caller,
            &thread.id,
            ThreadChanges::default(),
            &Precondition::None,
        )
        .await
        .unwrap();

    assert_eq!(view.thread, thread);
    assert_eq!(view.my_role, Some(MemberRole::Editor));
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_may_delete_a_thread() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    let (id, me) = (thread.id.clone(), caller.user.id.clone());
    threads
        .expect_delete()
        .withf(move |asked, expected, event: &NewEvent, _| {
            asked == &id
                && expected.is_none()
                && event.kind == EventKind::ThreadDeleted
                && event.thread_id == id
                && event.actor_id == me
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    service(threads)
        .delete(&caller, &thread.id, &Precondition::None)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_owner_may_delete_a_thread_when_the_if_match_is_current() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    let read_at = thread.updated_at;
    threads
        .expect_delete()
        .withf(move |_, expected, _, _| *expected == Some(read_at))
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    service(threads)
        .delete(&caller, &thread.id, &if_match(thread.etag()))
        .await
        .unwrap();
}

/// A thread operation, for the table of refusals.
enum Attempt {
    Get,
    Update(Precondition),
    Delete(Precondition),
}

#[tokio::test]
async fn refused_thread_operations_write_nothing() {
    use Attempt::{Delete, Get, Update};
    use MemberRole::{Editor, Owner, Viewer};
    use Refusal::{Forbidden, NotFound, PreconditionFailed};
    let cases = [
        ("a non-member reading", None, Get, NotFound("thread")),
        (
            "a viewer updating",
            Some(Viewer),
            Update(Precondition::None),
            Forbidden,
        ),
        (
            "an update with a stale If-Match",
            Some(Owner),
            Update(stale()),
            PreconditionFailed,
        ),
        (
            "an editor deleting",
            Some(Editor),
            Delete(Precondition::None),
            Forbidden,
        ),
        (
            "a delete with a stale If-Match",
            Some(Owner),
            Delete(stale()),
            PreconditionFailed,
        ),
    ];
    for (case, role, attempt, refusal) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let mut threads = where_caller_is(&caller, &thread, role);
        threads.expect_update().never();
        threads.expect_delete().never();
        let service = service(threads);

        let result = match attempt {
            Get => service.get(&caller, &thread.id).await.map(drop),
            Update(precondition) => service
                .update(&caller, &thread.id, retitle(), &precondition)
                .await
                .map(drop),
            Delete(precondition) => service.delete(&caller, &thread.id, &precondition).await,
        };

        assert_refused(case, result, refusal);
    }
}
