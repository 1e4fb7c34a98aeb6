//! A thread's members: listing them, adding them by id or email, changing their role and
//! removing them; only owners manage members, anyone may leave, and the last owner stays.

use super::*;
use crate::test_fixtures::{assert_refused, Refusal};

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

/// An owner of a thread in which someone else is a member with `role`: the caller, the
/// thread, the other member and the repository that holds them.
fn owner_and_member(role: MemberRole) -> (Principal, Thread, UserId, MockThreadRepository) {
    let (caller, thread) = (principal(Role::User), thread());
    let other = UserId::generate();
    let mut threads = where_caller_is(&caller, &thread, Some(MemberRole::Owner));
    with_member(&mut threads, &thread, &other, role);
    (caller, thread, other, threads)
}

/// A caller who is a member of a thread with `role`, and the repository that holds them.
fn member_as(role: MemberRole) -> (Principal, Thread, MockThreadRepository) {
    let (caller, thread) = (principal(Role::User), thread());
    let mut threads = where_caller_is(&caller, &thread, Some(role));
    with_member(&mut threads, &thread, &caller.user.id, role);
    (caller, thread, threads)
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
        .withf(move |asked, who, role, _, event: &NewEvent, audit| {
            asked == &id
                && who == &new_member
                && *role == MemberRole::Editor
                && event.kind == EventKind::MemberAdded
                && event.thread_id == id
                && event.actor_id == me
                && event.payload["role"] == "editor"
                // The audit entry goes into the same write, naming actor, thread and member.
                && audit.action == crate::audit::AuditAction::MemberAdded
                && audit.actor_id.as_ref() == Some(&me)
                && audit.resource_type.as_deref() == Some("thread")
                && audit.resource_id.as_deref() == Some(id.as_str())
                && audit.details.contains(new_member.as_str())
        })
        .times(1)
        .returning(|_, who, role, _, _, _| Ok(member(who, role)));

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
        .withf(move |_, who, _, _, _, _| who == &new_member)
        .times(1)
        .returning(|_, who, role, _, _, _| Ok(member(who, role)));

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
async fn an_owner_changes_a_members_role_and_records_member_updated() {
    let (caller, thread, other, mut threads) = owner_and_member(MemberRole::Viewer);
    let (id, me, target) = (thread.id.clone(), caller.user.id.clone(), other.clone());
    threads
        .expect_change_role()
        .withf(move |asked, who, role, event: &NewEvent, _| {
            asked == &id
                && who == &target
                && *role == MemberRole::Editor
                && event.kind == EventKind::MemberUpdated
                && event.thread_id == id
                && event.actor_id == me
        })
        .times(1)
        .returning(|_, who, role, _, _| Ok(member(who, role)));

    let changed = service(threads)
        .change_member_role(&caller, &thread.id, &other, MemberRole::Editor)
        .await
        .unwrap();

    assert_eq!(changed.role, MemberRole::Editor);
}

#[tokio::test]
async fn giving_a_member_the_role_they_have_writes_nothing() {
    let (caller, thread, other, mut threads) = owner_and_member(MemberRole::Editor);
    threads.expect_change_role().never();
    threads.expect_count_owners().never();

    let unchanged = service(threads)
        .change_member_role(&caller, &thread.id, &other, MemberRole::Editor)
        .await
        .unwrap();

    assert_eq!(unchanged.role, MemberRole::Editor);
}

#[tokio::test]
async fn an_owner_may_be_demoted_while_another_owner_remains() {
    let (caller, thread, other, mut threads) = owner_and_member(MemberRole::Owner);
    threads.expect_count_owners().times(1).returning(|_| Ok(2));
    threads
        .expect_change_role()
        .times(1)
        .returning(|_, who, role, _, _| Ok(member(who, role)));

    let changed = service(threads)
        .change_member_role(&caller, &thread.id, &other, MemberRole::Viewer)
        .await
        .unwrap();

    assert_eq!(changed.role, MemberRole::Viewer);
}

#[tokio::test]
async fn a_member_may_leave_a_thread() {
    let (caller, thread, mut threads) = member_as(MemberRole::Viewer);
    let (id, me) = (thread.id.clone(), caller.user.id.clone());
    threads
        .expect_remove_member()
        .withf(move |asked, who, event: &NewEvent, _| {
            asked == &id
                && who == &me
                && event.kind == EventKind::MemberRemoved
                && event.thread_id == id
                && event.actor_id == me
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    service(threads)
        .remove_member(&caller, &thread.id, &caller.user.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_owner_removes_another_member() {
    let (caller, thread, other, mut threads) = owner_and_member(MemberRole::Editor);
    threads.expect_count_owners().never();
    let target = other.clone();
    threads
        .expect_remove_member()
        .withf(move |_, who, _, _| who == &target)
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    service(threads)
        .remove_member(&caller, &thread.id, &other)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_owner_may_leave_while_another_owner_remains() {
    let (caller, thread, mut threads) = member_as(MemberRole::Owner);
    threads.expect_count_owners().times(1).returning(|_| Ok(2));
    threads
        .expect_remove_member()
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    service(threads)
        .remove_member(&caller, &thread.id, &caller.user.id)
        .await
        .unwrap();
}

/// A members operation, for the tables of refusals.
enum Attempt {
    List(PageRequest),
    Add(Invitee, MemberRole),
    ChangeRole(MemberRole),
    Remove,
}

/// Runs `attempt` as `caller` on `thread`, against `target` where it names a member.
async fn attempt(
    service: &ThreadService,
    caller: &Principal,
    thread: &Thread,
    target: &UserId,
    attempt: Attempt,
) -> DomainResult<()> {
    let id = &thread.id;
    match attempt {
        Attempt::List(page) => service.members(caller, id, &page).await.map(drop),
        Attempt::Add(invitee, role) => service
            .add_member(caller, id, invitee, role)
            .await
            .map(drop),
        Attempt::ChangeRole(role) => service
            .change_member_role(caller, id, target, role)
            .await
            .map(drop),
        Attempt::Remove => service.remove_member(caller, id, target).await,
    }
}

/// A thread repository in which `caller` has `role` and nothing may be written.
fn read_only(
    caller: &Principal,
    thread: &Thread,
    role: Option<MemberRole>,
) -> MockThreadRepository {
    let mut threads = where_caller_is(caller, thread, role);
    threads.expect_add_member().never();
    threads.expect_change_role().never();
    threads.expect_remove_member().never();
    threads
}

#[tokio::test]
async fn refusals_that_look_nobody_up_write_nothing() {
    use Attempt::{Add, ChangeRole, List, Remove};
    use MemberRole::{Editor, Owner, Viewer};
    use Refusal::{Forbidden, Invalid, NotFound};
    let not_a_user = PageRequest {
        limit: Limit::DEFAULT,
        after: Some(Cursor::after("msg_not-a-user")),
    };
    let cases = [
        (
            "a non-member listing",
            None,
            List(first_page()),
            NotFound("thread"),
        ),
        (
            "a cursor that is no user id",
            Some(Owner),
            List(not_a_user),
            Invalid("cursor"),
        ),
        (
            "an editor adding",
            Some(Editor),
            Add(Invitee::Id(UserId::generate()), Viewer),
            Forbidden,
        ),
        (
            "an editor changing a role",
            Some(Editor),
            ChangeRole(Owner),
            Forbidden,
        ),
        (
            "an editor removing another",
            Some(Editor),
            Remove,
            Forbidden,
        ),
    ];
    for (case, role, action, refusal) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let mut threads = read_only(&caller, &thread, role);
        threads.expect_members().never();
        threads.expect_member().never();
        let mut users = MockUserRepository::new();
        users.expect_find().never();
        users.expect_find_credentials().never();
        // Changing a role names the caller; removing names someone else.
        let target = match action {
            Remove => UserId::generate(),
            _ => caller.user.id.clone(),
        };

        let service = service_with(threads, users);
        let result = attempt(&service, &caller, &thread, &target, action).await;

        assert_refused(case, result, refusal);
    }
}

#[tokio::test]
async fn naming_someone_who_is_not_there_writes_nothing() {
    use Attempt::{Add, ChangeRole, Remove};
    let email = || Invitee::Email(Email::parse("nobody@example.com").unwrap());
    let cases = [
        (
            "adding an unknown email",
            Add(email(), MemberRole::Editor),
            Refusal::Invalid("email"),
        ),
        (
            "adding an unknown user id",
            Add(Invitee::Id(UserId::generate()), MemberRole::Editor),
            Refusal::Invalid("user_id"),
        ),
        (
            "changing the role of a non-member",
            ChangeRole(MemberRole::Editor),
            Refusal::NotFound("member"),
        ),
        ("removing a non-member", Remove, Refusal::NotFound("member")),
    ];
    for (case, action, refusal) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let mut threads = read_only(&caller, &thread, Some(MemberRole::Owner));
        let mut users = MockUserRepository::new();
        match &action {
            Add(Invitee::Email(_), _) => {
                users.expect_find_credentials().returning(|_| Ok(None));
            }
            Add(Invitee::Id(_), _) => {
                users.expect_find().returning(|_| Ok(None));
            }
            _ => {
                threads.expect_member().returning(|_, _| Ok(None));
            }
        }

        let service = service_with(threads, users);
        let result = attempt(&service, &caller, &thread, &UserId::generate(), action).await;

        assert_refused(case, result, refusal);
    }
}

#[tokio::test]
async fn the_last_owner_can_neither_be_demoted_nor_leave() {
    let cases = [
        ("demoting", Attempt::ChangeRole(MemberRole::Editor)),
        ("leaving", Attempt::Remove),
    ];
    for (case, action) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let mut threads = read_only(&caller, &thread, Some(MemberRole::Owner));
        with_member(&mut threads, &thread, &caller.user.id, MemberRole::Owner);
        threads.expect_count_owners().returning(|_| Ok(1));

        let service = service(threads);
        let result = attempt(&service, &caller, &thread, &caller.user.id, action).await;

        assert_refused(case, result, Refusal::Conflict);
    }
}
