//! The rules of [`ThreadService`], checked against `mockall` mocks of its ports: which
//! action each operation asks [`AccessControl`] for, and one refusal per rule (the access
//! matrix itself is tested once, in `access_tests.rs`).
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was written on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{
    CreateThread, Invitee, Member, MemberRole, MockThreadRepository, NewThread, Thread,
    ThreadChanges, ThreadFilter, ThreadRepository, ThreadService, ThreadStatus, ThreadTitle,
    ThreadView,
};
use crate::{
    access::AccessControl,
    event::{EventKind, NewEvent},
    file::MockFileRepository,
    id::UserId,
    message::MockMessageRepository,
    pagination::{Cursor, Limit, Page, PageRequest},
    precondition::Precondition,
    test_fixtures::{
        first_page, is_invalid, is_not_found, principal, stale, thread, user, where_caller_is,
    },
    time,
    user::{Email, MockUserRepository, Role, UserCredentials, UserName},
    DomainError,
};

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

fn member(user_id: &UserId, role: MemberRole) -> Member {
    Member {
        user_id: user_id.clone(),
        name: UserName::parse("Grace").unwrap(),
        avatar_url: None,
        role,
        added_at: time::now() - ChronoDuration::hours(1),
    }
}

/// Adds `user` as a member of `thread` with `role` to `threads`.
fn with_member(
    threads: &mut MockThreadRepository,
    thread: &Thread,
    user: &UserId,
    role: MemberRole,
) {
    let (id, user) = (thread.id.clone(), user.clone());
    let found = member(&user, role);
    threads
        .expect_member()
        .withf(move |asked, who| asked == &id && who == &user)
        .returning(move |_, _| Ok(Some(found.clone())));
}

fn service(threads: MockThreadRepository) -> ThreadService {
    service_with(threads, MockUserRepository::new())
}

fn service_with(threads: MockThreadRepository, users: MockUserRepository) -> ThreadService {
    let threads: Arc<dyn ThreadRepository> = Arc::new(threads);
    // Threads never need to look up a message.
    let access = AccessControl::new(
        threads.clone(),
        Arc::new(MockMessageRepository::new()),
        Arc::new(MockFileRepository::new()),
    );
    ThreadService::new(threads, Arc::new(users), Arc::new(access))
}

fn retitle() -> ThreadChanges {
    ThreadChanges {
        title: Some(ThreadTitle::parse("New plans").unwrap()),
        ..ThreadChanges::default()
    }
}

fn current(thread: &Thread) -> Precondition {
    Precondition::IfMatch(vec![thread.etag().as_str().to_owned()])
}

// ---------------------------------------------------------------------------------------
// create and list

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

// ---------------------------------------------------------------------------------------
// who sees a thread

#[tokio::test]
async fn a_non_member_cannot_see_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());

    let err = service(where_caller_is(&caller, &thread, None))
        .get(&caller, &thread.id)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_update_a_thread_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_update().never();

    let err = service(threads)
        .update(&caller, &thread.id, retitle(), &Precondition::None)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_delete_a_thread_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_delete().never();

    let err = service(threads)
        .delete(&caller, &thread.id, &Precondition::None)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_list_the_members_of_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_members().never();

    let err = service(threads)
        .members(&caller, &thread.id, &first_page())
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_add_a_member_and_learns_only_that_the_thread_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_add_member().never();
    let mut users = MockUserRepository::new();
    users.expect_find().never();

    let err = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Id(UserId::generate()),
            MemberRole::Editor,
        )
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_non_member_cannot_remove_a_member_and_learns_only_that_the_thread_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_remove_member().never();

    let err = service(threads)
        .remove_member(&caller, &thread.id, &thread.owner_id)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
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
async fn an_admin_who_is_not_a_member_may_read_a_thread_without_a_role() {
    let (caller, thread) = (principal(Role::Admin), thread());

    let view = service(where_caller_is(&caller, &thread, None))
        .get(&caller, &thread.id)
        .await
        .unwrap();

    assert_eq!(view.thread, thread);
    assert_eq!(view.my_role, None);
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_may_list_its_members() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    let owner = member(&thread.owner_id, MemberRole::Owner);
    threads.expect_members().times(1).returning(move |_, _| {
        Ok(Page {
            items: vec![owner.clone()],
            next: None,
        })
    });

    let page = service(threads)
        .members(&caller, &thread.id, &first_page())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn a_members_cursor_that_is_not_a_user_id_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_members().never();
    let page = PageRequest {
        limit: Limit::DEFAULT,
        after: Some(Cursor::after("msg_not-a-user")),
    };

    let err = service(threads)
        .members(&caller, &thread.id, &page)
        .await
        .unwrap_err();

    assert!(is_invalid(&err, "cursor"), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// update

#[tokio::test]
async fn an_admin_who_is_not_a_member_cannot_update_a_thread() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_update().never();

    let err = service(threads)
        .update(&caller, &thread.id, retitle(), &Precondition::None)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_viewer_cannot_update_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Viewer));
    threads.expect_update().never();

    let err = service(threads)
        .update(&caller, &thread.id, retitle(), &Precondition::None)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
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
        .update(&caller, &thread.id, retitle(), &current(&thread))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_if_match_fails_the_thread_update_without_writing() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_update().never();

    let err = service(threads)
        .update(&caller, &thread.id, retitle(), &stale())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
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

