//! The rules of API keys, against mocked storage: who may grant which scopes, that a
//! stranger's key does not exist, that rotation replaces the secret, that a refused write
//! writes nothing, and how a presented key becomes a caller limited to its scopes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use chrono::Duration as ChronoDuration;

use super::*;
use crate::{
    access::AccessControl,
    file::MockFileRepository,
    id::{ApiKeyId, ThreadId, UserId},
    json_object::Metadata,
    message::{MessageRole, MessageService, MockMessageRepository},
    precondition::Precondition,
    test_fixtures::{
        assert_forbidden, assert_invalid, assert_not_found, first_page, key_caller, new_message,
        principal, user,
    },
    thread::{CreateThread, MockThreadRepository, ThreadDescription, ThreadService, ThreadTitle},
    time,
    user::{AllowedDomains, MockUserRepository, Role, UserStatus},
    DomainError,
};

fn scopes(list: &[Scope]) -> Scopes {
    Scopes::new(list.iter().copied()).unwrap()
}

fn service(keys: MockApiKeyRepository, users: MockUserRepository) -> ApiKeyService {
    ApiKeyService::new(
        Arc::new(keys),
        Arc::new(users),
        AllowedDomains::new(["example.com".to_owned()]),
    )
}

/// A key of `owner` with `scopes`, last used long ago.
fn key_of(owner: &UserId, list: &[Scope]) -> ApiKey {
    let now = time::now();
    ApiKey {
        id: ApiKeyId::generate(),
        user_id: owner.clone(),
        name: ApiKeyName::parse("agent").unwrap(),
        scopes: scopes(list),
        prefix: "xl_abcdefgh".into(),
        created_at: now - ChronoDuration::days(1),
        updated_at: now - ChronoDuration::days(1),
        last_used_at: None,
        expires_at: None,
    }
}

/// A repository holding `key`, refusing every write.
fn holding(key: &ApiKey) -> MockApiKeyRepository {
    let mut keys = MockApiKeyRepository::new();
    let stored = key.clone();
    keys.expect_find()
        .returning(move |id| Ok((id == &stored.id).then(|| stored.clone())));
    keys
}

fn create(list: &[Scope], expires_at: Option<time::Timestamp>) -> CreateApiKey {
    CreateApiKey {
        name: ApiKeyName::parse("agent").unwrap(),
        scopes: scopes(list),
        expires_at,
    }
}

// ---------------------------------------------------------------------------------------
// creating

#[tokio::test]
async fn a_new_key_is_stored_by_the_hash_of_a_secret_shown_once() {
    let caller = principal(Role::User);
    let stored = Arc::new(Mutex::new(None));
    let mut keys = MockApiKeyRepository::new();
    let seen = stored.clone();
    keys.expect_insert().times(1).returning(move |new, _| {
        *seen.lock().unwrap() = Some(new.clone());
        Ok(new.key.clone())
    });
    let issued = service(keys, MockUserRepository::new())
        .create(&caller, create(&[Scope::ThreadsRead], None))
        .await
        .unwrap();
    let new = stored.lock().unwrap().clone().unwrap();
    assert!(issued.secret.expose().starts_with("xl_"));
    assert_eq!(new.secret_hash, issued.secret.hash());
    assert_ne!(new.secret_hash, issued.secret.expose());
    assert_eq!(new.key.prefix, issued.secret.shown_prefix());
    assert_eq!(new.key.user_id, caller.user.id);
    assert!(new.key.id.as_str().starts_with("key_"));
}

#[tokio::test]
async fn a_user_cannot_grant_admin_only_scopes_and_nothing_is_written() {
    for scope in [Scope::MessagesAssistant, Scope::Admin] {
        // No insert expected: a call would fail the test.
        let result = service(MockApiKeyRepository::new(), MockUserRepository::new())
            .create(
                &principal(Role::User),
                create(&[Scope::ThreadsRead, scope], None),
            )
            .await;
        assert_forbidden(result);
    }
}

#[tokio::test]
async fn an_admin_may_grant_admin_only_scopes() {
    let mut keys = MockApiKeyRepository::new();
    keys.expect_insert()
        .times(1)
        .returning(|new, _| Ok(new.key.clone()));
    let issued = service(keys, MockUserRepository::new())
        .create(
            &principal(Role::Admin),
            create(
                &[Scope::MessagesWrite, Scope::MessagesAssistant, Scope::Admin],
                None,
            ),
        )
        .await
        .unwrap();
    assert!(issued.key.scopes.contains(Scope::Admin));
}

#[tokio::test]
async fn an_expiry_in_the_past_is_refused_and_nothing_is_written() {
    let result = service(MockApiKeyRepository::new(), MockUserRepository::new())
        .create(
            &principal(Role::User),
            create(
                &[Scope::ThreadsRead],
                Some(time::now() - ChronoDuration::seconds(1)),
            ),
        )
        .await;
    assert_invalid(result, "expires_at");
}

