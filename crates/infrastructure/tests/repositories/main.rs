//! The SeaORM repositories against real databases: each test gets a fresh, migrated SQLite
//! file and, with `--include-ignored` and `TEST_POSTGRES_URL`, a fresh PostgreSQL schema.
//! The assertions are the contracts of the domain's ports (`domain::user::UserRepository`,
//! `domain::auth::SessionRepository`, `domain::thread::ThreadRepository`,
//! `domain::message::MessageRepository`, `domain::reaction::ReactionRepository`,
//! `domain::search::SearchRepository`, `domain::file::FileRepository`), so both backends
//! must pass the same tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod files;
mod idempotency;
mod messages;
mod migration_rollback;
mod reactions;
mod read_cache;
mod search;
mod sessions;
mod thread_cache;
mod threads;
mod users;

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use chrono::{DateTime, Utc};
use domain::{
    auth::{ClientInfo, Session, SessionRepository},
    event::{EventKind, NewEvent},
    file::{
        File, FileName, FileRepository, FileSource, MediaType, PreviewState, Sha256Digest,
        StorageStep,
    },
    id::{FileId, MessageId, SessionId, ThreadId, UserId},
    json_object::Metadata,
    message::{CreateMessage, MessageDraft, MessageRepository, NewMessage},
    pagination::{Limit, PageRequest},
    thread::{CreateThread, NewThread, Thread, ThreadRepository, ThreadTitle},
    time::{self, Timestamp},
    user::{Email, NewUser, PasswordHash, Role, User, UserName, UserRepository},
    DomainError, DomainResult,
};
use infrastructure::{
    database::Db,
    repositories::{
        SeaFileRepository, SeaMessageRepository, SeaReactionRepository, SeaSearchRepository,
        SeaSessionRepository, SeaThreadRepository, SeaUserRepository,
    },
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

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

fn thread_repository(conn: &Db) -> SeaThreadRepository {
    SeaThreadRepository::new(conn.clone())
}

fn message_repository(conn: &Db) -> SeaMessageRepository {
    SeaMessageRepository::new(conn.clone())
}

fn reaction_repository(conn: &Db) -> SeaReactionRepository {
    SeaReactionRepository::new(conn.clone())
}

fn search_repository(conn: &Db) -> SeaSearchRepository {
    SeaSearchRepository::new(conn.clone())
}

fn file_repository(conn: &Db) -> SeaFileRepository {
    SeaFileRepository::new(conn.clone())
}

/// A storage step that counts its runs, and fails when told to.
#[derive(Clone, Default)]
struct CountingStep {
    runs: Arc<AtomicUsize>,
    fails: bool,
}

impl CountingStep {
    fn failing() -> Self {
        Self {
            fails: true,
            ..Self::default()
        }
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    fn boxed(&self) -> Box<dyn StorageStep> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl StorageStep for CountingStep {
    async fn run(&self) -> DomainResult<()> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if self.fails {
            return Err(DomainError::Unexpected(anyhow::anyhow!(
                "the blob store is down"
            )));
        }
        Ok(())
    }
}

/// A digest made of `seed` repeated: distinct seeds, distinct blobs.
fn digest(seed: char) -> Sha256Digest {
    Sha256Digest::parse(&seed.to_string().repeat(64)).unwrap()
}

/// A stored file of `owner`, in `thread` when given, declared as `declared` and sniffed as
/// `detected`, created now.
fn stored_file(
    owner: &UserId,
    thread: Option<&ThreadId>,
    name: &str,
    bytes: &Sha256Digest,
    declared: &str,
    detected: Option<&str>,
) -> File {
    let now = time::now();
    File {
        id: FileId::generate(),
        owner_id: owner.clone(),
        thread_id: thread.cloned(),
        filename: FileName::parse(name).unwrap(),
        declared_type: MediaType::parse(declared).unwrap(),
        detected_type: detected.map(|t| MediaType::parse(t).unwrap()),
        size_bytes: 1234,
        source: FileSource::Stored(bytes.clone()),
        preview: PreviewState::Pending,
        metadata: Metadata::default(),
        created_at: now,
        updated_at: now,
    }
}

/// Stores `file`, placing its bytes with a step that succeeds.
async fn insert_file(files: &SeaFileRepository, file: &File) -> File {
    let place =
        matches!(file.source, FileSource::Stored(_)).then(|| CountingStep::default().boxed());
    files.insert(file, place).await.unwrap()
}

/// A message posted now whose attachments are `attached`, in that order.
fn message_attaching(
    thread: &ThreadId,
    author: &UserId,
    content: &str,
    attached: &[&File],
) -> NewMessage {
    let mut message = new_message(thread, author, content, time::now());
    message.fields.attachments = attached.iter().map(|f| f.id.clone()).collect();
    message.attachments = attached.iter().map(|f| f.summary()).collect();
    message
}

/// The event a service would append for a change to `thread` made by `actor`, now.
fn event(kind: EventKind, thread: &ThreadId, actor: &UserId) -> NewEvent {
    NewEvent::new(
        kind,
        thread,
        actor,
        json!({ "thread_id": thread }),
        time::now(),
    )
}

/// An active, unpinned thread titled `title`, created by `owner` at `created_at`.
fn new_thread(owner: &UserId, title: &str, created_at: Timestamp) -> NewThread {
    NewThread {
        id: ThreadId::generate(),
        owner_id: owner.clone(),
        fields: CreateThread {
            title: ThreadTitle::parse(title).unwrap(),
            ..CreateThread::default()
        },
        created_at,
    }
}

async fn create_thread_at(
    threads: &SeaThreadRepository,
    owner: &UserId,
    title: &str,
    created_at: Timestamp,
) -> Thread {
    let new = new_thread(owner, title, created_at);
    let created = event(EventKind::ThreadCreated, &new.id, owner);
    threads.insert(&new, &created).await.unwrap()
}

/// A thread created by `owner` now, with them as its owner member.
async fn create_thread(threads: &SeaThreadRepository, owner: &UserId, title: &str) -> Thread {
    create_thread_at(threads, owner, title, time::now()).await
}

/// A complete `user` message with `content`, written at `created_at`.
fn new_message(
    thread: &ThreadId,
    author: &UserId,
    content: &str,
    created_at: Timestamp,
) -> NewMessage {
    let fields = CreateMessage::parse(MessageDraft {
        content: Some(content.to_owned()),
        ..MessageDraft::default()
    })
    .unwrap();
    NewMessage {
        id: MessageId::generate(),
        thread_id: thread.clone(),
        author_id: author.clone(),
        fields,
        attachments: Vec::new(),
        created_at,
    }
}

async fn insert_message(messages: &SeaMessageRepository, message: &NewMessage) {
    let created = event(
        EventKind::MessageCreated,
        &message.thread_id,
        &message.author_id,
    );
    messages.insert(message, &created).await.unwrap();
}

/// Posts `content` to `thread` as `author`, now; returns the new message's id.
async fn post(
    messages: &SeaMessageRepository,
    thread: &ThreadId,
    author: &UserId,
    content: &str,
) -> MessageId {
    let message = new_message(thread, author, content, time::now());
    insert_message(messages, &message).await;
    message.id
}

/// One row of the `events` table.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EventRow {
    id: i64,
    kind: String,
    thread_id: String,
    actor_id: String,
}

impl EventRow {
    /// What an assertion compares: everything but the id.
    fn what(&self) -> (&str, &str, &str) {
        (&self.kind, &self.thread_id, &self.actor_id)
    }
}

/// Every event, in id order, read with raw SQL.
async fn events(conn: &Db) -> Vec<EventRow> {
    let sql = r#"SELECT id, "type" AS kind, thread_id, actor_id FROM events ORDER BY id"#;
    let rows = conn
        .query_all(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
    let events: Vec<EventRow> = rows
        .iter()
        .map(|row| EventRow {
            id: row.try_get("", "id").unwrap(),
            kind: row.try_get("", "kind").unwrap(),
            thread_id: row.try_get("", "thread_id").unwrap(),
            actor_id: row.try_get("", "actor_id").unwrap(),
        })
        .collect();
    assert!(
        events.windows(2).all(|pair| pair[0].id < pair[1].id),
        "event ids must strictly increase: {events:?}"
    );
    events
}

/// The events appended since `before` of them were there, checking that none went missing.
async fn events_since(conn: &Db, before: usize) -> Vec<EventRow> {
    let all = events(conn).await;
    assert!(all.len() >= before, "events disappeared: {all:?}");
    all[before..].to_vec()
}

/// `SELECT COUNT(*) FROM <from_where>`, e.g. `count(&conn, "reactions WHERE …")`.
async fn count(conn: &Db, from_where: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {from_where}");
    let row = conn
        .query_one(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}
