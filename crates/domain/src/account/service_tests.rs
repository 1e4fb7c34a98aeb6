//! The rules of [`AccountService`], checked against `mockall` mocks of its ports.
//!
//! A port method a test sets no expectation for panics when called, so a refusal also
//! proves that nothing was erased or read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::{AccountService, Erased, MockAccountRepository};
use crate::{
    api_key::{KeyGrant, Scope, Scopes},
    audit::{AuditAction, MockAuditLog},
    auth::{MockPasswordHasher, Password, Principal},
    file::{MockBlobStore, MockFileRepository, Sha256Digest},
    id::{ApiKeyId, UserId},
    precondition::Precondition,
    test_fixtures::{assert_forbidden, assert_precondition_failed, principal, stale, user},
    user::{MockUserRepository, PasswordHash, Role, UserCredentials},
    DomainError,
};

struct Mocks {
    accounts: MockAccountRepository,
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    files: MockFileRepository,
    blobs: MockBlobStore,
    audit: MockAuditLog,
}

impl Mocks {
    fn new() -> Self {
        Self {
            accounts: MockAccountRepository::new(),
            users: MockUserRepository::new(),
            hasher: MockPasswordHasher::new(),
            files: MockFileRepository::new(),
            blobs: MockBlobStore::new(),
            audit: MockAuditLog::new(),
        }
    }

    fn service(self) -> AccountService {
        AccountService::new(
            Arc::new(self.accounts),
            Arc::new(self.users),
            Arc::new(self.hasher),
            Arc::new(self.files),
            Arc::new(self.blobs),
            Arc::new(self.audit),
        )
    }

    /// The caller's account has a password, which `matches` or not.
    fn with_password(mut self, caller: &Principal, matches: bool) -> Self {
        let stored = caller.user.clone();
        self.users.expect_find_credentials().returning(move |_| {
            Ok(Some(UserCredentials {
                user: stored.clone(),
                password_hash: Some(PasswordHash::new("$argon2id$stored".to_owned())),
            }))
        });
        self.hasher
            .expect_verify()
            .returning(move |_, _| Ok(matches));
        self
    }
}

fn key_caller() -> Principal {
    let mut caller = principal(Role::User);
    caller.api_key = Some(KeyGrant {
        id: ApiKeyId::generate(),
        scopes: Scopes::new([Scope::Admin, Scope::ThreadsRead]).unwrap(),
    });
    caller
}

fn password() -> Option<Password> {
    Some(Password::parse("correct horse battery".to_owned()).unwrap())
}

// ---------------------------------------------------------------------------------------
// erase_self

#[tokio::test]
async fn erasing_oneself_with_the_password_erases_and_then_removes_the_bytes() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new().with_password(&caller, true);
    let id = caller.user.id.clone();
    let digest = Sha256Digest::of_digest(&[1; 32]);
    let erased_digest = digest.clone();
    mocks
        .accounts
        .expect_erase()
        .withf(move |e| {
            e.user_id == id
                && e.actor_id == id
                && e.expected_updated_at.is_none()
                && e.audit.action == AuditAction::UserDeleted
                && e.audit.actor_id.as_ref() == Some(&id)
                && e.audit.resource_type.as_deref() == Some("user")
                && e.audit.resource_id.as_deref() == Some(id.as_str())
                && e.audit.details == r#"{"by_self":true}"#
        })
        .times(1)
        .returning(move |_| {
            Ok(Erased {
                threads: vec![],
                blobs: vec![erased_digest.clone()],
            })
        });
    mocks
        .files
        .expect_collect_blob()
        .withf(move |d, _| d == &digest)
        .times(1)
        .returning(|_, _| Ok(true));

    mocks
        .service()
        .erase_self(&caller, password())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_tombstone_email_is_unique_and_unroutable() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new().with_password(&caller, true);
    let expected = format!("{}@erased.invalid", caller.user.id);
    mocks
        .accounts
        .expect_erase()
        .withf(move |e| e.tombstone_email.as_str() == expected)
        .times(1)
        .returning(|_| Ok(Erased::default()));

    mocks
        .service()
        .erase_self(&caller, password())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_password_erases_nothing() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new().with_password(&caller, false);
    mocks.accounts.expect_erase().never();

    assert_forbidden(mocks.service().erase_self(&caller, password()).await);
}

#[tokio::test]
async fn a_missing_password_is_a_validation_error() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new().with_password(&caller, true);
    mocks.accounts.expect_erase().never();

    let err = mocks.service().erase_self(&caller, None).await.unwrap_err();

    assert!(matches!(err, DomainError::Validation(_)), "{err:?}");
}

#[tokio::test]
async fn an_account_without_a_password_needs_none() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new();
    let stored = caller.user.clone();
    mocks.users.expect_find_credentials().returning(move |_| {
        Ok(Some(UserCredentials {
            user: stored.clone(),
            password_hash: None,
        }))
    });
    mocks
        .accounts
        .expect_erase()
        .times(1)
        .returning(|_| Ok(Erased::default()));

    mocks.service().erase_self(&caller, None).await.unwrap();
}

#[tokio::test]
async fn an_api_key_cannot_erase_an_account() {
    let mut mocks = Mocks::new();
    mocks.accounts.expect_erase().never();

    assert_forbidden(mocks.service().erase_self(&key_caller(), password()).await);
}