#[tokio::test]
async fn keys_cannot_manage_keys() {
    let caller = key_caller(Role::Admin, &[Scope::Admin]);
    let own = key_of(&caller.user.id, &[Scope::ThreadsRead]);
    let svc = service(MockApiKeyRepository::new(), MockUserRepository::new());
    assert_forbidden(
        svc.create(&caller, create(&[Scope::ThreadsRead], None))
            .await,
    );
    assert_forbidden(svc.list(&caller, &first_page()).await);
    assert_forbidden(svc.rotate(&caller, &own.id, &Precondition::None).await);
    assert_forbidden(svc.delete(&caller, &own.id, &Precondition::None).await);
}

// ---------------------------------------------------------------------------------------
// changing, rotating, deleting

#[tokio::test]
async fn a_strangers_key_is_not_found_on_every_route_and_nothing_is_written() {
    let caller = principal(Role::Admin);
    let theirs = key_of(&UserId::generate(), &[Scope::ThreadsRead]);
    let svc = service(holding(&theirs), MockUserRepository::new());
    let changes = ApiKeyChanges {
        name: Some(ApiKeyName::parse("mine now").unwrap()),
        scopes: None,
    };
    assert_not_found(svc.get(&caller, &theirs.id).await, "api key");
    assert_not_found(
        svc.update(&caller, &theirs.id, changes, &Precondition::None)
            .await,
        "api key",
    );
    assert_not_found(
        svc.rotate(&caller, &theirs.id, &Precondition::None).await,
        "api key",
    );
    assert_not_found(
        svc.delete(&caller, &theirs.id, &Precondition::None).await,
        "api key",
    );
}

#[tokio::test]
async fn a_user_cannot_widen_a_key_to_admin_only_scopes() {
    let caller = principal(Role::User);
    let own = key_of(&caller.user.id, &[Scope::ThreadsRead]);
    let changes = ApiKeyChanges {
        name: None,
        scopes: Some(scopes(&[Scope::ThreadsRead, Scope::MessagesAssistant])),
    };
    let result = service(holding(&own), MockUserRepository::new())
        .update(&caller, &own.id, changes, &Precondition::None)
        .await;
    assert_forbidden(result);
}

#[tokio::test]
async fn changes_are_written_at_the_version_read_when_if_match_names_it() {
    let caller = principal(Role::User);
    let own = key_of(&caller.user.id, &[Scope::ThreadsRead]);
    let mut keys = holding(&own);
    let (version, id) = (own.updated_at, own.id.clone());
    keys.expect_update()
        .withf(move |asked, changes, expected, now, _| {
            asked == &id
                && changes
                    .scopes
                    .as_ref()
                    .is_some_and(|s| s.contains(Scope::MessagesRead))
                && *expected == Some(version)
                && *now > version
        })
        .times(1)
        .returning(move |_, _, _, _, _| Err(DomainError::PreconditionFailed));
    let changes = ApiKeyChanges {
        name: None,
        scopes: Some(scopes(&[Scope::MessagesRead])),
    };
    let tag = Precondition::IfMatch(vec![own.etag().as_str().to_owned()]);
    let result = service(keys, MockUserRepository::new())
        .update(&caller, &own.id, changes, &tag)
        .await;
    assert!(matches!(result, Err(DomainError::PreconditionFailed)));
}

#[tokio::test]
async fn rotation_stores_a_fresh_secret_by_its_hash() {
    let caller = principal(Role::User);
    let own = key_of(&caller.user.id, &[Scope::ThreadsRead]);
    let mut keys = holding(&own);
    let written = Arc::new(Mutex::new(String::new()));
    let seen = written.clone();
    let rotated = own.clone();
    keys.expect_rotate()
        .times(1)
        .returning(move |_, hash, prefix, expected, _, _| {
            assert_eq!(expected, None);
            *seen.lock().unwrap() = hash.to_owned();
            Ok(ApiKey {
                prefix: prefix.to_owned(),
                ..rotated.clone()
            })
        });
    let issued = service(keys, MockUserRepository::new())
        .rotate(&caller, &own.id, &Precondition::None)
        .await
        .unwrap();
    assert_eq!(*written.lock().unwrap(), issued.secret.hash());
    assert_eq!(issued.key.prefix, issued.secret.shown_prefix());
}

// ---------------------------------------------------------------------------------------
// authenticating

fn users_holding(owner: Option<crate::user::User>) -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users.expect_find().returning(move |_| Ok(owner.clone()));
    users
}

fn found_by_hash(key: &ApiKey, touches: usize) -> MockApiKeyRepository {
    let mut keys = MockApiKeyRepository::new();
    let stored = key.clone();
    keys.expect_find_by_secret_hash()
        .returning(move |_| Ok(Some(stored.clone())));
    keys.expect_touch()
        .times(touches)
        .returning(|_, _, _| Ok(()));
    keys
}

