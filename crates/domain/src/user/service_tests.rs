//! The rules of [`UserService`], checked against `mockall` mocks of its ports.
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was written on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::{
    AllowedDomains, CreateUser, Email, MockUserRepository, NewUser, Role, User, UserChanges,
    UserFilter, UserName, UserService, UserStatus, UserView,
};
use crate::test_fixtures::{assert_forbidden, assert_precondition_failed};
use crate::{
    auth::{MockPasswordHasher, Password},
    id::UserId,
    pagination::{Limit, Page, PageRequest},
    precondition::Precondition,
    test_fixtures::{if_match, principal, stale, user},
    user::PasswordHash,
    DomainError,
};

fn allowed_domains() -> AllowedDomains {
    AllowedDomains::new(["example.com".to_owned()])
}

fn service(users: MockUserRepository) -> UserService {
    service_with(users, MockPasswordHasher::new())
}

fn service_with(users: MockUserRepository, hasher: MockPasswordHasher) -> UserService {
    UserService::new(Arc::new(users), Arc::new(hasher), allowed_domains())
}

/// A repository in which `stored` can be found (and nothing else is expected).
fn holding(stored: &User) -> MockUserRepository {
    let mut users = MockUserRepository::new();
    let stored = stored.clone();
    users
        .expect_find()
        .withf({
            let id = stored.id.clone();
            move |asked| asked == &id
        })
        .returning(move |_| Ok(Some(stored.clone())));
    users
}

/// A repository in which nobody can be found.
fn empty() -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|_| Ok(None));
    users
}

fn create_input(email: &str) -> CreateUser {
    CreateUser {
        email: Email::parse(email).unwrap(),
        name: UserName::parse("Grace").unwrap(),
        role: Role::User,
        password: Some(Password::parse("correct horse battery".to_owned()).unwrap()),
    }
}

fn rename() -> UserChanges {
    UserChanges {
        name: Some(UserName::parse("Ada L.").unwrap()),
        ..UserChanges::default()
    }
}

fn promote() -> UserChanges {
    UserChanges {
        role: Some(Role::Admin),
        ..UserChanges::default()
    }
}

fn suspend() -> UserChanges {
    UserChanges {
        status: Some(UserStatus::Suspended),
        ..UserChanges::default()
    }
}

// ---------------------------------------------------------------------------------------
// list and create

#[tokio::test]
async fn listing_users_needs_the_admin_role() {
    let mut users = MockUserRepository::new();
    users.expect_list().never();

    assert_forbidden(
        service(users)
            .list(
                &principal(Role::User),
                &UserFilter::default(),
                &PageRequest::first(Limit::DEFAULT),
            )
            .await,
    );
}