#[tokio::test]
async fn the_last_admin_conflict_comes_back_and_nothing_else_runs() {
    let caller = principal(Role::Admin);
    let mut mocks = Mocks::new().with_password(&caller, true);
    mocks.accounts.expect_erase().returning(|_| {
        Err(DomainError::Conflict(
            "the last active ADMIN cannot be deleted",
        ))
    });
    mocks.files.expect_collect_blob().never();

    let err = mocks
        .service()
        .erase_self(&caller, password())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn bytes_that_cannot_be_removed_yet_do_not_fail_the_erasure() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new().with_password(&caller, true);
    mocks.accounts.expect_erase().returning(|_| {
        Ok(Erased {
            threads: vec![],
            blobs: vec![
                Sha256Digest::of_digest(&[2; 32]),
                Sha256Digest::of_digest(&[3; 32]),
            ],
        })
    });
    mocks
        .files
        .expect_collect_blob()
        .times(2)
        .returning(|_, _| Err(DomainError::StorageFull));

    mocks
        .service()
        .erase_self(&caller, password())
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// erase_user (ADMIN)

#[tokio::test]
async fn an_admin_erases_another_user_as_the_actor() {
    let caller = principal(Role::Admin);
    let target = user(Role::User);
    let mut mocks = Mocks::new();
    let stored = target.clone();
    mocks
        .users
        .expect_find()
        .returning(move |_| Ok(Some(stored.clone())));
    let (id, admin) = (target.id.clone(), caller.user.id.clone());
    mocks
        .accounts
        .expect_erase()
        .withf(move |e| {
            e.user_id == id
                && e.actor_id == admin
                && e.audit.action == AuditAction::UserDeleted
                && e.audit.actor_id.as_ref() == Some(&admin)
                && e.audit.resource_type.as_deref() == Some("user")
                && e.audit.resource_id.as_deref() == Some(id.as_str())
                && e.audit.details == r#"{"by_self":false}"#
        })
        .times(1)
        .returning(|_| Ok(Erased::default()));

    mocks
        .service()
        .erase_user(&caller, &target.id, &Precondition::None)
        .await
        .unwrap();
}

#[tokio::test]
async fn erasing_a_user_needs_the_admin_role() {
    let mut mocks = Mocks::new();
    mocks.accounts.expect_erase().never();

    assert_forbidden(
        mocks
            .service()
            .erase_user(
                &principal(Role::User),
                &UserId::generate(),
                &Precondition::None,
            )
            .await,
    );
}

#[tokio::test]
async fn an_admin_cannot_erase_themselves_through_the_admin_route() {
    let caller = principal(Role::Admin);
    let mut mocks = Mocks::new();
    mocks.accounts.expect_erase().never();

    assert_forbidden(
        mocks
            .service()
            .erase_user(&caller, &caller.user.id, &Precondition::None)
            .await,
    );
}

#[tokio::test]
async fn erasing_an_unknown_user_is_not_found() {
    let mut mocks = Mocks::new();
    mocks.users.expect_find().returning(|_| Ok(None));
    mocks.accounts.expect_erase().never();

    let err = mocks
        .service()
        .erase_user(
            &principal(Role::Admin),
            &UserId::generate(),
            &Precondition::None,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound("user")), "{err:?}");
}

#[tokio::test]
async fn a_stale_if_match_erases_nothing() {
    let target = user(Role::User);
    let mut mocks = Mocks::new();
    let stored = target.clone();
    mocks
        .users
        .expect_find()
        .returning(move |_| Ok(Some(stored.clone())));
    mocks.accounts.expect_erase().never();

    assert_precondition_failed(
        mocks
            .service()
            .erase_user(&principal(Role::Admin), &target.id, &stale())
            .await,
    );
}

// ---------------------------------------------------------------------------------------
// export

#[tokio::test]
async fn an_api_key_cannot_export() {
    let mut mocks = Mocks::new();
    mocks.audit.expect_append().never();

    assert_forbidden(mocks.service().export(&key_caller()).await.map(|_| ()));
}

#[tokio::test]
async fn an_export_is_recorded_by_the_caller_on_their_account() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new();
    let id = caller.user.id.clone();
    mocks
        .audit
        .expect_append()
        .withf(move |e| {
            e.action == AuditAction::AccountExported
                && e.actor_id.as_ref() == Some(&id)
                && e.actor_email.as_deref() == Some("ada@example.com")
                && e.resource_type.as_deref() == Some("user")
                && e.resource_id.as_deref() == Some(id.as_str())
                && e.ip.as_deref() == Some("192.0.2.1")
        })
        .times(1)
        .returning(|_| Ok(()));

    let export = mocks.service().export(&caller).await.unwrap();

    assert_eq!(export.user.id, caller.user.id);
}

#[tokio::test]
async fn an_export_that_cannot_be_recorded_fails_and_gives_its_turn_back() {
    let caller = principal(Role::User);
    let mut mocks = Mocks::new();
    let mut fail = true;
    mocks.audit.expect_append().times(2).returning(move |_| {
        if std::mem::take(&mut fail) {
            Err(DomainError::Unexpected(anyhow::anyhow!(
                "the audit log is unavailable"
            )))
        } else {
            Ok(())
        }
    });
    let service = mocks.service();

    let err = service.export(&caller).await.map(|_| ()).unwrap_err();

    assert!(matches!(err, DomainError::Unexpected(_)), "{err:?}");
    // The failed start held no turn: the next export may run.
    service.export(&caller).await.unwrap();
}

#[tokio::test]
async fn one_export_per_user_at_a_time_and_the_turn_returns_when_dropped() {
    let mut mocks = Mocks::new();
    mocks.audit.expect_append().times(3).returning(|_| Ok(()));
    let service = mocks.service();
    let caller = principal(Role::User);
    let other = principal(Role::User);

    let first = service.export(&caller).await.unwrap();
    let second = service.export(&caller).await.map(|_| ());
    assert!(
        matches!(second, Err(DomainError::Conflict(_))),
        "{second:?}"
    );
    // Someone else's export is not held up.
    let _theirs = service.export(&other).await.unwrap();

    drop(first);
    service.export(&caller).await.unwrap();
}
