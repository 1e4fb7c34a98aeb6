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
    SignedIn,
};
use crate::{
    id::{SessionId, UserId},
    test_fixtures::{self, claims},
    time::{self, Timestamp},
    user::{
        AllowedDomains, Email, MockUserRepository, NewUser, PasswordHash, Preferences, Role, User,
        UserCredentials, UserStatus,
    },
    DomainError, DomainResult,
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
    test_fixtures::user(Role::User)
}

/// An active USER with `email`.
fn user_with_email(email: &str) -> User {
    User {
        email: Email::parse(email).unwrap(),
        ..user()
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
        api_key: None,
        client: ClientInfo::default(),
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

/// The session the repository stores when asked to create `id` for `user_id` at `now`,
/// from an unknown client.
fn created(id: &SessionId, user_id: &UserId, now: Timestamp, expires_at: Timestamp) -> Session {
    Session {
        id: id.clone(),
        user_id: user_id.clone(),
        created_at: now,
        last_used_at: now,
        expires_at,
        revoked_at: None,
        user_agent: None,
        ip: None,
    }
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

    /// Logs in as `email` with the right password, from an unknown client.
    async fn log_in(self, email: &str) -> DomainResult<SignedIn> {
        let password = "correct horse battery".to_owned();
        self.service()
            .login(email, password, &ClientInfo::default())
            .await
    }

    /// Sessions are stored as asked and access tokens are issued.
    fn signing_in(mut self) -> Self {
        self.sessions
            .expect_create()
            .returning(|id, user_id, _, client, now, expires_at, _| {
                Ok(Session {
                    user_agent: client.user_agent.clone(),
                    ip: client.ip.clone(),
                    ..created(id, user_id, now, expires_at)
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

mod audit;
mod authentication;
mod login;
mod refresh;
mod registration;
mod sessions;
