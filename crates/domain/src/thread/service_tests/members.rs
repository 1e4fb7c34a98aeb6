//! A thread's members: listing them, adding them by id or email, changing their role and
//! removing them; only owners manage members, anyone may leave, and the last owner stays.

use super::*;
use crate::test_fixtures::{assert_forbidden, assert_invalid, assert_not_found};

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

#[tokio::test]
async fn a_non_member_cannot_list_the_members_of_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, None);
    threads.expect_members().never();

    assert_not_found(
        service(threads)
            .members(&caller, &thread.id, &first_page())
            .await,
        "thread",
    );
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

    assert_invalid(
        service(threads).members(&caller, &thread.id, &page).await,
        "cursor",
    );
}

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

    assert_invalid(
        service_with(threads, users)
            .add_member(
                &caller,
                &thread.id,
                Invitee::Email(Email::parse("nobody@example.com").unwrap()),
                MemberRole::Editor,
            )
            .await,
        "email",
    );
}

#[tokio::test]
async fn adding_an_unknown_user_id_is_a_validation_error_on_user_id() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|_| Ok(None));
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    threads.expect_add_member().never();

    assert_invalid(
        service_with(threads, users)
            .add_member(
                &caller,
                &thread.id,
                Invitee::Id(UserId::generate()),
                MemberRole::Editor,
            )
            .await,
        "user_id",
    );
}

#[tokio::test]
async fn an_editor_cannot_add_members() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_add_member().never();
    let mut users = MockUserRepository::new();
    users.expect_find().never();

    assert_forbidden(
        service_with(threads, users)
            .add_member(
                &caller,
                &thread.id,
                Invitee::Id(UserId::generate()),
                MemberRole::Viewer,
            )
            .await,
    );
}

#[tokio::test]
async fn an_editor_cannot_change_roles() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Editor));
    threads.expect_change_role().never();

    assert_forbidden(
        service(threads)
            .change_member_role(&caller, &thread.id, &caller.user.id, MemberRole::Owner)
            .await,
    );
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

    assert_not_found(
        service(threads)
            .change_member_role(&caller, &thread.id, &UserId::generate(), MemberRole::Editor)
            .await,
        "member",
    );
}

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

    assert_forbidden(
        service(threads)
            .remove_member(&caller, &thread.id, &other)
            .await,
    );
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

    assert_not_found(
        service(threads)
            .remove_member(&caller, &thread.id, &UserId::generate())
            .await,
        "member",
    );
}
