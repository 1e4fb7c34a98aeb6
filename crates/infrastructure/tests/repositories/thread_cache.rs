//! The thread read caches (`CachedThreadRepository`, `CachedMessageRepository`,
//! `CachedReactionRepository`, `CachedFileRepository` over one `ThreadEpochs`, as
//! [`Fixture::with_caches`] wires them) never serve a value older than a write made through
//! them, and do serve what they cached until such a write; and the group commit of new
//! messages writes each message, its counter and its event exactly once, failing only the
//! messages that cannot be written.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use domain::{
    event::{EventKind, NewEvent},
    file::{FileChanges, FileName},
    id::{MessageId, ThreadId, UserId},
    message::{Message, MessageFilter, MessageRepository, MessageRole, NewMessage, SortOrder},
    pagination::{Cursor, Page},
    reaction::{Emoji, ReactionRepository, Toggled},
    thread::MemberRole,
    time, DomainError, DomainResult,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::support::{
    event, message_attaching, message_with, new_text, new_thread, oldest_first, page_of, titled,
    toggle, Fixture,
};

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

/// Toggles `emoji` on `message` for `user` through `reactions`.
async fn toggle_via(
    reactions: &dyn ReactionRepository,
    message: &Message,
    user: &UserId,
    emoji: &str,
) -> Toggled {
    let toggled = toggle(reactions, &message.thread_id, &message.id, user, emoji, 50);
    toggled.await.unwrap()
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

/// Inserts each message through `f` on a task of its own, all at once; their outcomes, in
/// the same order.
async fn insert_concurrently(
    f: &Fixture,
    messages: Vec<NewMessage>,
) -> Vec<(NewMessage, DomainResult<Message>)> {
    let tasks: Vec<JoinHandle<_>> = messages
        .into_iter()
        .map(|message| {
            let messages = Arc::clone(&f.messages);
            tokio::spawn(async move {
                let created = created_event(&message);
                let result = messages.insert(&message, &created).await;
                (message, result)
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// The message an insert wrote, failing the test when it wrote none.
fn written(new: &NewMessage, result: DomainResult<Message>) -> Message {
    result.unwrap_or_else(|err| panic!("{} failed: {err:?}", new.id))
}

/// Every message id of `thread`, paging through it 100 at a time, oldest first.
async fn all_ids(f: &Fixture, thread: &ThreadId) -> Vec<MessageId> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = f
            .messages
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
async fn created_events(f: &Fixture) -> Vec<(i64, String, String)> {
    let sql =
        r#"SELECT id, thread_id, payload FROM events WHERE "type" = 'message.created' ORDER BY id"#;
    let conn = &f.conn;
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

/// The ids the `message.created` events name, leaving out `except`.
async fn named_by_events(f: &Fixture, except: &[&MessageId]) -> BTreeSet<String> {
    let except: Vec<String> = except.iter().map(ToString::to_string).collect();
    created_events(f)
        .await
        .into_iter()
        .map(|(_, _, id)| id)
        .filter(|id| !except.contains(id))
        .collect()
}

fn as_text(ids: &BTreeSet<MessageId>) -> BTreeSet<String> {
    ids.iter().map(ToString::to_string).collect()
}

fn is_parent_error(err: &DomainError) -> bool {
    matches!(err, DomainError::Validation(fields) if fields.keys().eq(["parent_id"]))
}

repo_test!(
    a_cached_page_shows_every_message_and_reaction_write_made_through_the_wrappers,
    |f| {
        let cached = f.with_caches();
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let thread = f.thread(&ada.id, "Chat").await;
        let list = || cached.newest_messages(&thread.id, 20);

        let first = post_via(&*cached.messages, &thread.id, &ada.id, "first").await;
        assert_eq!(contents(&list().await), vec!["first"]);

        // Insert.
        let second = post_via(&*cached.messages, &thread.id, &ada.id, "second").await;
        assert_eq!(contents(&list().await), vec!["second", "first"]);

        // Update.
        cached
            .edit(&first.id, &new_text("first, edited"), &ada.id)
            .await;
        let page = list().await;
        assert_eq!(contents(&page), vec!["second", "first, edited"]);
        assert!(page.items[1].edited_at.is_some());

        // Reactions: toggle on, toggle off, toggle on, remove.
        let reactions = &*cached.reactions;
        let none = BTreeMap::new;
        assert_eq!(
            toggle_via(reactions, &second, &bob.id, "eyes").await,
            Toggled::Added
        );
        let eyes_once = BTreeMap::from([("eyes".to_owned(), 1)]);
        assert_eq!(counts(&list().await), vec![eyes_once.clone(), none()]);
        assert_eq!(
            toggle_via(reactions, &second, &ada.id, "eyes").await,
            Toggled::Added
        );
        let eyes_twice = BTreeMap::from([("eyes".to_owned(), 2)]);
        assert_eq!(counts(&list().await), vec![eyes_twice, none()]);
        assert_eq!(
            toggle_via(reactions, &second, &ada.id, "eyes").await,
            Toggled::Removed
        );
        assert_eq!(counts(&list().await), vec![eyes_once, none()]);
        let removal = event(EventKind::ReactionRemoved, &thread.id, &bob.id);
        let eyes = Emoji::parse("eyes").unwrap();
        let removed = reactions.remove(&second.id, &bob.id, &eyes, &removal);
        assert!(removed.await.unwrap());
        assert_eq!(counts(&list().await), vec![none(), none()]);

        // Delete.
        cached
            .delete_message(&second.id, &thread.id, None, &ada.id)
            .await
            .unwrap();
        let page = list().await;
        assert_eq!(contents(&page), vec!["first, edited"]);
        assert_eq!(page, f.newest_messages(&thread.id, 20).await);
    }
);

repo_test!(
    a_cached_page_follows_renames_and_deletions_of_attached_files,
    |f| {
        let cached = f.with_caches();
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Chat").await;
        // The file names no thread: only the message links it to this one.
        let file = f
            .file(&ada.id, None, "plan.pdf", 'a', "application/pdf", None)
            .await;
        cached
            .insert_message(&message_attaching(
                &thread.id,
                &ada.id,
                "see attached",
                &[&file],
            ))
            .await;
        let names = || async {
            cached.newest_messages(&thread.id, 20).await.items[0]
                .attachments
                .iter()
                .map(|a| a.filename.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names().await, vec!["plan.pdf"]);

        let rename = FileChanges {
            filename: Some(FileName::parse("final.pdf").unwrap()),
            metadata: None,
        };
        let files = &cached.files;
        files
            .update(&file.id, &rename, None, time::now())
            .await
            .unwrap();
        assert_eq!(names().await, vec!["final.pdf"]);

        files.delete(&file.id, None).await.unwrap();
        assert!(names().await.is_empty());
    }
);

repo_test!(
    the_cached_thread_follows_message_writes_because_the_wrappers_share_epochs,
    |f| {
        let cached = f.with_caches();
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Chat").await;
        let counted = || async {
            let (found, role) = cached.access(&thread.id, &ada.id).await.unwrap();
            assert_eq!(role, Some(MemberRole::Owner));
            (found.message_count, found.last_message_at)
        };
        assert_eq!(counted().await, (0, None));

        let first = post_via(&*cached.messages, &thread.id, &ada.id, "first").await;
        assert_eq!(counted().await, (1, Some(first.created_at)));
        let second = post_via(&*cached.messages, &thread.id, &ada.id, "second").await;
        assert_eq!(counted().await, (2, Some(second.created_at)));

        cached
            .delete_message(&first.id, &thread.id, None, &ada.id)
            .await
            .unwrap();
        assert_eq!(counted().await.0, 1);
        assert_eq!(
            cached.access(&thread.id, &ada.id).await,
            f.access(&thread.id, &ada.id).await
        );

        // And the messages follow the thread: deleting it empties its cached page.
        assert_eq!(
            contents(&cached.newest_messages(&thread.id, 20).await),
            vec!["second"]
        );
        cached
            .delete_thread(&thread.id, None, &ada.id)
            .await
            .unwrap();
        assert!(cached
            .newest_messages(&thread.id, 20)
            .await
            .items
            .is_empty());
    }
);

repo_test!(
    cached_access_follows_membership_and_thread_changes_made_through_the_wrapper,
    |f| {
        let cached = f.with_caches();
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let thread = f.thread(&ada.id, "Team").await;
        let role_of = |user: UserId| {
            let (cached, id) = (&cached, thread.id.clone());
            async move { cached.access(&id, &user).await.map(|(_, role)| role) }
        };

        // A stranger: the thread, no role.
        assert_eq!(role_of(bob.id.clone()).await, Some(None));
        cached
            .add_member(&thread.id, &bob.id, MemberRole::Editor, &ada.id)
            .await;
        assert_eq!(
            role_of(bob.id.clone()).await,
            Some(Some(MemberRole::Editor))
        );

        cached
            .change_role(&thread.id, &bob.id, MemberRole::Viewer, &ada.id)
            .await
            .unwrap();
        assert_eq!(
            role_of(bob.id.clone()).await,
            Some(Some(MemberRole::Viewer))
        );

        cached
            .remove_member(&thread.id, &bob.id, &ada.id)
            .await
            .unwrap();
        let (seen, role) = cached.access(&thread.id, &bob.id).await.unwrap();
        assert_eq!(role, None);
        assert_eq!(seen.id, thread.id);
        // The owner is untouched.
        assert_eq!(role_of(ada.id.clone()).await, Some(Some(MemberRole::Owner)));

        let (before, _) = cached.access(&thread.id, &ada.id).await.unwrap();
        assert_eq!(before.title.as_str(), "Team");
        cached
            .update_thread(&thread.id, &titled("Renamed"), None, time::now(), &ada.id)
            .await
            .unwrap();
        let (after, role) = cached.access(&thread.id, &ada.id).await.unwrap();
        assert_eq!(after.title.as_str(), "Renamed");
        assert_eq!(role, Some(MemberRole::Owner));
        assert_eq!(Some((after, role)), f.access(&thread.id, &ada.id).await);

        cached
            .delete_thread(&thread.id, None, &ada.id)
            .await
            .unwrap();
        assert_eq!(cached.access(&thread.id, &ada.id).await, None);
        assert_eq!(cached.access(&thread.id, &bob.id).await, None);
    }
);

repo_test!(
    a_thread_looked_up_before_it_existed_is_found_once_created_through_the_wrapper,
    |f| {
        let cached = f.with_caches();
        let ada = f.user("Ada").await;
        let new = new_thread(&ada.id, "Soon", time::now());
        // Creating a thread moves no epoch, so a miss must not be remembered.
        assert_eq!(cached.access(&new.id, &ada.id).await, None);
        assert!(cached.newest_messages(&new.id, 20).await.items.is_empty());

        let created = cached
            .threads
            .insert(&new, &event(EventKind::ThreadCreated, &new.id, &ada.id))
            .await
            .unwrap();
        assert_eq!(
            cached.access(&new.id, &ada.id).await,
            Some((created, Some(MemberRole::Owner)))
        );
        post_via(&*cached.messages, &new.id, &ada.id, "hello").await;
        assert_eq!(
            contents(&cached.newest_messages(&new.id, 20).await),
            vec!["hello"]
        );
    }
);

repo_test!(
    the_caches_serve_writes_made_behind_them_only_once_a_write_through_them_moves_the_epoch,
    |f| {
        let cached = f.with_caches();
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let thread = f.thread(&ada.id, "Chat").await;
        let other = f.thread(&ada.id, "Elsewhere").await;
        cached
            .add_member(&thread.id, &bob.id, MemberRole::Editor, &ada.id)
            .await;
        let first = post_via(&*cached.messages, &thread.id, &ada.id, "first").await;

        let cached_page = cached.newest_messages(&thread.id, 20).await;
        assert_eq!(contents(&cached_page), vec!["first"]);
        let cached_access = cached.access(&thread.id, &bob.id).await.unwrap();
        assert_eq!(cached_access.1, Some(MemberRole::Editor));
        assert_eq!(cached_access.0.message_count, 1);

        // Writes behind the caches: straight to the database, no epoch moves.
        post_via(&*f.messages, &thread.id, &ada.id, "behind").await;
        f.edit(&first.id, &new_text("edited behind"), &ada.id).await;
        assert_eq!(
            toggle_via(&*f.reactions, &first, &bob.id, "eyes").await,
            Toggled::Added
        );
        f.update_thread(
            &thread.id,
            &titled("Renamed behind"),
            None,
            time::now(),
            &ada.id,
        )
        .await
        .unwrap();
        f.remove_member(&thread.id, &bob.id, &ada.id).await.unwrap();
        let fresh_page = f.newest_messages(&thread.id, 20).await;
        assert_eq!(contents(&fresh_page), vec!["behind", "edited behind"]);

        // The caches still answer with what they hold, again and again; also after writes
        // through the wrappers to another thread, which move only that thread's epoch.
        let still_cached = || async {
            assert_eq!(cached.newest_messages(&thread.id, 20).await, cached_page);
            assert_eq!(
                cached.access(&thread.id, &bob.id).await,
                Some(cached_access.clone())
            );
        };
        for _ in 0..3 {
            still_cached().await;
        }
        post_via(&*cached.messages, &other.id, &ada.id, "elsewhere").await;
        cached
            .update_thread(
                &other.id,
                &titled("Elsewhere, renamed"),
                None,
                time::now(),
                &ada.id,
            )
            .await
            .unwrap();
        still_cached().await;

        // A write through a wrapper to this thread: both caches now show the database.
        assert_eq!(
            toggle_via(&*cached.reactions, &first, &ada.id, "tada").await,
            Toggled::Added
        );
        let page = cached.newest_messages(&thread.id, 20).await;
        assert_eq!(contents(&page), vec!["behind", "edited behind"]);
        assert_eq!(
            counts(&page)[1],
            BTreeMap::from([("eyes".to_owned(), 1), ("tada".to_owned(), 1)])
        );
        assert_eq!(page, f.newest_messages(&thread.id, 20).await);
        let (seen, role) = cached.access(&thread.id, &bob.id).await.unwrap();
        assert_eq!(role, None);
        assert_eq!(seen.title.as_str(), "Renamed behind");
        assert_eq!(seen.message_count, 2);
    }
);

repo_test!(
    filters_cursors_and_limits_are_cached_as_different_pages,
    |f| {
        let cached = f.with_caches();
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Chat").await;
        let question = post_via(&*cached.messages, &thread.id, &ada.id, "m1").await;
        for (content, role) in [
            ("m2", MessageRole::Assistant),
            ("m3", MessageRole::User),
            ("m4", MessageRole::Assistant),
            ("m5", MessageRole::User),
        ] {
            let new = message_with(&thread.id, &ada.id, content, role, Some(&question.id));
            let created = created_event(&new);
            cached.messages.insert(&new, &created).await.unwrap();
        }
        let page = |filter: MessageFilter, limit: i64, after: Option<Cursor>| {
            let (cached, f, id) = (&cached, &f, thread.id.clone());
            async move {
                let request = page_of(limit, after);
                let page = cached.messages.list(&id, &filter, &request).await.unwrap();
                // Asked twice: the second answer is the cached one.
                let again = cached.messages.list(&id, &filter, &request).await.unwrap();
                assert_eq!(again, page);
                assert_eq!(page, f.messages.list(&id, &filter, &request).await.unwrap());
                page
            }
        };
        let newest_first = MessageFilter::default;

        let assistants = MessageFilter {
            role: Some(MessageRole::Assistant),
            ..MessageFilter::default()
        };
        let users_asc = MessageFilter {
            order: SortOrder::Asc,
            role: Some(MessageRole::User),
            ..MessageFilter::default()
        };
        let replies = MessageFilter {
            parent_id: Some(question.id.clone()),
            ..MessageFilter::default()
        };
        let other_parent = MessageFilter {
            parent_id: Some(MessageId::generate()),
            ..MessageFilter::default()
        };
        let first_pages: [(&str, MessageFilter, i64, &[&str]); 8] = [
            (
                "newest first",
                newest_first(),
                20,
                &["m5", "m4", "m3", "m2", "m1"],
            ),
            (
                "oldest first",
                oldest_first(),
                20,
                &["m1", "m2", "m3", "m4", "m5"],
            ),
            ("newest two", newest_first(), 2, &["m5", "m4"]),
            ("newest three", newest_first(), 3, &["m5", "m4", "m3"]),
            ("assistants", assistants, 20, &["m4", "m2"]),
            ("users, oldest first", users_asc, 20, &["m1", "m3", "m5"]),
            ("replies", replies, 20, &["m5", "m4", "m3", "m2"]),
            ("replies to another parent", other_parent, 20, &[]),
        ];
        for (case, filter, limit, expected) in first_pages {
            let listed = page(filter, limit, None).await;
            assert_eq!(contents(&listed), expected, "{case}");
        }

        // The pages after a cursor.
        let two = page(newest_first(), 2, None).await;
        let next = page(newest_first(), 2, two.next.clone()).await;
        assert_eq!(contents(&next), vec!["m3", "m2"]);
        let last = page(newest_first(), 2, next.next.clone()).await;
        assert_eq!(contents(&last), vec!["m1"]);
        assert_eq!(last.next, None);
        let asc_two = page(oldest_first(), 2, None).await;
        assert_eq!(contents(&asc_two), vec!["m1", "m2"]);
        let asc_next = page(oldest_first(), 2, asc_two.next.clone()).await;
        assert_eq!(contents(&asc_next), vec!["m3", "m4"]);

        // The pages of another thread are its own.
        let empty = f.thread(&ada.id, "Empty").await;
        assert!(cached.newest_messages(&empty.id, 20).await.items.is_empty());
        // And the first ones are still served as cached.
        assert_eq!(
            contents(&cached.newest_messages(&thread.id, 20).await),
            vec!["m5", "m4", "m3", "m2", "m1"]
        );
    }
);

repo_test!(
    two_hundred_concurrent_inserts_across_three_threads_are_each_written_once,
    |f| {
        let ada = f.user("Ada").await;
        let mut thread_ids = Vec::new();
        for title in ["One", "Two", "Three"] {
            thread_ids.push(f.thread(&ada.id, title).await.id);
        }
        let events_before = f.events().await.len();

        let messages = (0..200)
            .map(|i| {
                let thread = &thread_ids[i % 3];
                let content = format!("message {i}");
                message_with(thread, &ada.id, &content, MessageRole::User, None)
            })
            .collect();
        let outcomes = insert_concurrently(&f, messages).await;

        let mut inserted: HashMap<ThreadId, Vec<NewMessage>> = HashMap::new();
        for (new, result) in outcomes {
            let message = written(&new, result);
            assert_eq!(message.id, new.id);
            assert_eq!(message.thread_id, new.thread_id);
            assert_eq!(message.created_at, new.created_at);
            inserted.entry(new.thread_id.clone()).or_default().push(new);
        }
        let mut all_written = BTreeSet::new();
        for thread in &thread_ids {
            let expected = &inserted[thread];
            let found = f.thread_seen_by(thread, &ada.id).await;
            assert_eq!(found.message_count, u64::try_from(expected.len()).unwrap());
            let newest = expected.iter().map(|m| m.created_at).max().unwrap();
            assert_eq!(found.updated_at, newest);
            let last = found.last_message_at.unwrap();
            assert!(expected.iter().any(|m| m.created_at == last), "{last}");

            let listed = all_ids(&f, thread).await;
            let unique: BTreeSet<_> = listed.iter().cloned().collect();
            assert_eq!(unique.len(), listed.len(), "a message was listed twice");
            let wanted: BTreeSet<_> = expected.iter().map(|m| m.id.clone()).collect();
            assert_eq!(unique, wanted);
            all_written.extend(unique);
        }
        assert_eq!(all_written.len(), 200);
        assert_eq!(f.count("messages").await, 200);

        // `events` checks that the ids strictly increase.
        let appended = f.events_since(events_before).await;
        assert_eq!(appended.len(), 200);
        assert!(appended.iter().all(|e| e.kind == "message.created"));
        let created = created_events(&f).await;
        assert_eq!(created.len(), 200);
        assert!(created.windows(2).all(|pair| pair[0].0 < pair[1].0));
        let named = named_by_events(&f, &[]).await;
        assert_eq!(named, as_text(&all_written), "one event per message");
        for (_, thread_id, message_id) in &created {
            let message = f
                .messages
                .find(&MessageId::from_trusted(message_id.clone()))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&message.thread_id.to_string(), thread_id);
        }
    }
);

repo_test!(
    concurrent_inserts_into_a_deleted_or_missing_thread_fail_alone,
    |f| {
        let ada = f.user("Ada").await;
        let alive = f.thread(&ada.id, "Alive").await;
        let deleted = f.thread(&ada.id, "Deleted").await;
        f.delete_thread(&deleted.id, None, &ada.id).await.unwrap();
        let missing = ThreadId::generate();
        let events_before = f.events().await.len();

        let messages = (0..60)
            .map(|i| {
                let thread = match i % 4 {
                    0 | 2 => &alive.id,
                    1 => &deleted.id,
                    _ => &missing,
                };
                message_with(thread, &ada.id, &format!("m{i}"), MessageRole::User, None)
            })
            .collect();
        let outcomes = insert_concurrently(&f, messages).await;

        let mut all_written = BTreeSet::new();
        for (new, result) in outcomes {
            if new.thread_id == alive.id {
                all_written.insert(written(&new, result).id);
            } else {
                let err = result.unwrap_err();
                assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
                assert_eq!(f.messages.find(&new.id).await.unwrap(), None);
            }
        }
        assert_eq!(all_written.len(), 30);
        let listed: BTreeSet<_> = all_ids(&f, &alive.id).await.into_iter().collect();
        assert_eq!(listed, all_written);
        assert_eq!(f.thread_seen_by(&alive.id, &ada.id).await.message_count, 30);
        assert_eq!(f.count("messages").await, 30);
        for gone in [&deleted.id, &missing] {
            let rows = f
                .count(&format!("messages WHERE thread_id = '{gone}'"))
                .await;
            assert_eq!(rows, 0);
        }

        let appended = f.events_since(events_before).await;
        assert_eq!(appended.len(), 30);
        assert!(appended
            .iter()
            .all(|e| e.kind == "message.created" && e.thread_id == alive.id.to_string()));
        assert_eq!(named_by_events(&f, &[]).await, as_text(&all_written));
    }
);

repo_test!(
    a_message_whose_parent_is_gone_is_a_validation_error_and_its_neighbours_are_written,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Chat").await;
        let kept = post_via(&*f.messages, &thread.id, &ada.id, "kept").await;
        let gone = post_via(&*f.messages, &thread.id, &ada.id, "gone").await;
        f.delete_message(&gone.id, &thread.id, None, &ada.id)
            .await
            .unwrap();
        let missing_thread = ThreadId::generate();
        let events_before = f.events().await.len();

        // Good messages (some replying to a parent that exists) around two orphans, and
        // one message for a thread that does not exist, all in flight together.
        let (user, assistant) = (MessageRole::User, MessageRole::Assistant);
        let in_thread =
            |content: &str, role, parent| message_with(&thread.id, &ada.id, content, role, parent);
        let never_was = MessageId::generate();
        let mut orphans = BTreeSet::new();
        let mut messages = Vec::new();
        for i in 0..41 {
            let new = match i {
                10 => in_thread("orphan", user, Some(&gone.id)),
                20 => in_thread("never had a parent", assistant, Some(&never_was)),
                30 => message_with(&missing_thread, &ada.id, "nowhere", user, None),
                i if i % 2 == 0 => in_thread(&format!("reply {i}"), assistant, Some(&kept.id)),
                i => in_thread(&format!("m{i}"), user, None),
            };
            if i == 10 || i == 20 {
                orphans.insert(new.id.clone());
            }
            messages.push(new);
        }
        let outcomes = insert_concurrently(&f, messages).await;

        let mut all_written = BTreeSet::new();
        for (new, result) in outcomes {
            if orphans.contains(&new.id) {
                let err = result.unwrap_err();
                assert!(is_parent_error(&err), "{err:?}");
                assert_eq!(f.messages.find(&new.id).await.unwrap(), None);
            } else if new.thread_id == missing_thread {
                let err = result.unwrap_err();
                assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
            } else {
                let message = written(&new, result);
                assert_eq!(message.parent_id, new.fields.parent_id);
                all_written.insert(message.id);
            }
        }
        assert_eq!(all_written.len(), 38);
        // `kept` and the 38 written; the deleted parent and the orphans count for nothing.
        assert_eq!(
            f.thread_seen_by(&thread.id, &ada.id).await.message_count,
            39
        );
        let listed: BTreeSet<_> = all_ids(&f, &thread.id).await.into_iter().collect();
        let mut expected = all_written.clone();
        expected.insert(kept.id.clone());
        assert_eq!(listed, expected);
        let replies = MessageFilter {
            parent_id: Some(kept.id.clone()),
            ..MessageFilter::default()
        };
        let page = page_of(100, None);
        let replies = f.messages.list(&thread.id, &replies, &page).await.unwrap();
        assert_eq!(replies.items.len(), 18);

        let appended = f.events_since(events_before).await;
        assert_eq!(appended.len(), 38);
        assert!(appended.iter().all(|e| e.kind == "message.created"));
        let named = named_by_events(&f, &[&kept.id, &gone.id]).await;
        assert_eq!(named, as_text(&all_written));
    }
);
