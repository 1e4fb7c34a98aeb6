//! The thread read caches (`CachedThreadRepository`, `CachedMessageRepository`,
//! `CachedReactionRepository` over one `ThreadEpochs`) never serve a value older than a
//! write made through them, and do serve what they cached until such a write; and the
//! group commit of new messages writes each message, its counter and its event exactly
//! once, failing only the messages that cannot be written.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::Duration,
};

use domain::{
    event::{EventKind, NewEvent},
    file::FileRepository,
    id::{MessageId, ReactionId, ThreadId, UserId},
    message::{
        CreateMessage, Message, MessageChanges, MessageContent, MessageDraft, MessageFilter,
        MessageRepository, MessageRole, NewMessage, SortOrder,
    },
    pagination::{Cursor, Limit, Page, PageRequest},
    reaction::{Emoji, NewReaction, ReactionRepository, Toggled},
    thread::{MemberRole, Thread, ThreadChanges, ThreadRepository, ThreadTitle},
    time, DomainError, DomainResult,
};
use infrastructure::{
    backend_test,
    cache::{
        CachedFileRepository, CachedMessageRepository, CachedReactionRepository,
        CachedThreadRepository, ThreadEpochs,
    },
    database::Db,
    repositories::{
        SeaFileRepository, SeaMessageRepository, SeaReactionRepository, SeaThreadRepository,
    },
    testing::TestDatabase,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::{
    count, create_thread, digest, event, events, file_repository, insert_file, insert_user,
    message_attaching, message_repository, new_thread, reaction_repository, stored_file,
    thread_repository, user_repository,
};

/// The real repositories, and the cached ones over them wired as the composition root
/// does: one `ThreadEpochs` shared by the three wrappers.
struct Repos {
    raw_files: Arc<SeaFileRepository>,
    files: CachedFileRepository,
    raw_threads: Arc<SeaThreadRepository>,
    raw_messages: Arc<SeaMessageRepository>,
    raw_reactions: Arc<SeaReactionRepository>,
    threads: CachedThreadRepository,
    messages: CachedMessageRepository,
    reactions: CachedReactionRepository,
}

fn repos(conn: &Db) -> Repos {
    let raw_threads = Arc::new(thread_repository(conn));
    let raw_messages = Arc::new(message_repository(conn));
    let raw_reactions = Arc::new(reaction_repository(conn));
    let epochs = ThreadEpochs::new(Duration::from_secs(30));
    let raw_files = Arc::new(file_repository(conn));
    Repos {
        files: CachedFileRepository::new(raw_files.clone(), epochs.clone()),
        raw_files,
        threads: CachedThreadRepository::new(raw_threads.clone(), epochs.clone()),
        messages: CachedMessageRepository::new(raw_messages.clone(), epochs.clone()),
        reactions: CachedReactionRepository::new(raw_reactions.clone(), epochs),
        raw_threads,
        raw_messages,
        raw_reactions,
    }
}

fn text(content: &str) -> MessageContent {
    MessageContent::parse(content).unwrap()
}

fn emoji(raw: &str) -> Emoji {
    Emoji::parse(raw).unwrap()
}

/// A message with `role` and, when given, a parent, written now.
fn message_with(
    thread: &ThreadId,
    author: &UserId,
    content: &str,
    role: MessageRole,
    parent: Option<&MessageId>,
) -> NewMessage {
    let fields = CreateMessage::parse(MessageDraft {
        role: Some(role),
        content: Some(content.to_owned()),
        parent_id: parent.map(ToString::to_string),
        ..MessageDraft::default()
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

/// The `message.created` event of `message`, naming it in its payload.
fn created_event(message: &NewMessage) -> NewEvent {
    NewEvent::new(
        EventKind::MessageCreated,
        &message.thread_id,
        &message.author_id,
        json!({
            "thread_id": message.thread_id.to_string(),
            "message_id": message.id.to_string(),
        }),
        message.created_at,
    )
}

/// Posts a `user` message with `content` through `messages`.
async fn post_via(
    messages: &dyn MessageRepository,
    thread: &ThreadId,
    author: &UserId,
    content: &str,
) -> Message {
    let new = message_with(thread, author, content, MessageRole::User, None);
    messages.insert(&new, &created_event(&new)).await.unwrap()
}

/// Replaces the text of message `id` through `messages`.
async fn edit_via(
    messages: &dyn MessageRepository,
    id: &MessageId,
    editor: &UserId,
    content: &str,
) {
    let current = messages.find(id).await.unwrap().unwrap();
    let changes = MessageChanges {
        content: Some(Some(text(content))),
        ..MessageChanges::default()
    };
    messages
        .update(
            id,
            &changes,
            editor,
            Some(current.updated_at),
            time::after(current.updated_at),
            &event(EventKind::MessageUpdated, &current.thread_id, editor),
        )
        .await
        .unwrap();
}

async fn toggle_via(
    reactions: &dyn ReactionRepository,
    message: &Message,
    user: &UserId,
    raw_emoji: &str,
) -> Toggled {
    reactions
        .toggle(
            &NewReaction {
                id: ReactionId::generate(),
                message_id: message.id.clone(),
                user_id: user.clone(),
                emoji: emoji(raw_emoji),
                created_at: time::now(),
            },
            50,
            &event(EventKind::ReactionAdded, &message.thread_id, user),
            &event(EventKind::ReactionRemoved, &message.thread_id, user),
        )
        .await
        .unwrap()
}

async fn retitle_via(
    threads: &dyn ThreadRepository,
    thread: &ThreadId,
    actor: &UserId,
    title: &str,
) {
    let changes = ThreadChanges {
        title: Some(ThreadTitle::parse(title).unwrap()),
        ..ThreadChanges::default()
    };
    threads
        .update(
            thread,
            &changes,
            None,
            time::now(),
            &event(EventKind::ThreadUpdated, thread, actor),
        )
        .await
        .unwrap();
}

fn newest_first() -> MessageFilter {
    MessageFilter::default()
}

fn oldest_first() -> MessageFilter {
    MessageFilter {
        order: SortOrder::Asc,
        ..MessageFilter::default()
    }
}

fn page_of(limit: i64, after: Option<Cursor>) -> PageRequest {
    PageRequest {
        limit: Limit::parse(Some(limit)).unwrap(),
        after,
    }
}

async fn list_via(
    messages: &dyn MessageRepository,
    thread: &ThreadId,
    filter: &MessageFilter,
    limit: i64,
) -> Page<Message> {
    messages
        .list(thread, filter, &page_of(limit, None))
        .await
        .unwrap()
}

/// The contents of a page's messages, in page order.
fn contents(page: &Page<Message>) -> Vec<String> {
    page.items
        .iter()
        .map(|m| {
            m.content
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

fn counts(page: &Page<Message>) -> Vec<BTreeMap<String, u64>> {
    page.items
        .iter()
        .map(|m| m.reaction_counts.clone())
        .collect()
}

async fn access(
    threads: &dyn ThreadRepository,
    thread: &ThreadId,
    user: &UserId,
) -> Option<(Thread, Option<MemberRole>)> {
    threads.find_with_role(thread, user).await.unwrap()
}

/// Inserts `message` through `messages` on a task of its own.
fn spawn_insert(
    messages: &Arc<SeaMessageRepository>,
    message: NewMessage,
) -> JoinHandle<(NewMessage, DomainResult<Message>)> {
    let messages = Arc::clone(messages);
    tokio::spawn(async move {
        let created = created_event(&message);
        let result = messages.insert(&message, &created).await;
        (message, result)
    })
}

async fn join_all(
    tasks: Vec<JoinHandle<(NewMessage, DomainResult<Message>)>>,
) -> Vec<(NewMessage, DomainResult<Message>)> {
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// Every message id of `thread`, paging through it 100 at a time, oldest first.
async fn all_ids(messages: &dyn MessageRepository, thread: &ThreadId) -> Vec<MessageId> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = messages
            .list(thread, &oldest_first(), &page_of(100, after))
            .await
            .unwrap();
        ids.extend(page.items.into_iter().map(|m| m.id));
        after = page.next;
        if after.is_none() {
            return ids;
        }
    }
    panic!("paging through {thread} did not end");
}

/// `(event id, thread id, message id)` of every `message.created` event, in id order.
async fn created_events(conn: &Db) -> Vec<(i64, String, String)> {
    let sql =
        r#"SELECT id, thread_id, payload FROM events WHERE "type" = 'message.created' ORDER BY id"#;
    let rows = conn
        .query_all(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let payload: serde_json::Value = row.try_get("", "payload").unwrap();
            let message_id = payload["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (
                row.try_get("", "id").unwrap(),
                row.try_get("", "thread_id").unwrap(),
                message_id,
            )
        })
        .collect()
}

fn is_parent_error(err: &DomainError) -> bool {
    matches!(err, DomainError::Validation(fields) if fields.keys().eq(["parent_id"]))
}

backend_test!(
    a_cached_page_shows_every_message_and_reaction_write_made_through_the_wrappers,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&r.raw_threads, &ada.id, "Chat").await;
        let desc = newest_first();
        let list = || list_via(&r.messages, &thread.id, &desc, 20);

        let first = post_via(&r.messages, &thread.id, &ada.id, "first").await;
        assert_eq!(contents(&list().await), vec!["first"]);

        // Insert.
        let second = post_via(&r.messages, &thread.id, &ada.id, "second").await;
        assert_eq!(contents(&list().await), vec!["second", "first"]);

        // Update.
        edit_via(&r.messages, &first.id, &ada.id, "first, edited").await;
        let page = list().await;
        assert_eq!(contents(&page), vec!["second", "first, edited"]);
        assert!(page.items[1].edited_at.is_some());

        // Reactions: toggle on, toggle off, toggle on, remove.
        assert_eq!(
            toggle_via(&r.reactions, &second, &bob.id, "eyes").await,
            Toggled::Added
        );
        let eyes_once = BTreeMap::from([("eyes".to_owned(), 1)]);
        assert_eq!(
            counts(&list().await),
            vec![eyes_once.clone(), BTreeMap::new()]
        );
        assert_eq!(
            toggle_via(&r.reactions, &second, &ada.id, "eyes").await,
            Toggled::Added
        );
        let eyes_twice = BTreeMap::from([("eyes".to_owned(), 2)]);
        assert_eq!(counts(&list().await), vec![eyes_twice, BTreeMap::new()]);
        assert_eq!(
            toggle_via(&r.reactions, &second, &ada.id, "eyes").await,
            Toggled::Removed
        );
        assert_eq!(counts(&list().await), vec![eyes_once, BTreeMap::new()]);
        let removed = r
            .reactions
            .remove(
                &second.id,
                &bob.id,
                &emoji("eyes"),
                &event(EventKind::ReactionRemoved, &thread.id, &bob.id),
            )
            .await
            .unwrap();
        assert!(removed);
        assert_eq!(
            counts(&list().await),
            vec![BTreeMap::new(), BTreeMap::new()]
        );

        // Delete.
        r.messages
            .delete(
                &second.id,
                None,
                &event(EventKind::MessageDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let page = list().await;
        assert_eq!(contents(&page), vec!["first, edited"]);
        assert_eq!(
            page,
            list_via(&*r.raw_messages, &thread.id, &newest_first(), 20).await
        );
    }
);

backend_test!(
    a_cached_page_follows_renames_and_deletions_of_attached_files,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&r.raw_threads, &ada.id, "Chat").await;
        // The file names no thread: only the message links it to this one.
        let file = stored_file(
            &ada.id,
            None,
            "plan.pdf",
            &digest('a'),
            "application/pdf",
            None,
        );
        let file = insert_file(&r.raw_files, &file).await;
        r.messages
            .insert(
                &message_attaching(&thread.id, &ada.id, "see attached", &[&file]),
                &event(EventKind::MessageCreated, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let desc = newest_first();
        let names = || async {
            list_via(&r.messages, &thread.id, &desc, 20).await.items[0]
                .attachments
                .iter()
                .map(|a| a.filename.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names().await, vec!["plan.pdf"]);

        let rename = domain::file::FileChanges {
            filename: Some(domain::file::FileName::parse("final.pdf").unwrap()),
            metadata: None,
        };
        r.files
            .update(&file.id, &rename, None, time::now())
            .await
            .unwrap();
        assert_eq!(names().await, vec!["final.pdf"]);

        r.files.delete(&file.id, None).await.unwrap();
        assert!(names().await.is_empty());
    }
);

backend_test!(
    the_cached_thread_follows_message_writes_because_the_wrappers_share_epochs,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&r.raw_threads, &ada.id, "Chat").await;
        let counted = || async {
            let (found, role) = access(&r.threads, &thread.id, &ada.id).await.unwrap();
            assert_eq!(role, Some(MemberRole::Owner));
            (found.message_count, found.last_message_at)
        };
        assert_eq!(counted().await, (0, None));

        let first = post_via(&r.messages, &thread.id, &ada.id, "first").await;
        assert_eq!(counted().await, (1, Some(first.created_at)));
        let second = post_via(&r.messages, &thread.id, &ada.id, "second").await;
        assert_eq!(counted().await, (2, Some(second.created_at)));

        r.messages
            .delete(
                &first.id,
                None,
                &event(EventKind::MessageDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(counted().await.0, 1);
        assert_eq!(
            access(&r.threads, &thread.id, &ada.id).await,
            access(&*r.raw_threads, &thread.id, &ada.id).await
        );

        // And the messages follow the thread: deleting it empties its cached page.
        assert_eq!(
            contents(&list_via(&r.messages, &thread.id, &newest_first(), 20).await),
            vec!["second"]
        );
        r.threads
            .delete(
                &thread.id,
                None,
                &event(EventKind::ThreadDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert!(list_via(&r.messages, &thread.id, &newest_first(), 20)
            .await
            .items
            .is_empty());
    }
);

backend_test!(
    cached_access_follows_membership_and_thread_changes_made_through_the_wrapper,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&r.raw_threads, &ada.id, "Team").await;
        let role_of = |user: UserId| {
            let threads = &r.threads;
            let id = thread.id.clone();
            async move { access(threads, &id, &user).await.map(|(_, role)| role) }
        };

        // A stranger: the thread, no role.
        assert_eq!(role_of(bob.id.clone()).await, Some(None));
        r.threads
            .add_member(
                &thread.id,
                &bob.id,
                MemberRole::Editor,
                time::now(),
                &event(EventKind::MemberAdded, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(
            role_of(bob.id.clone()).await,
            Some(Some(MemberRole::Editor))
        );

        r.threads
            .change_role(
                &thread.id,
                &bob.id,
                MemberRole::Viewer,
                &event(EventKind::MemberUpdated, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(
            role_of(bob.id.clone()).await,
            Some(Some(MemberRole::Viewer))
        );

        r.threads
            .remove_member(
                &thread.id,
                &bob.id,
                &event(EventKind::MemberRemoved, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let (seen, role) = access(&r.threads, &thread.id, &bob.id).await.unwrap();
        assert_eq!(role, None);
        assert_eq!(seen.id, thread.id);
        // The owner is untouched.
        assert_eq!(role_of(ada.id.clone()).await, Some(Some(MemberRole::Owner)));

        let (before, _) = access(&r.threads, &thread.id, &ada.id).await.unwrap();
        assert_eq!(before.title.as_str(), "Team");
        retitle_via(&r.threads, &thread.id, &ada.id, "Renamed").await;
        let (after, role) = access(&r.threads, &thread.id, &ada.id).await.unwrap();
        assert_eq!(after.title.as_str(), "Renamed");
        assert_eq!(role, Some(MemberRole::Owner));
        assert_eq!(
            Some((after, role)),
            access(&*r.raw_threads, &thread.id, &ada.id).await
        );

        r.threads
            .delete(
                &thread.id,
                None,
                &event(EventKind::ThreadDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(access(&r.threads, &thread.id, &ada.id).await, None);
        assert_eq!(access(&r.threads, &thread.id, &bob.id).await, None);
    }
);

backend_test!(
    a_thread_looked_up_before_it_existed_is_found_once_created_through_the_wrapper,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let new = new_thread(&ada.id, "Soon", time::now());
        // Creating a thread moves no epoch, so a miss must not be remembered.
        assert_eq!(access(&r.threads, &new.id, &ada.id).await, None);
        assert!(list_via(&r.messages, &new.id, &newest_first(), 20)
            .await
            .items
            .is_empty());

        let created = r
            .threads
            .insert(&new, &event(EventKind::ThreadCreated, &new.id, &ada.id))
            .await
            .unwrap();
        assert_eq!(
            access(&r.threads, &new.id, &ada.id).await,
            Some((created, Some(MemberRole::Owner)))
        );
        post_via(&r.messages, &new.id, &ada.id, "hello").await;
        assert_eq!(
            contents(&list_via(&r.messages, &new.id, &newest_first(), 20).await),
            vec!["hello"]
        );
    }
);

backend_test!(
    the_caches_serve_writes_made_behind_them_only_once_a_write_through_them_moves_the_epoch,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&r.raw_threads, &ada.id, "Chat").await;
        let other = create_thread(&r.raw_threads, &ada.id, "Elsewhere").await;
        r.threads
            .add_member(
                &thread.id,
                &bob.id,
                MemberRole::Editor,
                time::now(),
                &event(EventKind::MemberAdded, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let first = post_via(&r.messages, &thread.id, &ada.id, "first").await;

        let cached_page = list_via(&r.messages, &thread.id, &newest_first(), 20).await;
        assert_eq!(contents(&cached_page), vec!["first"]);
        let cached_access = access(&r.threads, &thread.id, &bob.id).await.unwrap();
        assert_eq!(cached_access.1, Some(MemberRole::Editor));
        assert_eq!(cached_access.0.message_count, 1);

        // Writes behind the caches: straight to the database, no epoch moves.
        post_via(&*r.raw_messages, &thread.id, &ada.id, "behind").await;
        edit_via(&*r.raw_messages, &first.id, &ada.id, "edited behind").await;
        assert_eq!(
            toggle_via(&*r.raw_reactions, &first, &bob.id, "eyes").await,
            Toggled::Added
        );
        retitle_via(&*r.raw_threads, &thread.id, &ada.id, "Renamed behind").await;
        r.raw_threads
            .remove_member(
                &thread.id,
                &bob.id,
                &event(EventKind::MemberRemoved, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let fresh_page = list_via(&*r.raw_messages, &thread.id, &newest_first(), 20).await;
        assert_eq!(contents(&fresh_page), vec!["behind", "edited behind"]);

        // The caches still answer with what they hold, again and again.
        for _ in 0..3 {
            assert_eq!(
                list_via(&r.messages, &thread.id, &newest_first(), 20).await,
                cached_page
            );
            assert_eq!(
                access(&r.threads, &thread.id, &bob.id).await,
                Some(cached_access.clone())
            );
        }

        // Writes through the wrappers to another thread move only that thread's epoch.
        post_via(&r.messages, &other.id, &ada.id, "elsewhere").await;
        retitle_via(&r.threads, &other.id, &ada.id, "Elsewhere, renamed").await;
        assert_eq!(
            list_via(&r.messages, &thread.id, &newest_first(), 20).await,
            cached_page
        );
        assert_eq!(
            access(&r.threads, &thread.id, &bob.id).await,
            Some(cached_access.clone())
        );

        // A write through a wrapper to this thread: both caches now show the database.
        assert_eq!(
            toggle_via(&r.reactions, &first, &ada.id, "tada").await,
            Toggled::Added
        );
        let page = list_via(&r.messages, &thread.id, &newest_first(), 20).await;
        assert_eq!(contents(&page), vec!["behind", "edited behind"]);
        assert_eq!(
            counts(&page)[1],
            BTreeMap::from([("eyes".to_owned(), 1), ("tada".to_owned(), 1)])
        );
        assert_eq!(
            page,
            list_via(&*r.raw_messages, &thread.id, &newest_first(), 20).await
        );
        let (seen, role) = access(&r.threads, &thread.id, &bob.id).await.unwrap();
        assert_eq!(role, None);
        assert_eq!(seen.title.as_str(), "Renamed behind");
        assert_eq!(seen.message_count, 2);
    }
);

backend_test!(
    filters_cursors_and_limits_are_cached_as_different_pages,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let r = repos(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&r.raw_threads, &ada.id, "Chat").await;
        let question = post_via(&r.messages, &thread.id, &ada.id, "m1").await;
        for (content, role) in [
            ("m2", MessageRole::Assistant),
            ("m3", MessageRole::User),
            ("m4", MessageRole::Assistant),
            ("m5", MessageRole::User),
        ] {
            let new = message_with(&thread.id, &ada.id, content, role, Some(&question.id));
            r.messages.insert(&new, &created_event(&new)).await.unwrap();
        }
        let cached = |filter: MessageFilter, limit: i64, after: Option<Cursor>| {
            let messages = &r.messages;
            let raw = &r.raw_messages;
            let id = thread.id.clone();
            async move {
                let request = page_of(limit, after);
                let page = messages.list(&id, &filter, &request).await.unwrap();
                // Asked twice: the second answer is the cached one.
                let again = messages.list(&id, &filter, &request).await.unwrap();
                assert_eq!(again, page);
                assert_eq!(page, raw.list(&id, &filter, &request).await.unwrap());
                page
            }
        };

        let desc = cached(newest_first(), 20, None).await;
        assert_eq!(contents(&desc), vec!["m5", "m4", "m3", "m2", "m1"]);
        let asc = cached(oldest_first(), 20, None).await;
        assert_eq!(contents(&asc), vec!["m1", "m2", "m3", "m4", "m5"]);

        let two = cached(newest_first(), 2, None).await;
        assert_eq!(contents(&two), vec!["m5", "m4"]);
        let three = cached(newest_first(), 3, None).await;
        assert_eq!(contents(&three), vec!["m5", "m4", "m3"]);
        let next = cached(newest_first(), 2, two.next.clone()).await;
        assert_eq!(contents(&next), vec!["m3", "m2"]);
        let last = cached(newest_first(), 2, next.next.clone()).await;
        assert_eq!(contents(&last), vec!["m1"]);
        assert_eq!(last.next, None);
        let asc_two = cached(oldest_first(), 2, None).await;
        assert_eq!(contents(&asc_two), vec!["m1", "m2"]);
        let asc_next = cached(oldest_first(), 2, asc_two.next.clone()).await;
        assert_eq!(contents(&asc_next), vec!["m3", "m4"]);

        let assistants = MessageFilter {
            role: Some(MessageRole::Assistant),
            ..MessageFilter::default()
        };
        assert_eq!(
            contents(&cached(assistants, 20, None).await),
            vec!["m4", "m2"]
        );
        let users_asc = MessageFilter {
            order: SortOrder::Asc,
            role: Some(MessageRole::User),
            ..MessageFilter::default()
        };
        assert_eq!(
            contents(&cached(users_asc, 20, None).await),
            vec!["m1", "m3", "m5"]
        );
        let replies = MessageFilter {
            parent_id: Some(question.id.clone()),
            ..MessageFilter::default()
        };
        assert_eq!(
            contents(&cached(replies, 20, None).await),
            vec!["m5", "m4", "m3", "m2"]
        );
        let other_parent = MessageFilter {
            parent_id: Some(MessageId::generate()),
            ..MessageFilter::default()
        };
        assert!(cached(other_parent, 20, None).await.items.is_empty());

        // The pages of another thread are its own.
        let empty = create_thread(&r.raw_threads, &ada.id, "Empty").await;
        assert!(list_via(&r.messages, &empty.id, &newest_first(), 20)
            .await
            .items
            .is_empty());
        // And the first ones are still served as cached.
        assert_eq!(
            contents(&list_via(&r.messages, &thread.id, &newest_first(), 20).await),
            vec!["m5", "m4", "m3", "m2", "m1"]
        );
    }
);

backend_test!(
    two_hundred_concurrent_inserts_across_three_threads_are_each_written_once,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = Arc::new(message_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let mut thread_ids = Vec::new();
        for title in ["One", "Two", "Three"] {
            thread_ids.push(create_thread(&threads, &ada.id, title).await.id);
        }
        let events_before = events(&conn).await.len();

        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let thread = &thread_ids[i % 3];
                let new = message_with(
                    thread,
                    &ada.id,
                    &format!("message {i}"),
                    MessageRole::User,
                    None,
                );
                spawn_insert(&messages, new)
            })
            .collect();
        let outcomes = join_all(tasks).await;

        let mut inserted: HashMap<ThreadId, Vec<NewMessage>> = HashMap::new();
        for (new, result) in outcomes {
            let message = result.unwrap_or_else(|err| panic!("{} failed: {err:?}", new.id));
            assert_eq!(message.id, new.id);
            assert_eq!(message.thread_id, new.thread_id);
            assert_eq!(message.created_at, new.created_at);
            inserted.entry(new.thread_id.clone()).or_default().push(new);
        }
        let mut all_ids = BTreeSet::new();
        for thread in &thread_ids {
            let expected = &inserted[thread];
            let (found, _) = threads
                .find_with_role(thread, &ada.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(found.message_count, u64::try_from(expected.len()).unwrap());
            let newest = expected.iter().map(|m| m.created_at).max().unwrap();
            assert_eq!(found.updated_at, newest);
            let last = found.last_message_at.unwrap();
            assert!(expected.iter().any(|m| m.created_at == last), "{last}");

            let listed = all_ids_of(&messages, thread).await;
            let unique: BTreeSet<_> = listed.iter().cloned().collect();
            assert_eq!(unique.len(), listed.len(), "a message was listed twice");
            let wanted: BTreeSet<_> = expected.iter().map(|m| m.id.clone()).collect();
            assert_eq!(unique, wanted);
            all_ids.extend(unique);
        }
        assert_eq!(all_ids.len(), 200);
        assert_eq!(count(&conn, "messages").await, 200);

        // `events` checks that the ids strictly increase.
        let appended = &events(&conn).await[events_before..];
        assert_eq!(appended.len(), 200);
        assert!(appended.iter().all(|e| e.kind == "message.created"));
        let created = created_events(&conn).await;
        assert_eq!(created.len(), 200);
        assert!(created.windows(2).all(|pair| pair[0].0 < pair[1].0));
        let named: BTreeSet<String> = created.iter().map(|(_, _, id)| id.clone()).collect();
        let all_named: BTreeSet<String> = all_ids.iter().map(ToString::to_string).collect();
        assert_eq!(named, all_named, "one event per message");
        for (_, thread_id, message_id) in &created {
            let message = messages
                .find(&MessageId::from_trusted(message_id.clone()))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&message.thread_id.to_string(), thread_id);
        }
    }
);

async fn all_ids_of(messages: &Arc<SeaMessageRepository>, thread: &ThreadId) -> Vec<MessageId> {
    all_ids(&**messages, thread).await
}

backend_test!(
    concurrent_inserts_into_a_deleted_or_missing_thread_fail_alone,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = Arc::new(message_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let alive = create_thread(&threads, &ada.id, "Alive").await;
        let deleted = create_thread(&threads, &ada.id, "Deleted").await;
        threads
            .delete(
                &deleted.id,
                None,
                &event(EventKind::ThreadDeleted, &deleted.id, &ada.id),
            )
            .await
            .unwrap();
        let missing = ThreadId::generate();
        let events_before = events(&conn).await.len();

        let tasks: Vec<_> = (0..60)
            .map(|i| {
                let thread = match i % 4 {
                    0 | 2 => &alive.id,
                    1 => &deleted.id,
                    _ => &missing,
                };
                let new = message_with(thread, &ada.id, &format!("m{i}"), MessageRole::User, None);
                spawn_insert(&messages, new)
            })
            .collect();
        let outcomes = join_all(tasks).await;

        let mut written = BTreeSet::new();
        for (new, result) in outcomes {
            if new.thread_id == alive.id {
                let message = result.unwrap_or_else(|err| panic!("{} failed: {err:?}", new.id));
                written.insert(message.id);
            } else {
                let err = result.unwrap_err();
                assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
                assert_eq!(messages.find(&new.id).await.unwrap(), None);
            }
        }
        assert_eq!(written.len(), 30);
        let listed: BTreeSet<_> = all_ids_of(&messages, &alive.id).await.into_iter().collect();
        assert_eq!(listed, written);
        let (found, _) = threads
            .find_with_role(&alive.id, &ada.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.message_count, 30);
        assert_eq!(count(&conn, "messages").await, 30);
        for gone in [&deleted.id, &missing] {
            let rows = count(&conn, &format!("messages WHERE thread_id = '{gone}'")).await;
            assert_eq!(rows, 0);
        }

        let appended = &events(&conn).await[events_before..];
        assert_eq!(appended.len(), 30);
        assert!(appended
            .iter()
            .all(|e| e.kind == "message.created" && e.thread_id == alive.id.to_string()));
        let named: BTreeSet<String> = created_events(&conn)
            .await
            .into_iter()
            .map(|(_, _, id)| id)
            .collect();
        let all_named: BTreeSet<String> = written.iter().map(ToString::to_string).collect();
        assert_eq!(named, all_named);
    }
);

backend_test!(
    a_message_whose_parent_is_gone_is_a_validation_error_and_its_neighbours_are_written,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = Arc::new(message_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Chat").await;
        let kept = post_via(&*messages, &thread.id, &ada.id, "kept").await;
        let gone = post_via(&*messages, &thread.id, &ada.id, "gone").await;
        messages
            .delete(
                &gone.id,
                None,
                &event(EventKind::MessageDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let missing_thread = ThreadId::generate();
        let events_before = events(&conn).await.len();

        // Good messages (some replying to a parent that exists) around two orphans, and
        // one message for a thread that does not exist, all in flight together.
        let mut orphans = BTreeSet::new();
        let mut tasks = Vec::new();
        for i in 0..41 {
            let new = match i {
                10 => message_with(
                    &thread.id,
                    &ada.id,
                    "orphan",
                    MessageRole::User,
                    Some(&gone.id),
                ),
                20 => message_with(
                    &thread.id,
                    &ada.id,
                    "never had a parent",
                    MessageRole::Assistant,
                    Some(&MessageId::generate()),
                ),
                30 => message_with(&missing_thread, &ada.id, "nowhere", MessageRole::User, None),
                i if i % 2 == 0 => message_with(
                    &thread.id,
                    &ada.id,
                    &format!("reply {i}"),
                    MessageRole::Assistant,
                    Some(&kept.id),
                ),
                i => message_with(
                    &thread.id,
                    &ada.id,
                    &format!("m{i}"),
                    MessageRole::User,
                    None,
                ),
            };
            if i == 10 || i == 20 {
                orphans.insert(new.id.clone());
            }
            tasks.push(spawn_insert(&messages, new));
        }
        let outcomes = join_all(tasks).await;

        let mut written = BTreeSet::new();
        for (new, result) in outcomes {
            if orphans.contains(&new.id) {
                let err = result.unwrap_err();
                assert!(is_parent_error(&err), "{err:?}");
                assert_eq!(messages.find(&new.id).await.unwrap(), None);
            } else if new.thread_id == missing_thread {
                let err = result.unwrap_err();
                assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
            } else {
                let message = result.unwrap_or_else(|err| panic!("{} failed: {err:?}", new.id));
                assert_eq!(message.parent_id, new.fields.parent_id);
                written.insert(message.id);
            }
        }
        assert_eq!(written.len(), 38);
        let (found, _) = threads
            .find_with_role(&thread.id, &ada.id)
            .await
            .unwrap()
            .unwrap();
        // `kept` and the 38 written; the deleted parent and the orphans count for nothing.
        assert_eq!(found.message_count, 39);
        let listed: BTreeSet<_> = all_ids_of(&messages, &thread.id)
            .await
            .into_iter()
            .collect();
        let mut expected = written.clone();
        expected.insert(kept.id.clone());
        assert_eq!(listed, expected);
        let replies = messages
            .list(
                &thread.id,
                &MessageFilter {
                    parent_id: Some(kept.id.clone()),
                    ..MessageFilter::default()
                },
                &page_of(100, None),
            )
            .await
            .unwrap();
        assert_eq!(replies.items.len(), 18);

        let appended = &events(&conn).await[events_before..];
        assert_eq!(appended.len(), 38);
        assert!(appended.iter().all(|e| e.kind == "message.created"));
        let named: BTreeSet<String> = created_events(&conn)
            .await
            .into_iter()
            .map(|(_, _, id)| id)
            .filter(|id| *id != kept.id.to_string() && *id != gone.id.to_string())
            .collect();
        let all_named: BTreeSet<String> = written.iter().map(ToString::to_string).collect();
        assert_eq!(named, all_named);
    }
);