// ---------------------------------------------------------------------------------------
// delete

#[tokio::test]
async fn an_admin_who_is_not_a_member_may_delete_a_thread() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    let (id, me) = (thread.id.clone(), caller.user.id.clone());
    threads
        .expect_delete()
        .withf(move |asked, expected, event: &NewEvent| {
            asked == &id
                && expected.is_none()
                && event.kind == EventKind::ThreadDeleted
                && event.thread_id == id
                && event.actor_id == me
        })
        .times(1)
        .returning(|_, _, _| Ok(()));

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
        .withf(move |_, expected, _| *expected == Some(read_at))
        .times(1)
        .returning(|_, _, _| Ok(()));

    service(threads)
        .delete(&caller, &thread.id, &current(&thread))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_editor_cannot_delete_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_delete().never();

    let err = service(threads)
        .delete(&caller, &thread.id, &Precondition::None)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_stale_if_match_fails_the_thread_delete_without_deleting() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_delete().never();

    let err = service(threads)
        .delete(&caller, &thread.id, &stale())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// add members

#[tokio::test]
async fn an_owner_adds_a_member_by_id_and_records_member_added() {
    let (caller, thread) = (principal(Role::User), thread());
    let invited = user(Role::User);
    let mut users = MockUserRepository::new();
    let found = invited.clone();
    users
        .expect_find()
        .withf({
            let id = invited.id.clone();
            move |asked| asked == &id
        })
        .times(1)
        .returning(move |_| Ok(Some(found.clone())));
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    let (id, me, new_member) = (
        thread.id.clone(),
        caller.user.id.clone(),
        invited.id.clone(),
    );
    threads
        .expect_add_member()
        .withf(move |asked, who, role, _, event: &NewEvent| {
            asked == &id
                && who == &new_member
                && *role == MemberRole::Editor
                && event.kind == EventKind::MemberAdded
                && event.thread_id == id
                && event.actor_id == me
                && event.payload["role"] == "editor"
        })
        .times(1)
        .returning(|_, who, role, _, _| Ok(member(who, role)));

    let added = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Id(invited.id.clone()),
            MemberRole::Editor,
        )
        .await
        .unwrap();

    assert_eq!(added.user_id, invited.id);
    assert_eq!(added.role, MemberRole::Editor);
}

#[tokio::test]
async fn an_owner_adds_a_member_by_email() {
    let (caller, thread) = (principal(Role::User), thread());
    let invited = user(Role::User);
    let mut users = MockUserRepository::new();
    let found = invited.clone();
    users
        .expect_find_credentials()
        .withf(|email| email.as_str() == "ada@example.com")
        .times(1)
        .returning(move |_| {
            Ok(Some(UserCredentials {
                user: found.clone(),
                password_hash: None,
            }))
        });
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    let new_member = invited.id.clone();
    threads
        .expect_add_member()
        .withf(move |_, who, _, _, _| who == &new_member)
        .times(1)
        .returning(|_, who, role, _, _| Ok(member(who, role)));

    let added = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Email(Email::parse("ada@example.com").unwrap()),
            MemberRole::Viewer,
        )
        .await
        .unwrap();

    assert_eq!(added.user_id, invited.id);
}

#[tokio::test]
async fn adding_an_unknown_email_is_a_validation_error_on_email() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut users = MockUserRepository::new();
    users.expect_find_credentials().returning(|_| Ok(None));
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_add_member().never();

    let err = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Email(Email::parse("nobody@example.com").unwrap()),
            MemberRole::Editor,
        )
        .await
        .unwrap_err();

    assert!(is_invalid(&err, "email"), "{err:?}");
}

#[tokio::test]
async fn adding_an_unknown_user_id_is_a_validation_error_on_user_id() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|_| Ok(None));
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_add_member().never();

    let err = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Id(UserId::generate()),
            MemberRole::Editor,
        )
        .await
        .unwrap_err();

    assert!(is_invalid(&err, "user_id"), "{err:?}");
}