#[tokio::test]
async fn an_admin_may_list_users() {
    let mut users = MockUserRepository::new();
    users.expect_list().times(1).returning(|_, _| {
        Ok(Page {
            items: vec![user(Role::User)],
            next: None,
        })
    });

    let page = service(users)
        .list(
            &principal(Role::Admin),
            &UserFilter::default(),
            &PageRequest::first(Limit::DEFAULT),
        )
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn creating_a_user_needs_the_admin_role() {
    let mut users = MockUserRepository::new();
    users.expect_insert().never();

    assert_forbidden(
        service(users)
            .create(&principal(Role::User), create_input("grace@example.com"))
            .await,
    );
}

#[tokio::test]
async fn an_admin_cannot_create_a_user_outside_the_allowed_domains() {
    let mut users = MockUserRepository::new();
    users.expect_insert().never();

    assert_forbidden(
        service(users)
            .create(&principal(Role::Admin), create_input("grace@elsewhere.org"))
            .await,
    );
}

#[tokio::test]
async fn an_admin_creates_a_local_user_with_a_hashed_password() {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .withf(|password| password.expose() == "correct horse battery")
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$stored".to_owned())));
    let mut users = MockUserRepository::new();
    users
        .expect_insert()
        .withf(|new: &NewUser, _| {
            new.email.as_str() == "grace@example.com"
                && new.role == Role::User
                && new.password_hash.as_ref().map(PasswordHash::as_str) == Some("$argon2id$stored")
                && new.external_subject.is_none()
        })
        .times(1)
        .returning(|new, _| {
            let mut stored = user(new.role);
            stored.id = new.id.clone();
            stored.email = new.email.clone();
            Ok(stored)
        });

    let created = service_with(users, hasher)
        .create(&principal(Role::Admin), create_input("grace@example.com"))
        .await
        .unwrap();

    assert_eq!(created.email.as_str(), "grace@example.com");
}

// ---------------------------------------------------------------------------------------
// get

#[tokio::test]
async fn users_see_their_own_full_record() {
    let caller = principal(Role::User);

    let view = service(holding(&caller.user))
        .get(&caller, &caller.user.id)
        .await
        .unwrap();

    assert_eq!(view, UserView::Full(caller.user.clone()));
}

#[tokio::test]
async fn admins_see_the_full_record_of_anyone() {
    let other = user(Role::User);

    let view = service(holding(&other))
        .get(&principal(Role::Admin), &other.id)
        .await
        .unwrap();

    assert_eq!(view, UserView::Full(other));
}

#[tokio::test]
async fn users_see_only_the_public_profile_of_others() {
    let other = user(Role::User);

    let view = service(holding(&other))
        .get(&principal(Role::User), &other.id)
        .await
        .unwrap();

    assert_eq!(view, UserView::Public(other.public_profile()));
}

#[tokio::test]
async fn getting_an_unknown_user_is_not_found() {
    let err = service(empty())
        .get(&principal(Role::Admin), &UserId::generate())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// update

#[tokio::test]
async fn a_user_cannot_edit_someone_elses_profile() {
    let other = user(Role::User);
    let mut users = holding(&other);
    users.expect_update().never();

    assert_forbidden(
        service(users)
            .update(
                &principal(Role::User),
                &other.id,
                rename(),
                &Precondition::None,
            )
            .await,
    );
}

#[tokio::test]
async fn a_user_may_edit_their_own_profile() {
    let caller = principal(Role::User);
    let mut users = holding(&caller.user);
    let target = caller.user.clone();
    users
        .expect_update()
        .withf(move |id, changes, expected_updated_at, now, _| {
            // Without If-Match the write is unconditional, and moves the version forward.
            id == &target.id
                && changes == &rename()
                && expected_updated_at.is_none()
                && *now > target.updated_at
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(user(Role::User)));

    service(users)
        .update(&caller, &caller.user.id, rename(), &Precondition::None)
        .await
        .unwrap();
}

async fn change_own(role: Role, changes: UserChanges) -> DomainError {
    let caller = principal(role);
    let mut users = holding(&caller.user);
    users.expect_update().never();
    service(users)
        .update(&caller, &caller.user.id, changes, &Precondition::None)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_user_cannot_change_their_own_role() {
    let err = change_own(Role::User, promote()).await;

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_cannot_change_their_own_role() {
    let demote = UserChanges {
        role: Some(Role::User),
        ..UserChanges::default()
    };

    let err = change_own(Role::Admin, demote).await;

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_user_cannot_change_their_own_status() {
    let err = change_own(Role::User, suspend()).await;

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_cannot_change_their_own_status() {
    let err = change_own(Role::Admin, suspend()).await;

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_may_change_another_users_role() {
    let other = user(Role::User);
    let mut users = holding(&other);
    let target = other.clone();
    users
        .expect_update()
        .withf(move |id, changes, expected_updated_at, _, _| {
            id == &target.id && changes.role == Some(Role::Admin) && expected_updated_at.is_none()
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(user(Role::Admin)));

    let updated = service(users)
        .update(
            &principal(Role::Admin),
            &other.id,
            promote(),
            &Precondition::None,
        )
        .await
        .unwrap();

    assert_eq!(updated.role, Role::Admin);
}

#[tokio::test]
async fn an_admin_may_suspend_another_user_when_the_if_match_is_current() {
    let other = user(Role::User);
    let mut users = holding(&other);
    let read_at = other.updated_at;
    users
        .expect_update()
        // With If-Match the write is conditional on the version that was checked.
        .withf(move |_, changes, expected, _, _| {
            changes.status == Some(UserStatus::Suspended) && *expected == Some(read_at)
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(user(Role::User)));
    let current = if_match(other.etag());

    service(users)
        .update(&principal(Role::Admin), &other.id, suspend(), &current)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_if_match_fails_the_update_without_writing() {
    let caller = principal(Role::User);
    let mut users = holding(&caller.user);
    users.expect_update().never();

    assert_precondition_failed(
        service(users)
            .update(&caller, &caller.user.id, rename(), &stale())
            .await,
    );
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_nothing() {
    let caller = principal(Role::User);
    let mut users = holding(&caller.user);
    users.expect_update().never();

    let unchanged = service(users)
        .update(
            &caller,
            &caller.user.id,
            UserChanges::default(),
            &Precondition::None,
        )
        .await
        .unwrap();

    assert_eq!(unchanged, caller.user);
}

#[tokio::test]
async fn updating_an_unknown_user_is_not_found() {
    let mut users = empty();
    users.expect_update().never();

    let err = service(users)
        .update(
            &principal(Role::Admin),
            &UserId::generate(),
            rename(),
            &Precondition::None,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// the audit log

#[tokio::test]
async fn a_role_and_status_change_each_record_old_and_new_in_the_write() {
    let admin = principal(Role::Admin);
    let target = user(Role::User);
    let mut users = holding(&target);
    let (id, admin_id) = (target.id.clone(), admin.user.id.clone());
    users
        .expect_update()
        .withf(move |_, _, _, _, audit| {
            let [role, status] = audit else {
                return false;
            };
            role.action == crate::audit::AuditAction::UserRoleChanged
                && role.details == r#"{"from":"USER","to":"ADMIN"}"#
                && status.action == crate::audit::AuditAction::UserStatusChanged
                && status.details == r#"{"from":"active","to":"suspended"}"#
                && audit.iter().all(|entry| {
                    entry.actor_id.as_ref() == Some(&admin_id)
                        && entry.resource_id.as_deref() == Some(id.as_str())
                        && entry.ip.as_deref() == Some("192.0.2.1")
                })
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(user(Role::Admin)));
    let changes = UserChanges {
        status: Some(UserStatus::Suspended),
        ..promote()
    };
    service(users)
        .update(&admin, &target.id, changes, &Precondition::None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_profile_edit_records_nothing() {
    let caller = principal(Role::User);
    let mut users = holding(&caller.user);
    users
        .expect_update()
        .withf(|_, _, _, _, audit| audit.is_empty())
        .times(1)
        .returning(|_, _, _, _, _| Ok(user(Role::User)));
    service(users)
        .update(&caller, &caller.user.id, rename(), &Precondition::None)
        .await
        .unwrap();
}
