//! The rules of [`AuthService`], checked against `mockall` mocks of its ports.
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was stored, rotated or issued on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Duration as ChronoDuration;

use super::{
    AuthPolicy, AuthService, Claims, ClientInfo, MockPasswordHasher, MockSessionRepository,
    MockTokenCodec, Principal, RefreshToken, RefreshTokenRecord, Registration, Rotation, Session,
};
use crate::{
    id::{SessionId, UserId},
    test_fixtures::claims,
    time::{self, Timestamp},
    user::{
        AllowedDomains, Email, MockUserRepository, NewUser, PasswordHash, Preferences, Role, User,
        UserCredentials, UserName, UserStatus,
    },
    DomainError,
};

const ALLOWED_DOMAIN: &str = "example.com";
const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

fn policy() -> AuthPolicy {
    AuthPolicy {
        allowed_domains: AllowedDomains::new([ALLOWED_DOMAIN.to_owned()]),
        allow_registration: true,
        access_token_ttl: ACCESS_TTL,
        refresh_token_ttl: REFRESH_TTL,
    }
}

/// An active USER at the allowed domain.
fn user() -> User {
    user_with_email("ada@example.com")
}

fn user_with_email(email: &str) -> User {
    let now = time::now();
    User {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        name: UserName::parse("Ada").unwrap(),
        avatar_url: None,
        role: Role::User,
        status: UserStatus::Active,
        preferences: Preferences::default(),
        created_at: now,
        updated_at: now,
    }
}

fn suspended(mut user: User) -> User {
    user.status = UserStatus::Suspended;
    user
}