#[tokio::test]
async fn an_editor_cannot_add_members() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_add_member().never();
    let mut users = MockUserRepository::new();
    users.expect_find().never();

    let err = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Id(UserId::generate()),
            MemberRole::Viewer,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_cannot_add_members() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_add_member().never();
    let mut users = MockUserRepository::new();
    users.expect_find().never();

    let err = service_with(threads, users)
        .add_member(
            &caller,
            &thread.id,
            Invitee::Id(UserId::generate()),
            MemberRole::Viewer,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// change roles

#[tokio::test]
async fn an_editor_cannot_change_roles() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_change_role().never();

    let err = service(threads)
        .change_member_role(&caller, &thread.id, &caller.user.id, MemberRole::Owner)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_owner_changes_a_members_role_and_records_member_updated() {
    let (caller, thread) = (principal(Role::User), thread());
    let other = UserId::generate();
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &other, MemberRole::Viewer);
    let (id, me, target) = (thread.id.clone(), caller.user.id.clone(), other.clone());
    threads
        .expect_change_role()
        .withf(move |asked, who, role, event: &NewEvent| {
            asked == &id
                && who == &target
                && *role == MemberRole::Editor
                && event.kind == EventKind::MemberUpdated
                && event.thread_id == id
                && event.actor_id == me
        })
        .times(1)
        .returning(|_, who, role, _| Ok(member(who, role)));

    let changed = service(threads)
        .change_member_role(&caller, &thread.id, &other, MemberRole::Editor)
        .await
        .unwrap();

    assert_eq!(changed.role, MemberRole::Editor);
}

#[tokio::test]
async fn giving_a_member_the_role_they_have_writes_nothing() {
    let (caller, thread) = (principal(Role::User), thread());
    let other = UserId::generate();
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &other, MemberRole::Editor);
    threads.expect_change_role().never();
    threads.expect_count_owners().never();

    let unchanged = service(threads)
        .change_member_role(&caller, &thread.id, &other, MemberRole::Editor)
        .await
        .unwrap();

    assert_eq!(unchanged.role, MemberRole::Editor);
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &caller.user.id, MemberRole::Owner);
    threads.expect_count_owners().returning(|_| Ok(1));
    threads.expect_change_role().never();

    let err = service(threads)
        .change_member_role(&caller, &thread.id, &caller.user.id, MemberRole::Editor)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn an_owner_may_be_demoted_while_another_owner_remains() {
    let (caller, thread) = (principal(Role::User), thread());
    let other = UserId::generate();
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &other, MemberRole::Owner);
    threads.expect_count_owners().times(1).returning(|_| Ok(2));
    threads
        .expect_change_role()
        .times(1)
        .returning(|_, who, role, _| Ok(member(who, role)));

    let changed = service(threads)
        .change_member_role(&caller, &thread.id, &other, MemberRole::Viewer)
        .await
        .unwrap();

    assert_eq!(changed.role, MemberRole::Viewer);
}

#[tokio::test]
async fn changing_the_role_of_a_non_member_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_member().returning(|_, _| Ok(None));
    threads.expect_change_role().never();

    let err = service(threads)
        .change_member_role(&caller, &thread.id, &UserId::generate(), MemberRole::Editor)
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "member"), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// remove members

#[tokio::test]
async fn a_member_may_leave_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Viewer));
    with_member(&mut threads, &thread, &caller.user.id, MemberRole::Viewer);
    let (id, me) = (thread.id.clone(), caller.user.id.clone());
    threads
        .expect_remove_member()
        .withf(move |asked, who, event: &NewEvent| {
            asked == &id
                && who == &me
                && event.kind == EventKind::MemberRemoved
                && event.thread_id == id
                && event.actor_id == me
        })
        .times(1)
        .returning(|_, _, _| Ok(()));

    service(threads)
        .remove_member(&caller, &thread.id, &caller.user.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_editor_cannot_remove_another_member() {
    let (caller, thread) = (principal(Role::User), thread());
    let other = UserId::generate();
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_member().never();
    threads.expect_remove_member().never();

    let err = service(threads)
        .remove_member(&caller, &thread.id, &other)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_cannot_remove_members() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_remove_member().never();

    let err = service(threads)
        .remove_member(&caller, &thread.id, &thread.owner_id)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_owner_removes_another_member() {
    let (caller, thread) = (principal(Role::User), thread());
    let other = UserId::generate();
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &other, MemberRole::Editor);
    threads.expect_count_owners().never();
    let target = other.clone();
    threads
        .expect_remove_member()
        .withf(move |_, who, _| who == &target)
        .times(1)
        .returning(|_, _, _| Ok(()));

    service(threads)
        .remove_member(&caller, &thread.id, &other)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_last_owner_cannot_leave() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &caller.user.id, MemberRole::Owner);
    threads.expect_count_owners().returning(|_| Ok(1));
    threads.expect_remove_member().never();

    let err = service(threads)
        .remove_member(&caller, &thread.id, &caller.user.id)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn an_owner_may_leave_while_another_owner_remains() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &caller.user.id, MemberRole::Owner);
    threads.expect_count_owners().times(1).returning(|_| Ok(2));
    threads
        .expect_remove_member()
        .times(1)
        .returning(|_, _, _| Ok(()));

    service(threads)
        .remove_member(&caller, &thread.id, &caller.user.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn removing_someone_who_is_not_a_member_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_member().returning(|_, _| Ok(None));
    threads.expect_remove_member().never();

    let err = service(threads)
        .remove_member(&caller, &thread.id, &UserId::generate())
        .await
        .unwrap_err();

    assert!(is_not_found(&err, "member"), "{err:?}");
}
