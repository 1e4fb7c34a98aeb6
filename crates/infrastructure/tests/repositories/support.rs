//! What every repository test starts from: a [`Fixture`] (a fresh, migrated database and
//! every repository over it), builders of the values the ports take, and readers of the
//! rows the ports leave behind. Each helper does what a service would, so a test reads as
//! arrange, act, assert.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use chrono::{DateTime, Utc};
use domain::{
    auth::{ClientInfo, Session, SessionRepository},
    event::{EventKind, NewEvent},
    file::{
        File, FileName, FileRepository, FileSource, MediaType, PreviewState, Sha256Digest,
        StorageStep,
    },
    id::{FileId, MessageId, ReactionId, SessionId, ThreadId, UserId},
    json_object::Metadata,
    message::{
        CreateMessage, Message, MessageChanges, MessageContent, MessageDraft, MessageFilter,
        MessageRepository, MessageRole, NewMessage, SortOrder,
    },
    pagination::{Limit, Page, PageRequest},
    reaction::{Emoji, NewReaction, ReactionRepository, Toggled},
    thread::{
        CreateThread, Member, MemberRole, NewThread, Thread, ThreadChanges, ThreadRepository,
        ThreadTitle,
    },
    time::{self, Timestamp},
    user::{Email, NewUser, PasswordHash, Role, User, UserName, UserRepository},
    DomainError, DomainResult,
};
use infrastructure::{
    cache::{
        CachedFileRepository, CachedMessageRepository, CachedReactionRepository,
        CachedThreadRepository, ThreadEpochs,
    },
    database::Db,
    repositories::{
        MessageWriter, SeaFileRepository, SeaMessageRepository, SeaReactionRepository,
        SeaSearchRepository, SeaSessionRepository, SeaThreadRepository, SeaUserRepository,
    },
    testing::TestDatabase,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// `repo_test!(name, |f| { ... })`: a `backend_test!` whose body gets a [`Fixture`] on
/// the test's fresh database, as `name::sqlite` and `name::postgres`.
macro_rules! repo_test {
    ($name:ident, |$f:ident| $body:block) => {
        infrastructure::backend_test!(
            $name,
            |db: infrastructure::testing::TestDatabase| async move {
                let $f = $crate::support::Fixture::new(db).await;
                $body
            }
        );
    };
}

/// A fresh, migrated database and every repository over it. The repositories are shared
/// (`Arc`) so that racing tasks can hold them; the database goes last, when the last clone
/// of the fixture is dropped. The repositories of the ports that have cache decorators are
/// held as the ports, so that [`Fixture::with_caches`] can put the decorators in their place.
#[derive(Clone)]
pub struct Fixture {
    pub conn: Db,
    pub users: Arc<SeaUserRepository>,
    pub sessions: Arc<SeaSessionRepository>,
    pub threads: Arc<dyn ThreadRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub reactions: Arc<dyn ReactionRepository>,
    pub search: Arc<SeaSearchRepository>,
    pub files: Arc<dyn FileRepository>,
    _db: Arc<TestDatabase>,
}

impl Fixture {
    pub async fn new(db: TestDatabase) -> Self {
        let conn = db.connect().await;
        Self {
            users: Arc::new(SeaUserRepository::new(conn.clone())),
            sessions: Arc::new(SeaSessionRepository::new(conn.clone())),
            threads: Arc::new(SeaThreadRepository::new(conn.clone())),
            messages: Arc::new(message_repository(&conn)),
            reactions: Arc::new(SeaReactionRepository::new(conn.clone())),
            search: Arc::new(SeaSearchRepository::new(conn.clone())),
            files: Arc::new(SeaFileRepository::new(conn.clone())),
            conn,
            _db: Arc::new(db),
        }
    }

    /// The same database with the thread caches in front of threads, messages, reactions
    /// and files, wired as the composition root does (one `ThreadEpochs` shared by the
    /// four decorators); `self` still writes behind them.
    pub fn with_caches(&self) -> Self {
        let epochs = ThreadEpochs::new(std::time::Duration::from_secs(30));
        Self {
            threads: Arc::new(CachedThreadRepository::new(
                self.threads.clone(),
                epochs.clone(),
            )),
            messages: Arc::new(CachedMessageRepository::new(
                self.messages.clone(),
                epochs.clone(),
            )),
            reactions: Arc::new(CachedReactionRepository::new(
                self.reactions.clone(),
                epochs.clone(),
            )),
            files: Arc::new(CachedFileRepository::new(self.files.clone(), epochs)),
            ..self.clone()
        }
    }

    /// A user called `name`, with the address `<name in lower case>@example.com`.
    pub async fn user(&self, name: &str) -> User {
        let email = format!("{}@example.com", name.to_lowercase());
        insert_user(&self.users, &email, name).await
    }

    /// One user per name, as [`Fixture::user`] makes them, in order.
    pub async fn users_called<const N: usize>(&self, names: [&str; N]) -> [User; N] {
        let mut users = Vec::with_capacity(N);
        for name in names {
            users.push(self.user(name).await);
        }
        users.try_into().expect("one user per name")
    }

    /// A user with this address and name.
    pub async fn user_with(&self, email: &str, name: &str) -> User {
        insert_user(&self.users, email, name).await
    }

    /// A session of `user` whose first refresh token has `token_hash`.
    pub async fn session(
        &self,
        user: &UserId,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Session {
        create_session(&self.sessions, user, token_hash, now, expires_at).await
    }

    /// A thread created by `owner` now, with them as its owner member.
    pub async fn thread(&self, owner: &UserId, title: &str) -> Thread {
        create_thread(&*self.threads, owner, title).await
    }

    pub async fn thread_at(&self, owner: &UserId, title: &str, created_at: Timestamp) -> Thread {
        create_thread_at(&*self.threads, owner, title, created_at).await
    }

    /// The thread as `user` sees it.
    pub async fn thread_seen_by(&self, thread: &ThreadId, user: &UserId) -> Thread {
        let found = self.threads.find_with_role(thread, user).await.unwrap();
        found.expect("the thread exists").0
    }

    /// `thread` and `user`'s role in it, as `find_with_role` answers: what access checks read.
    pub async fn access(
        &self,
        thread: &ThreadId,
        user: &UserId,
    ) -> Option<(Thread, Option<MemberRole>)> {
        self.threads.find_with_role(thread, user).await.unwrap()
    }

    /// `user`'s role in `thread`, when they are a member.
    pub async fn role_of(&self, thread: &ThreadId, user: &UserId) -> Option<MemberRole> {
        let member = self.threads.member(thread, user).await.unwrap();
        member.map(|m| m.role)
    }

    /// `user` added to `thread` now as `role`, by `by`.
    pub async fn add_member(
        &self,
        thread: &ThreadId,
        user: &UserId,
        role: MemberRole,
        by: &UserId,
    ) -> Member {
        self.try_add_member(thread, user, role, by).await.unwrap()
    }

    pub async fn try_add_member(
        &self,
        thread: &ThreadId,
        user: &UserId,
        role: MemberRole,
        by: &UserId,
    ) -> DomainResult<Member> {
        let added = event(EventKind::MemberAdded, thread, by);
        let threads = &self.threads;
        threads
            .add_member(
                thread,
                user,
                role,
                time::now(),
                &added,
                &crate::support::audit_entry(),
            )
            .await
    }

    /// Applies `changes` to `thread` at `now` on behalf of `by`.
    pub async fn update_thread(
        &self,
        thread: &ThreadId,
        changes: &ThreadChanges,
        expected: Option<Timestamp>,
        now: Timestamp,
        by: &UserId,
    ) -> DomainResult<Thread> {
        let updated = event(EventKind::ThreadUpdated, thread, by);
        let threads = &self.threads;
        threads
            .update(thread, changes, expected, now, &updated)
            .await
    }

    pub async fn delete_thread(
        &self,
        thread: &ThreadId,
        expected: Option<Timestamp>,
        by: &UserId,
    ) -> DomainResult<()> {
        let deleted = event(EventKind::ThreadDeleted, thread, by);
        self.threads
            .delete(thread, expected, &deleted, &crate::support::audit_entry())
            .await
    }

    pub async fn change_role(
        &self,
        thread: &ThreadId,
        user: &UserId,
        role: MemberRole,
        by: &UserId,
    ) -> DomainResult<Member> {
        let updated = event(EventKind::MemberUpdated, thread, by);
        self.threads
            .change_role(thread, user, role, &updated, &crate::support::audit_entry())
            .await
    }

    pub async fn remove_member(
        &self,
        thread: &ThreadId,
        user: &UserId,
        by: &UserId,
    ) -> DomainResult<()> {
        let removed = event(EventKind::MemberRemoved, thread, by);
        self.threads
            .remove_member(thread, user, &removed, &crate::support::audit_entry())
            .await
    }

    /// Posts `content` to `thread` as `author`, now; returns the new message's id.
    pub async fn post(&self, thread: &ThreadId, author: &UserId, content: &str) -> MessageId {
        post(&*self.messages, thread, author, content).await
    }

    pub async fn insert_message(&self, message: &NewMessage) {
        insert_message(&*self.messages, message).await;
    }

    /// Applies `changes` to the message as it is now, on behalf of `editor`.
    pub async fn edit(&self, id: &MessageId, changes: &MessageChanges, editor: &UserId) -> Message {
        let current = self.messages.find(id).await.unwrap().unwrap();
        let (expected, now) = (Some(current.updated_at), time::after(current.updated_at));
        let updated = self.update_message(id, &current.thread_id, changes, editor, expected, now);
        updated.await.unwrap()
    }

    /// Applies `changes` to message `id` of `thread` at `now` on behalf of `editor`.
    pub async fn update_message(
        &self,
        id: &MessageId,
        thread: &ThreadId,
        changes: &MessageChanges,
        editor: &UserId,
        expected: Option<Timestamp>,
        now: Timestamp,
    ) -> DomainResult<Message> {
        let updated = event(EventKind::MessageUpdated, thread, editor);
        let messages = &self.messages;
        messages
            .update(id, changes, editor, expected, now, &updated)
            .await
    }

    pub async fn delete_message(
        &self,
        id: &MessageId,
        thread: &ThreadId,
        expected: Option<Timestamp>,
        by: &UserId,
    ) -> DomainResult<()> {
        let deleted = event(EventKind::MessageDeleted, thread, by);
        self.messages.delete(id, expected, &deleted).await
    }

    /// The first page of `thread`'s messages, newest first, `limit` long.
    pub async fn newest_messages(&self, thread: &ThreadId, limit: i64) -> Page<Message> {
        let (newest_first, page) = (MessageFilter::default(), first_page(limit));
        let listed = self.messages.list(thread, &newest_first, &page).await;
        listed.unwrap()
    }

    /// `user` reacts with `emoji` to `message` (of `thread`), which they had not yet.
    pub async fn react(&self, message: &MessageId, thread: &ThreadId, user: &UserId, emoji: &str) {
        let toggled = toggle(&*self.reactions, thread, message, user, emoji, 50);
        assert_eq!(toggled.await.unwrap(), Toggled::Added);
    }

    /// A stored file of `owner` (see [`stored_file`]) whose bytes are `digest(seed)`.
    pub async fn file(
        &self,
        owner: &UserId,
        thread: Option<&ThreadId>,
        name: &str,
        seed: char,
        declared: &str,
        detected: Option<&str>,
    ) -> File {
        let file = stored_file(owner, thread, name, &digest(seed), declared, detected);
        self.insert_file(&file).await
    }

    /// Stores `file`, placing its bytes with a step that succeeds.
    pub async fn insert_file(&self, file: &File) -> File {
        insert_file(&*self.files, file).await
    }

    pub async fn events(&self) -> Vec<EventRow> {
        events(&self.conn).await
    }

    pub async fn events_since(&self, before: usize) -> Vec<EventRow> {
        events_since(&self.conn, before).await
    }

    /// Asserts that exactly one event was appended since `before` of them were there, and
    /// that it is `what`: (type, thread id, actor id).
    pub async fn assert_one_event_since(&self, before: usize, what: (&str, &str, &str)) {
        let appended = self.events_since(before).await;
        assert_eq!(appended.len(), 1, "{appended:?}");
        assert_eq!(appended[0].what(), what);
    }

    /// `SELECT COUNT(*) FROM <from_where>`, e.g. `f.count("reactions WHERE …")`.
    pub async fn count(&self, from_where: &str) -> i64 {
        count(&self.conn, from_where).await
    }
}

/// A PHC string shaped like the ones the Argon2id hasher stores; the repository treats it
/// as opaque text.
pub const A_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

/// Writes new messages by group commit, as the server does, with a writer of its own.
pub fn message_repository(conn: &Db) -> SeaMessageRepository {
    SeaMessageRepository::new(conn.clone(), MessageWriter::start(conn.clone()))
}

/// A user with a password, role `USER` and no external subject, created now.
pub fn new_user(email: &str, name: &str) -> NewUser {
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

pub async fn insert_user(users: &SeaUserRepository, email: &str, name: &str) -> User {
    users
        .insert(&new_user(email, name), &crate::support::audit_entry())
        .await
        .unwrap()
}

/// A session of `user_id` created at `now` whose first refresh token has `token_hash`.
pub async fn create_session(
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
    let id = SessionId::generate();
    sessions
        .create(
            &id,
            user_id,
            token_hash,
            &client,
            now,
            expires_at,
            &crate::support::audit_entry(),
        )
        .await
        .unwrap()
}

/// A fixed instant, from RFC 3339.
/// An audit entry for the audited writes that tests make (the audit log's own tests
/// build theirs in `audit_log.rs`).
pub fn audit_entry() -> domain::audit::NewAuditEntry {
    domain::audit::NewAuditEntry::new(
        domain::audit::AuditAction::AuthLogout,
        &domain::auth::ClientInfo::default(),
    )
}

/// `user` signed in with a token, from a test client: the caller an erasure records.
pub fn principal(user: &User) -> domain::auth::Principal {
    domain::auth::Principal {
        user: user.clone(),
        role: user.role,
        session_id: None,
        claims: domain::auth::Claims {
            subject: user.id.to_string(),
            email: user.email.as_str().to_owned(),
            name: user.name.as_str().to_owned(),
            role: user.role,
            issued_at: 0,
            expires_at: 0,
            session_id: None,
        },
        api_key: None,
        client: domain::auth::ClientInfo {
            user_agent: Some("repo-test/1.0".to_owned()),
            ip: Some("192.0.2.9".to_owned()),
        },
    }
}

pub fn at(rfc3339: &str) -> Timestamp {
    rfc3339.parse::<DateTime<Utc>>().unwrap()
}

pub fn page_of(limit: i64, after: Option<domain::pagination::Cursor>) -> PageRequest {
    PageRequest {
        limit: Limit::parse(Some(limit)).unwrap(),
        after,
    }
}

pub fn first_page(limit: i64) -> PageRequest {
    page_of(limit, None)
}

/// The keys of the items on every page of a keyset listing, `limit` at a time, following
/// each page's cursor; at most 50 pages, so that a listing that never ends fails instead of
/// hanging.
pub async fn all_pages<T, K, Fut>(
    limit: i64,
    mut list: impl FnMut(PageRequest) -> Fut,
    key: impl Fn(T) -> K,
) -> Vec<Vec<K>>
where
    Fut: Future<Output = DomainResult<Page<T>>>,
{
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = list(page_of(limit, after)).await.unwrap();
        pages.push(page.items.into_iter().map(&key).collect());
        after = page.next;
        if after.is_none() || pages.len() > 50 {
            return pages;
        }
    }
}

/// A storage step that counts its runs, and fails when told to.
#[derive(Clone, Default)]
pub struct CountingStep {
    runs: Arc<AtomicUsize>,
    fails: bool,
}

impl CountingStep {
    pub fn failing() -> Self {
        Self {
            fails: true,
            ..Self::default()
        }
    }

    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    pub fn boxed(&self) -> Box<dyn StorageStep> {
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
pub fn digest(seed: char) -> Sha256Digest {
    Sha256Digest::parse(&seed.to_string().repeat(64)).unwrap()
}

/// A stored file of `owner`, in `thread` when given, declared as `declared` and sniffed as
/// `detected`, created now.
pub fn stored_file(
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
pub async fn insert_file(files: &dyn FileRepository, file: &File) -> File {
    let place =
        matches!(file.source, FileSource::Stored(_)).then(|| CountingStep::default().boxed());
    files.insert(file, place).await.unwrap()
}

/// A message posted now whose attachments are `attached`, in that order.
pub fn message_attaching(
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
pub fn event(kind: EventKind, thread: &ThreadId, actor: &UserId) -> NewEvent {
    NewEvent::new(
        kind,
        thread,
        actor,
        json!({ "thread_id": thread }),
        time::now(),
    )
}

/// The change that renames a thread to `title`.
pub fn titled(title: &str) -> ThreadChanges {
    ThreadChanges {
        title: Some(ThreadTitle::parse(title).unwrap()),
        ..ThreadChanges::default()
    }
}

/// An active, unpinned thread titled `title`, created by `owner` at `created_at`.
pub fn new_thread(owner: &UserId, title: &str, created_at: Timestamp) -> NewThread {
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

pub async fn create_thread_at(
    threads: &dyn ThreadRepository,
    owner: &UserId,
    title: &str,
    created_at: Timestamp,
) -> Thread {
    let new = new_thread(owner, title, created_at);
    let created = event(EventKind::ThreadCreated, &new.id, owner);
    threads.insert(&new, &created).await.unwrap()
}

/// A thread created by `owner` now, with them as its owner member.
pub async fn create_thread(threads: &dyn ThreadRepository, owner: &UserId, title: &str) -> Thread {
    create_thread_at(threads, owner, title, time::now()).await
}

/// A complete message with `draft`'s fields and `content`, by `author`, written now.
pub fn message_from(
    thread: &ThreadId,
    author: &UserId,
    content: &str,
    draft: MessageDraft,
) -> NewMessage {
    let fields = CreateMessage::parse(MessageDraft {
        content: Some(content.to_owned()),
        ..draft
    })
    .unwrap();
    NewMessage {
        id: MessageId::generate(),
        thread_id: thread.clone(),
        author_id: author.clone(),
        fields,
        attachments: Vec::new(),
        created_at: time::now(),
    }
}

/// A complete message with `role` and, when given, a parent, written now.
pub fn message_with(
    thread: &ThreadId,
    author: &UserId,
    content: &str,
    role: MessageRole,
    parent: Option<&MessageId>,
) -> NewMessage {
    let draft = MessageDraft {
        role: Some(role),
        parent_id: parent.map(ToString::to_string),
        ..MessageDraft::default()
    };
    message_from(thread, author, content, draft)
}

/// The change that replaces a message's text with `content`.
pub fn new_text(content: &str) -> MessageChanges {
    MessageChanges {
        content: Some(Some(MessageContent::parse(content).unwrap())),
        ..MessageChanges::default()
    }
}

/// Every message, oldest first.
pub fn oldest_first() -> MessageFilter {
    MessageFilter {
        order: SortOrder::Asc,
        ..MessageFilter::default()
    }
}

/// A complete `user` message with `content`, written at `created_at`.
pub fn new_message(
    thread: &ThreadId,
    author: &UserId,
    content: &str,
    created_at: Timestamp,
) -> NewMessage {
    NewMessage {
        created_at,
        ..message_from(thread, author, content, MessageDraft::default())
    }
}

pub async fn insert_message(messages: &dyn MessageRepository, message: &NewMessage) {
    let created = event(
        EventKind::MessageCreated,
        &message.thread_id,
        &message.author_id,
    );
    messages.insert(message, &created).await.unwrap();
}

/// Posts `content` to `thread` as `author`, now; returns the new message's id.
pub async fn post(
    messages: &dyn MessageRepository,
    thread: &ThreadId,
    author: &UserId,
    content: &str,
) -> MessageId {
    let message = new_message(thread, author, content, time::now());
    insert_message(messages, &message).await;
    message.id
}

/// Toggles `emoji` on `message` for `user` now, with the events a service would pass.
pub async fn toggle(
    reactions: &dyn ReactionRepository,
    thread: &ThreadId,
    message: &MessageId,
    user: &UserId,
    emoji: &str,
    max_distinct: usize,
) -> DomainResult<Toggled> {
    let now = time::now();
    toggle_at(reactions, thread, message, user, emoji, max_distinct, now).await
}

/// Toggles `emoji` on `message` for `user` at `created_at`, with the events a service
/// would pass.
pub async fn toggle_at(
    reactions: &dyn ReactionRepository,
    thread: &ThreadId,
    message: &MessageId,
    user: &UserId,
    emoji: &str,
    max_distinct: usize,
    created_at: Timestamp,
) -> DomainResult<Toggled> {
    let reaction = NewReaction {
        id: ReactionId::generate(),
        message_id: message.clone(),
        user_id: user.clone(),
        emoji: Emoji::parse(emoji).unwrap(),
        created_at,
    };
    let added = event(EventKind::ReactionAdded, thread, user);
    let removed = event(EventKind::ReactionRemoved, thread, user);
    reactions
        .toggle(&reaction, max_distinct, &added, &removed)
        .await
}

/// One row of the `events` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub thread_id: String,
    pub actor_id: String,
}

impl EventRow {
    /// What an assertion compares: everything but the id.
    pub fn what(&self) -> (&str, &str, &str) {
        (&self.kind, &self.thread_id, &self.actor_id)
    }
}

/// Every event, in id order, read with raw SQL.
pub async fn events(conn: &Db) -> Vec<EventRow> {
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
pub async fn events_since(conn: &Db, before: usize) -> Vec<EventRow> {
    let all = events(conn).await;
    assert!(all.len() >= before, "events disappeared: {all:?}");
    all[before..].to_vec()
}

/// `SELECT COUNT(*) FROM <from_where>`, e.g. `count(&conn, "reactions WHERE …")`.
pub async fn count(conn: &Db, from_where: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {from_where}");
    let row = conn
        .query_one(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}