#[tokio::test]
async fn a_key_authenticates_as_its_owner_limited_to_its_scopes() {
    let owner = user(Role::Admin);
    let key = key_of(&owner.id, &[Scope::ThreadsRead]);
    let caller = service(found_by_hash(&key, 1), users_holding(Some(owner.clone())))
        .authenticate(ApiKeySecret::generate().expose())
        .await
        .unwrap();
    assert_eq!(caller.user.id, owner.id);
    assert_eq!(caller.role, Role::Admin);
    assert_eq!(caller.api_key.as_ref().map(|g| &g.id), Some(&key.id));
    assert!(caller.has_scope(Scope::ThreadsRead));
    assert_forbidden(caller.require_scope(Scope::ThreadsWrite));
    assert_forbidden(caller.require_scope(Scope::Admin));
}

#[tokio::test]
async fn last_used_at_is_written_at_most_once_a_minute() {
    let owner = user(Role::User);
    let mut key = key_of(&owner.id, &[Scope::ThreadsRead]);
    key.last_used_at = Some(time::now() - ChronoDuration::seconds(10));
    // A use ten seconds ago is recent enough: no write (`times(0)`).
    service(found_by_hash(&key, 0), users_holding(Some(owner.clone())))
        .authenticate(ApiKeySecret::generate().expose())
        .await
        .unwrap();
    key.last_used_at = Some(time::now() - ChronoDuration::seconds(61));
    service(found_by_hash(&key, 1), users_holding(Some(owner)))
        .authenticate(ApiKeySecret::generate().expose())
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_malformed_and_expired_keys_are_unauthorized() {
    let mut unknown = MockApiKeyRepository::new();
    unknown.expect_find_by_secret_hash().returning(|_| Ok(None));
    let svc = service(unknown, MockUserRepository::new());
    for presented in ["xl_nope", "not-a-key", ""] {
        let result = svc.authenticate(presented).await;
        assert!(
            matches!(result, Err(DomainError::Unauthorized(_))),
            "{presented}"
        );
    }

    let owner = user(Role::User);
    let mut expired = key_of(&owner.id, &[Scope::ThreadsRead]);
    expired.expires_at = Some(time::now() - ChronoDuration::seconds(1));
    let result = service(found_by_hash(&expired, 0), users_holding(Some(owner)))
        .authenticate(ApiKeySecret::generate().expose())
        .await;
    assert!(matches!(result, Err(DomainError::Unauthorized(_))));
}

#[tokio::test]
async fn a_suspended_owners_key_is_forbidden_and_a_deleted_owners_unauthorized() {
    let mut owner = user(Role::User);
    owner.status = UserStatus::Suspended;
    let key = key_of(&owner.id, &[Scope::ThreadsRead]);
    let result = service(found_by_hash(&key, 0), users_holding(Some(owner)))
        .authenticate(ApiKeySecret::generate().expose())
        .await;
    assert_forbidden(result);

    let result = service(found_by_hash(&key, 0), users_holding(None))
        .authenticate(ApiKeySecret::generate().expose())
        .await;
    assert!(matches!(result, Err(DomainError::Unauthorized(_))));
}

// ---------------------------------------------------------------------------------------
// scopes in the other services

/// Services whose ports expect nothing: any read or write would fail the test.
fn untouched_access() -> Arc<AccessControl> {
    Arc::new(AccessControl::new(
        Arc::new(MockThreadRepository::new()),
        Arc::new(MockMessageRepository::new()),
        Arc::new(MockFileRepository::new()),
    ))
}

#[tokio::test]
async fn a_read_only_key_cannot_write_and_nothing_is_read_or_written() {
    let caller = key_caller(Role::Admin, &[Scope::ThreadsRead, Scope::MessagesRead]);
    let threads = ThreadService::new(
        Arc::new(MockThreadRepository::new()),
        Arc::new(MockUserRepository::new()),
        untouched_access(),
    );
    let input = CreateThread {
        title: ThreadTitle::parse("Plans").unwrap(),
        description: ThreadDescription::default(),
        metadata: Metadata::default(),
        memory: crate::json_object::Memory::default(),
        pinned: false,
    };
    assert_forbidden(threads.create(&caller, input).await);
    let messages = MessageService::new(Arc::new(MockMessageRepository::new()), untouched_access());
    assert_forbidden(
        messages
            .create(
                &caller,
                &ThreadId::generate(),
                new_message(MessageRole::User),
            )
            .await,
    );
}

#[tokio::test]
async fn posting_as_assistant_needs_the_messages_assistant_scope() {
    let caller = key_caller(Role::Admin, &[Scope::MessagesWrite]);
    let messages = MessageService::new(Arc::new(MockMessageRepository::new()), untouched_access());
    for role in [
        MessageRole::Assistant,
        MessageRole::System,
        MessageRole::Tool,
    ] {
        assert_forbidden(
            messages
                .create(&caller, &ThreadId::generate(), new_message(role))
                .await,
        );
    }
}

#[test]
fn tokens_hold_every_scope() {
    let caller = principal(Role::User);
    for scope in Scope::ALL {
        assert!(caller.require_scope(scope).is_ok());
    }
}