/// What the repository would return for `new`.
fn stored(new: &NewUser) -> User {
    User {
        id: new.id.clone(),
        email: new.email.clone(),
        name: new.name.clone(),
        avatar_url: None,
        role: new.role,
        status: UserStatus::Active,
        preferences: Preferences::default(),
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

/// `user` as a caller signed in under `session_id`.
fn principal_of(user: User, session_id: Option<SessionId>) -> Principal {
    Principal {
        role: user.role,
        claims: claims(&user, session_id.as_ref()),
        user,
        session_id,
    }
}

/// A live session of `user_id`.
fn session(user_id: &UserId) -> Session {
    let now = time::now();
    Session {
        id: SessionId::generate(),
        user_id: user_id.clone(),
        created_at: now - ChronoDuration::hours(1),
        last_used_at: now - ChronoDuration::hours(1),
        expires_at: now + ChronoDuration::days(1),
        revoked_at: None,
        user_agent: None,
        ip: None,
    }
}

fn record(session: Session, used_at: Option<Timestamp>) -> RefreshTokenRecord {
    RefreshTokenRecord { session, used_at }
}

/// The claims of a token minted by an external identity provider.
fn external_claims(subject: &str) -> Claims {
    let now = time::now().timestamp();
    Claims {
        subject: subject.to_owned(),
        email: "grace@example.com".to_owned(),
        name: "Grace".to_owned(),
        role: Role::User,
        issued_at: now,
        expires_at: now + 900,
        session_id: None,
    }
}

fn registration(email: &str) -> Registration {
    Registration::parse(email, "correct horse battery".to_owned(), "Ada").unwrap()
}

/// The four ports of the service; set expectations, then call [`Ports::service`].
#[derive(Default)]
struct Ports {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenCodec,
}

impl Ports {
    fn service(self) -> AuthService {
        self.service_with(policy())
    }

    fn service_with(mut self, policy: AuthPolicy) -> AuthService {
        // Expectations match first-set-first, so a test's own `can_issue` wins over this.
        self.tokens.expect_can_issue().return_const(true);
        AuthService::new(
            Arc::new(self.users),
            Arc::new(self.sessions),
            Arc::new(self.hasher),
            Arc::new(self.tokens),
            policy,
        )
    }

    /// Sessions are stored as asked and access tokens are issued.
    fn signing_in(mut self) -> Self {
        self.sessions
            .expect_create()
            .returning(|id, user_id, _, client, now, expires_at| {
                Ok(Session {
                    id: id.clone(),
                    user_id: user_id.clone(),
                    created_at: now,
                    last_used_at: now,
                    expires_at,
                    revoked_at: None,
                    user_agent: client.user_agent.clone(),
                    ip: client.ip.clone(),
                })
            });
        self.tokens
            .expect_issue()
            .returning(|_| Ok("access-token".to_owned()));
        self
    }

    /// Registration: passwords hash, `count` users exist, inserts succeed.
    fn registering(mut self, count: u64) -> Self {
        self.hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$stored".to_owned())));
        self.users.expect_count().returning(move || Ok(count));
        self.signing_in()
    }

    /// Login: `email` has an account of `user` with a stored hash, and the hasher
    /// answers `matches`.
    fn with_credentials(mut self, user: User, matches: bool) -> Self {
        self.users.expect_find_credentials().returning(move |_| {
            Ok(Some(UserCredentials {
                user: user.clone(),
                password_hash: Some(PasswordHash::new("$argon2id$stored".to_owned())),
            }))
        });
        self.hasher
            .expect_verify()
            .times(1)
            .returning(move |_, _| Ok(matches));
        self
    }
}

// ---------------------------------------------------------------------------------------
// register

#[tokio::test]
async fn registering_while_registration_is_disabled_is_forbidden() {
    let service = Ports::default().service_with(AuthPolicy {
        allow_registration: false,
        ..policy()
    });

    let err = service
        .register(registration("ada@example.com"), &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn registering_with_an_email_outside_the_allowed_domains_is_forbidden() {
    let service = Ports::default().service();

    let err = service
        .register(registration("ada@elsewhere.org"), &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn the_first_registered_user_becomes_admin() {
    let mut ports = Ports::default().registering(0);
    ports
        .users
        .expect_insert_as_first_admin()
        .withf(|new: &NewUser| new.role == Role::Admin)
        .times(1)
        .returning(|new| Ok(Some(stored(new))));
    ports.users.expect_insert().never();

    let signed_in = ports
        .service()
        .register(registration("ada@example.com"), &ClientInfo::default())
        .await
        .unwrap();

    assert_eq!(signed_in.user.role, Role::Admin);
}

#[tokio::test]
async fn a_registration_that_loses_the_race_for_first_admin_is_a_plain_user() {
    let mut ports = Ports::default().registering(0);
    ports
        .users
        .expect_insert_as_first_admin()
        .times(1)
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser| new.role == Role::User)
        .times(1)
        .returning(|new| Ok(stored(new)));

    let signed_in = ports
        .service()
        .register(registration("ada@example.com"), &ClientInfo::default())
        .await
        .unwrap();

    assert_eq!(signed_in.user.role, Role::User);
}

#[tokio::test]
async fn users_registered_after_the_first_are_plain_users() {
    let mut ports = Ports::default().registering(1);
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser| new.role == Role::User)
        .times(1)
        .returning(|new| Ok(stored(new)));

    let signed_in = ports
        .service()
        .register(registration("ada@example.com"), &ClientInfo::default())
        .await
        .unwrap();

    assert_eq!(signed_in.user.role, Role::User);
}

#[tokio::test]
async fn a_registered_user_is_stored_with_the_password_hash_and_no_external_subject() {
    let mut ports = Ports::default().registering(3);
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser| {
            new.email.as_str() == "ada@example.com"
                && new.password_hash.as_ref().map(PasswordHash::as_str) == Some("$argon2id$stored")
                && new.external_subject.is_none()
        })
        .times(1)
        .returning(|new| Ok(stored(new)));

    ports
        .service()
        .register(registration("Ada@Example.com"), &ClientInfo::default())
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// login

async fn login_with_unknown_email() -> DomainError {
    let mut ports = Ports::default();
    ports
        .users
        .expect_find_credentials()
        .returning(|_| Ok(None));
    // Checked anyway, against a dummy hash, so that refusing takes as long as for a
    // wrong password.
    ports
        .hasher
        .expect_verify()
        .withf(|_, hash| hash.as_str().starts_with("$argon2id$"))
        .times(1)
        .returning(|_, _| Ok(false));
    ports
        .service()
        .login(
            "nobody@example.com",
            "correct horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err()
}

async fn login_with_wrong_password() -> DomainError {
    Ports::default()
        .with_credentials(user(), false)
        .service()
        .login(
            "ada@example.com",
            "wrong horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err()
}

#[tokio::test]
async fn logging_in_with_an_unknown_email_still_verifies_a_password_and_is_unauthorized() {
    let err = login_with_unknown_email().await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn logging_in_with_a_wrong_password_is_unauthorized() {
    let err = login_with_wrong_password().await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_are_refused_with_the_same_message() {
    let unknown = login_with_unknown_email().await;
    let wrong = login_with_wrong_password().await;

    match (unknown, wrong) {
        (DomainError::Unauthorized(a), DomainError::Unauthorized(b)) => assert_eq!(a, b),
        other => panic!("expected two Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn logging_in_to_an_account_without_a_password_is_unauthorized_even_if_the_hasher_agrees() {
    let mut ports = Ports::default();
    ports.users.expect_find_credentials().returning(|_| {
        Ok(Some(UserCredentials {
            user: user(),
            password_hash: None,
        }))
    });
    ports
        .hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(true));

    let err = ports
        .service()
        .login(
            "ada@example.com",
            "correct horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn logging_in_with_a_malformed_email_is_unauthorized_like_a_wrong_password() {
    let err = Ports::default()
        .service()
        .login(
            "not an email",
            "correct horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_suspended_user_cannot_log_in() {
    let err = Ports::default()
        .with_credentials(suspended(user()), true)
        .service()
        .login(
            "ada@example.com",
            "correct horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_user_whose_domain_is_no_longer_allowed_cannot_log_in() {
    let err = Ports::default()
        .with_credentials(user_with_email("ada@elsewhere.org"), true)
        .service()
        .login(
            "ada@elsewhere.org",
            "correct horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn logging_in_stores_only_the_refresh_token_hash_and_issues_a_token_naming_the_session() {
    let ada = user();
    let mut ports = Ports::default().with_credentials(ada.clone(), true);
    let stored_session = Arc::new(Mutex::new(None::<(SessionId, String)>));
    let seen = Arc::clone(&stored_session);
    let ada_id = ada.id.clone();
    ports
        .sessions
        .expect_create()
        .withf(move |_, user_id, _, _, now, expires_at| {
            user_id == &ada_id && *expires_at - *now == ChronoDuration::days(30)
        })
        .times(1)
        .returning(move |id, user_id, hash, _, now, expires_at| {
            *seen.lock().unwrap() = Some((id.clone(), hash.to_owned()));
            Ok(Session {
                id: id.clone(),
                user_id: user_id.clone(),
                created_at: now,
                last_used_at: now,
                expires_at,
                revoked_at: None,
                user_agent: None,
                ip: None,
            })
        });
    let issued = Arc::new(Mutex::new(None::<Claims>));
    let seen = Arc::clone(&issued);
    ports
        .tokens
        .expect_issue()
        .times(1)
        .returning(move |claims| {
            *seen.lock().unwrap() = Some(claims.clone());
            Ok("access-token".to_owned())
        });

    let signed_in = ports
        .service()
        .login(
            "ada@example.com",
            "correct horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap();

    let (session_id, stored_hash) = stored_session.lock().unwrap().clone().unwrap();
    assert_eq!(stored_hash, signed_in.refresh_token.hash());
    assert_ne!(stored_hash, signed_in.refresh_token.expose());
    assert_eq!(signed_in.session_id, session_id);
    let claims = issued.lock().unwrap().clone().unwrap();
    assert_eq!(claims.session_id, Some(session_id.to_string()));
    assert_eq!(claims.subject, ada.id.to_string());
    assert_eq!(claims.role, ada.role);
    assert_eq!(
        claims.expires_at - claims.issued_at,
        ACCESS_TTL.as_secs() as i64
    );
    assert_eq!(signed_in.access_token, "access-token");
    assert_eq!(signed_in.expires_in, ACCESS_TTL);
}

#[tokio::test]
async fn client_details_are_cut_short_before_they_are_stored() {
    let mut ports = Ports::default().with_credentials(user(), true);
    ports
        .sessions
        .expect_create()
        .withf(|_, _, _, client: &ClientInfo, _, _| {
            client.user_agent.as_ref().map(|ua| ua.chars().count()) == Some(512)
                && client.ip.as_ref().map(|ip| ip.chars().count()) == Some(64)
        })
        .times(1)
        .returning(|id, user_id, _, _, now, expires_at| {
            Ok(Session {
                id: id.clone(),
                user_id: user_id.clone(),
                created_at: now,
                last_used_at: now,
                expires_at,
                revoked_at: None,
                user_agent: None,
                ip: None,
            })
        });
    ports
        .tokens
        .expect_issue()
        .returning(|_| Ok("access-token".to_owned()));
    let client = ClientInfo {
        user_agent: Some("é".repeat(2000)),
        ip: Some("1".repeat(200)),
    };

    ports
        .service()
        .login(
            "ada@example.com",
            "correct horse battery".to_owned(),
            &client,
        )
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// refresh

fn presented() -> RefreshToken {
    RefreshToken::from_client("the-presented-refresh-token".to_owned())
}

#[tokio::test]
async fn refreshing_with_an_unknown_token_is_unauthorized() {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(|_| Ok(None));
    ports.sessions.expect_rotate().never();
    ports.sessions.expect_revoke().never();

    let err = ports.service().refresh(presented()).await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_with_an_already_used_token_revokes_the_session() {
    let live = session(&UserId::generate());
    let session_id = live.id.clone();
    let mut ports = Ports::default();
    let presented_hash = presented().hash();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .withf(move |hash| hash == presented_hash)
        .returning(move |_| Ok(Some(record(live.clone(), Some(time::now())))));
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _| id == &session_id)
        .times(1)
        .returning(|_, _| Ok(()));
    ports.sessions.expect_rotate().never();

    let err = ports.service().refresh(presented()).await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn losing_the_rotation_race_counts_as_reuse_and_revokes_the_session() {
    let ada = user();
    let live = session(&ada.id);
    let session_id = live.id.clone();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(move |_| Ok(Some(record(live.clone(), None))));
    ports
        .users
        .expect_find()
        .returning(move |_| Ok(Some(ada.clone())));
    ports
        .sessions
        .expect_rotate()
        .times(1)
        .returning(|_, _, _, _, _| Ok(Rotation::AlreadyUsed));
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _| id == &session_id)
        .times(1)
        .returning(|_, _| Ok(()));
    ports.tokens.expect_issue().never();

    let err = ports.service().refresh(presented()).await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

async fn refresh_on(ended: Session) -> DomainError {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(move |_| Ok(Some(record(ended.clone(), None))));
    ports.sessions.expect_rotate().never();
    ports.tokens.expect_issue().never();
    ports.service().refresh(presented()).await.unwrap_err()
}

#[tokio::test]
async fn refreshing_a_revoked_session_is_unauthorized_and_rotates_nothing() {
    let mut revoked = session(&UserId::generate());
    revoked.revoked_at = Some(time::now() - ChronoDuration::minutes(1));

    let err = refresh_on(revoked).await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_an_expired_session_is_unauthorized_and_rotates_nothing() {
    let mut expired = session(&UserId::generate());
    expired.expires_at = time::now() - ChronoDuration::minutes(1);

    let err = refresh_on(expired).await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_for_a_suspended_user_is_forbidden_and_rotates_nothing() {
    let ada = suspended(user());
    let live = session(&ada.id);
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(move |_| Ok(Some(record(live.clone(), None))));
    ports
        .users
        .expect_find()
        .returning(move |_| Ok(Some(ada.clone())));
    ports.sessions.expect_rotate().never();

    let err = ports.service().refresh(presented()).await.unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_rotates_the_old_token_hash_to_a_new_one() {
    let ada = user();
    let live = session(&ada.id);
    let session_id = live.id.clone();
    let old_hash = presented().hash();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(move |_| Ok(Some(record(live.clone(), None))));
    ports
        .users
        .expect_find()
        .returning(move |_| Ok(Some(ada.clone())));
    let new_hash = Arc::new(Mutex::new(None::<String>));
    let seen = Arc::clone(&new_hash);
    let expected_session = session_id.clone();
    ports
        .sessions
        .expect_rotate()
        .withf(move |id, old, new, now, expires_at| {
            id == &expected_session
                && old == old_hash
                && new != old
                && *expires_at - *now == ChronoDuration::days(30)
        })
        .times(1)
        .returning(move |_, _, new, _, _| {
            *seen.lock().unwrap() = Some(new.to_owned());
            Ok(Rotation::Rotated)
        });
    ports
        .tokens
        .expect_issue()
        .withf({
            let session_id = session_id.clone();
            move |claims| claims.session_id == Some(session_id.to_string())
        })
        .times(1)
        .returning(|_| Ok("access-token".to_owned()));
    ports.sessions.expect_revoke().never();

    let signed_in = ports.service().refresh(presented()).await.unwrap();

    let new_hash = new_hash.lock().unwrap().clone().unwrap();
    assert_eq!(signed_in.refresh_token.hash(), new_hash);
    assert_ne!(new_hash, presented().hash());
    assert_eq!(signed_in.session_id, session_id);
}

// ---------------------------------------------------------------------------------------
// logout and sessions

#[tokio::test]
async fn logging_out_revokes_the_current_session() {
    let session_id = SessionId::generate();
    let mut ports = Ports::default();
    let expected = session_id.clone();
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _| id == &expected)
        .times(1)
        .returning(|_, _| Ok(()));

    ports
        .service()
        .logout(&principal_of(user(), Some(session_id)))
        .await
        .unwrap();
}

#[tokio::test]
async fn logging_out_with_a_token_without_a_session_revokes_nothing() {
    let mut ports = Ports::default();
    ports.sessions.expect_revoke().never();

    ports
        .service()
        .logout(&principal_of(user(), None))
        .await
        .unwrap();
}

#[tokio::test]
async fn revoking_another_users_session_is_not_found() {
    let someone_elses = session(&UserId::generate());
    let id = someone_elses.id.clone();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find()
        .returning(move |_| Ok(Some(someone_elses.clone())));
    ports.sessions.expect_revoke().never();

    let err = ports
        .service()
        .revoke_session(&principal_of(user(), None), &id)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn revoking_an_unknown_session_is_not_found() {
    let mut ports = Ports::default();
    ports.sessions.expect_find().returning(|_| Ok(None));
    ports.sessions.expect_revoke().never();

    let err = ports
        .service()
        .revoke_session(&principal_of(user(), None), &SessionId::generate())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn users_may_revoke_their_own_sessions() {
    let ada = user();
    let own = session(&ada.id);
    let id = own.id.clone();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find()
        .returning(move |_| Ok(Some(own.clone())));
    let expected = id.clone();
    ports
        .sessions
        .expect_revoke()
        .withf(move |revoked, _| revoked == &expected)
        .times(1)
        .returning(|_, _| Ok(()));

    ports
        .service()
        .revoke_session(&principal_of(ada, None), &id)
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// authenticate

/// Tokens verify to `claims`, the session is `session` and the stored user is `user`.
fn authenticating(claims: Claims, session: Option<Session>, user: Option<User>) -> Ports {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(move |_| Ok(claims.clone()));
    ports
        .sessions
        .expect_find()
        .returning(move |_| Ok(session.clone()));
    ports
        .users
        .expect_find()
        .returning(move |_| Ok(user.clone()));
    ports
}

#[tokio::test]
async fn a_token_that_does_not_verify_is_unauthorized() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Err(DomainError::Unauthorized("bad signature")));

    let err = ports.service().authenticate("garbage").await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_for_an_email_outside_the_allowed_domains_is_forbidden() {
    let outsider = user_with_email("eve@elsewhere.org");
    let live = session(&outsider.id);
    let claims = claims(&outsider, Some(&live.id));

    let err = authenticating(claims, Some(live), Some(outsider))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_of_a_revoked_session_is_unauthorized() {
    let ada = user();
    let mut revoked = session(&ada.id);
    revoked.revoked_at = Some(time::now() - ChronoDuration::minutes(1));
    let claims = claims(&ada, Some(&revoked.id));

    let err = authenticating(claims, Some(revoked), Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_naming_someone_elses_session_is_unauthorized() {
    let ada = user();
    let someone_elses = session(&UserId::generate());
    let claims = claims(&ada, Some(&someone_elses.id));

    let err = authenticating(claims, Some(someone_elses), Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_naming_an_unknown_session_is_unauthorized() {
    let ada = user();
    let claims = claims(&ada, Some(&SessionId::generate()));

    let err = authenticating(claims, None, Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_suspended_user_is_forbidden_whatever_token_they_hold() {
    let ada = suspended(user());
    let live = session(&ada.id);
    let claims = claims(&ada, Some(&live.id));

    let err = authenticating(claims, Some(live), Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn the_callers_role_comes_from_the_token_not_the_stored_user() {
    let ada = user();
    let live = session(&ada.id);
    let mut claims = claims(&ada, Some(&live.id));
    claims.role = Role::Admin;
    let session_id = live.id.clone();
    let verified = claims.clone();

    let caller = authenticating(claims, Some(live), Some(ada.clone()))
        .service()
        .authenticate("token")
        .await
        .unwrap();

    assert_eq!(ada.role, Role::User);
    assert_eq!(caller.role, Role::Admin);
    assert_eq!(caller.user, ada);
    assert_eq!(caller.session_id, Some(session_id));
    assert_eq!(caller.claims, verified);
}

#[tokio::test]
async fn a_token_from_an_unknown_external_subject_provisions_a_user() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .withf(|subject| subject == "idp|42")
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser| {
            new.external_subject.as_deref() == Some("idp|42")
                && new.email.as_str() == "grace@example.com"
                && new.name.as_str() == "Grace"
                && new.role == Role::User
                && new.password_hash.is_none()
        })
        .times(1)
        .returning(|new| Ok(stored(new)));

    let caller = ports.service().authenticate("token").await.unwrap();

    assert_eq!(caller.user.email.as_str(), "grace@example.com");
    assert_eq!(caller.session_id, None);
}

#[tokio::test]
async fn a_token_from_a_known_external_subject_provisions_nobody() {
    let grace = user_with_email("grace@example.com");
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    let known = grace.clone();
    ports
        .users
        .expect_find_by_external_subject()
        .withf(|subject| subject == "idp|42")
        .returning(move |_| Ok(Some(known.clone())));
    ports.users.expect_insert().never();

    let caller = ports.service().authenticate("token").await.unwrap();

    assert_eq!(caller.user, grace);
}

#[tokio::test]
async fn an_external_token_for_the_email_of_a_local_account_is_forbidden() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .times(1)
        .returning(|_| Err(DomainError::Conflict("email taken")));
    ports
        .users
        .expect_link_external_subject()
        .times(1)
        .returning(|_, _| Ok(None));

    let err = ports.service().authenticate("token").await.unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_external_token_links_an_account_an_admin_made_without_a_password() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .times(1)
        .returning(|_| Err(DomainError::Conflict("email taken")));
    let linked = user();
    let returned = linked.clone();
    ports
        .users
        .expect_link_external_subject()
        .withf(|_, subject| subject == "idp|42")
        .times(1)
        .returning(move |_, _| Ok(Some(returned.clone())));

    let principal = ports.service().authenticate("token").await.unwrap();

    assert_eq!(principal.user, linked);
}

#[tokio::test]
async fn a_server_that_cannot_sign_refuses_registration_before_writing_anything() {
    let mut ports = Ports::default();
    ports.tokens.expect_can_issue().return_const(false);
    ports.users.expect_insert().never();
    ports.sessions.expect_create().never();

    let input = Registration::parse("ada@example.com", "long enough".into(), "Ada").unwrap();
    let err = ports
        .service()
        .register(input, &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_server_that_cannot_sign_refuses_login_before_creating_a_session() {
    let mut ports = Ports::default();
    ports.tokens.expect_can_issue().return_const(false);
    ports.sessions.expect_create().never();

    let err = ports
        .service()
        .login(
            "ada@example.com",
            "long enough".into(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}
