//! The SeaORM repositories against real databases: each test gets a fresh, migrated SQLite
//! file and, with `--include-ignored` and `TEST_POSTGRES_URL`, a fresh PostgreSQL schema.
//! The assertions are the contracts of the domain's ports (`domain::user::UserRepository`,
//! `domain::auth::SessionRepository`), so both backends must pass the same tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod read_cache;
mod sessions;
mod users;

use chrono::{DateTime, Utc};
use domain::{
    auth::{ClientInfo, Session, SessionRepository},
    id::{SessionId, UserId},
    pagination::{Limit, PageRequest},
    time::{self, Timestamp},
    user::{Email, NewUser, PasswordHash, Role, User, UserName, UserRepository},
};
use infrastructure::{
    database::Db,
    repositories::{SeaSessionRepository, SeaUserRepository},
};

/// A PHC string shaped like the ones the Argon2id hasher stores; the repository treats it
/// as opaque text.
const A_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn user_repository(conn: &Db) -> SeaUserRepository {
    SeaUserRepository::new(conn.clone())
}

fn session_repository(conn: &Db) -> SeaSessionRepository {
    SeaSessionRepository::new(conn.clone())
}

/// A user with a password, role `USER` and no external subject, created now.
fn new_user(email: &str, name: &str) -> NewUser {
    NewUser {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        name: UserName::parse(name).unwrap(),
        role: Role::User,
        password_hash: Some(PasswordHash::new(A_HASH.to_owned())),
        external_subject: None,
        created_at: time::now(),
    }
}

async fn insert_user(users: &SeaUserRepository, email: &str, name: &str) -> User {
    users.insert(&new_user(email, name)).await.unwrap()
}

/// A session of `user_id` created at `now` whose first refresh token has `token_hash`.
async fn create_session(
    sessions: &SeaSessionRepository,
    user_id: &UserId,
    token_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Session {
    let client = ClientInfo {
        user_agent: Some("repository-tests/1.0".to_owned()),
        ip: Some("203.0.113.7".to_owned()),
    };
    sessions
        .create(
            &SessionId::generate(),
            user_id,
            token_hash,
            &client,
            now,
            expires_at,
        )
        .await
        .unwrap()
}

/// A fixed instant, from RFC 3339.
fn at(rfc3339: &str) -> Timestamp {
    rfc3339.parse::<DateTime<Utc>>().unwrap()
}

fn first_page(limit: i64) -> PageRequest {
    PageRequest::first(Limit::parse(Some(limit)).unwrap())
}
