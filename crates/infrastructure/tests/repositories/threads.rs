//! `SeaThreadRepository` against the `ThreadRepository` contract, and the events its writes
//! append.

use std::collections::HashSet;

use chrono::TimeDelta;
use domain::{
    event::EventKind,
    id::{ThreadId, UserId},
    json_object::{Memory, Metadata},
    message::{MessageChanges, MessageContent, MessageRepository},
    pagination::{Limit, PageRequest},
    reaction::{Emoji, NewReaction, ReactionRepository, Toggled},
    thread::{
        CreateThread, MemberRole, NewThread, ThreadChanges, ThreadDescription, ThreadFilter,
        ThreadRepository, ThreadStatus, ThreadTitle,
    },
    time, DomainError,
};
use infrastructure::{backend_test, testing::TestDatabase};
use serde_json::json;

use crate::{
    at, count, create_thread, create_thread_at, event, events, events_since, first_page,
    insert_user, message_repository, new_thread, post, reaction_repository, thread_repository,
    user_repository, EventRow,
};

fn titled(title: &str) -> ThreadChanges {
    ThreadChanges {
        title: Some(ThreadTitle::parse(title).unwrap()),
        ..ThreadChanges::default()
    }
}

fn archived() -> ThreadChanges {
    ThreadChanges {
        status: Some(ThreadStatus::Archived),
        ..ThreadChanges::default()
    }
}

fn filter_q(q: &str) -> ThreadFilter {
    ThreadFilter {
        q: Some(q.to_owned()),
        ..ThreadFilter::default()
    }
}

backend_test!(
    inserting_a_thread_stores_it_with_its_creator_as_owner_member,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let stranger = insert_user(&users, "eve@example.com", "Eve").await;
        let created_at = time::now();
        let new = NewThread {
            id: ThreadId::generate(),
            owner_id: ada.id.clone(),
            fields: CreateThread {
                title: ThreadTitle::parse("Launch plan").unwrap(),
                description: ThreadDescription::parse("What ships\nand when").unwrap(),
                metadata: Metadata::parse(json!({"project": "apollo"})).unwrap(),
                memory: Memory::parse(json!({"facts": ["a", "b"]})).unwrap(),
                pinned: true,
            },
            created_at,
        };

        let thread = threads
            .insert(&new, &event(EventKind::ThreadCreated, &new.id, &ada.id))
            .await
            .unwrap();

        assert_eq!(thread.id, new.id);
        assert_eq!(thread.title.as_str(), "Launch plan");
        assert_eq!(thread.description.as_str(), "What ships\nand when");
        assert_eq!(thread.status, ThreadStatus::Active);
        assert!(thread.pinned);
        assert_eq!(
            thread.metadata.as_map().get("project"),
            Some(&json!("apollo"))
        );
        assert_eq!(
            thread.memory.as_map().get("facts"),
            Some(&json!(["a", "b"]))
        );
        assert_eq!(thread.owner_id, ada.id);
        assert_eq!(thread.message_count, 0);
        assert_eq!(thread.last_message_at, None);
        assert_eq!(
            (thread.created_at, thread.updated_at),
            (created_at, created_at)
        );

        assert_eq!(
            threads.find_with_role(&new.id, &ada.id).await.unwrap(),
            Some((thread.clone(), Some(MemberRole::Owner)))
        );
        assert_eq!(
            threads.find_with_role(&new.id, &stranger.id).await.unwrap(),
            Some((thread.clone(), None))
        );
        assert_eq!(
            threads
                .find_with_role(&ThreadId::generate(), &ada.id)
                .await
                .unwrap(),
            None
        );

        let owner = threads.member(&new.id, &ada.id).await.unwrap().unwrap();
        assert_eq!(owner.role, MemberRole::Owner);
        assert_eq!(owner.name.as_str(), "Ada");
        assert_eq!(owner.added_at, created_at);
        assert_eq!(threads.member(&new.id, &stranger.id).await.unwrap(), None);
        let members = threads.members(&new.id, &first_page(10)).await.unwrap();
        assert_eq!(members.items, vec![owner]);
        assert_eq!(members.next, None);
        assert_eq!(threads.count_owners(&new.id).await.unwrap(), 1);
    }
);

backend_test!(
    list_for_member_shows_only_the_members_threads_latest_activity_first,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let base = at("2026-01-01T09:00:00Z");
        let oldest = create_thread_at(&threads, &ada.id, "Oldest", base).await;
        let middle =
            create_thread_at(&threads, &ada.id, "Middle", base + TimeDelta::minutes(1)).await;
        let newest =
            create_thread_at(&threads, &ada.id, "Newest", base + TimeDelta::minutes(2)).await;
        let bobs = create_thread_at(&threads, &bob.id, "Bob's", base + TimeDelta::minutes(3)).await;
        threads
            .add_member(
                &middle.id,
                &bob.id,
                MemberRole::Viewer,
                time::now(),
                &event(EventKind::MemberAdded, &middle.id, &ada.id),
            )
            .await
            .unwrap();

        let listed = |user: UserId| {
            let threads = &threads;
            async move {
                let page = threads
                    .list_for_member(&user, &ThreadFilter::default(), &first_page(50))
                    .await
                    .unwrap();
                assert_eq!(page.next, None);
                page.items
                    .into_iter()
                    .map(|view| (view.thread.title.as_str().to_owned(), view.my_role))
                    .collect::<Vec<_>>()
            }
        };
        let owner = Some(MemberRole::Owner);
        assert_eq!(
            listed(ada.id.clone()).await,
            vec![
                ("Newest".to_owned(), owner),
                ("Middle".to_owned(), owner),
                ("Oldest".to_owned(), owner),
            ]
        );
        assert_eq!(
            listed(bob.id.clone()).await,
            vec![
                ("Bob's".to_owned(), owner),
                ("Middle".to_owned(), Some(MemberRole::Viewer)),
            ]
        );

        // A change moves the thread to the top.
        threads
            .update(
                &oldest.id,
                &titled("Revived"),
                Some(oldest.updated_at),
                base + TimeDelta::hours(1),
                &event(EventKind::ThreadUpdated, &oldest.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(
            listed(ada.id.clone()).await,
            vec![
                ("Revived".to_owned(), owner),
                ("Newest".to_owned(), owner),
                ("Middle".to_owned(), owner),
            ]
        );
        let _ = (newest, bobs);
        let nobody = insert_user(&users, "nobody@example.com", "Nobody").await;
        assert_eq!(listed(nobody.id).await, vec![]);
    }
);

backend_test!(
    list_for_member_filters_by_status_pinned_and_a_literal_case_insensitive_title_part,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let base = at("2026-02-01T00:00:00Z");
        let titles = [
            "Release plan",
            "100% done",
            "1000 done",
            "snake_case",
            "snakeXcase",
            "Old PLANS",
        ];
        let mut ids = Vec::new();
        for (i, title) in titles.iter().enumerate() {
            let minutes = i64::try_from(i).unwrap();
            let thread =
                create_thread_at(&threads, &ada.id, title, base + TimeDelta::minutes(minutes))
                    .await;
            ids.push(thread);
        }
        create_thread_at(&threads, &bob.id, "Bob's plan", base).await;
        let pin = ThreadChanges {
            pinned: Some(true),
            ..ThreadChanges::default()
        };
        let release = &ids[0];
        threads
            .update(
                &release.id,
                &pin,
                None,
                base + TimeDelta::minutes(30),
                &event(EventKind::ThreadUpdated, &release.id, &ada.id),
            )
            .await
            .unwrap();
        let old = &ids[5];
        threads
            .update(
                &old.id,
                &archived(),
                None,
                base + TimeDelta::minutes(20),
                &event(EventKind::ThreadUpdated, &old.id, &ada.id),
            )
            .await
            .unwrap();

        let titles_for = |user: UserId, filter: ThreadFilter| {
            let threads = &threads;
            async move {
                let page = threads
                    .list_for_member(&user, &filter, &first_page(50))
                    .await
                    .unwrap();
                page.items
                    .into_iter()
                    .map(|view| view.thread.title.as_str().to_owned())
                    .collect::<Vec<_>>()
            }
        };

        assert_eq!(
            titles_for(ada.id.clone(), filter_q("plan")).await,
            vec!["Release plan", "Old PLANS"]
        );
        assert_eq!(
            titles_for(ada.id.clone(), filter_q("RELEASE")).await,
            vec!["Release plan"]
        );
        assert_eq!(
            titles_for(ada.id.clone(), filter_q("100%")).await,
            vec!["100% done"]
        );
        assert_eq!(
            titles_for(ada.id.clone(), filter_q("%")).await,
            vec!["100% done"]
        );
        assert_eq!(
            titles_for(ada.id.clone(), filter_q("e_c")).await,
            vec!["snake_case"]
        );
        assert_eq!(
            titles_for(ada.id.clone(), filter_q("_")).await,
            vec!["snake_case"]
        );
        assert_eq!(
            titles_for(ada.id.clone(), filter_q("\\")).await,
            Vec::<String>::new()
        );
        assert_eq!(
            titles_for(
                ada.id.clone(),
                ThreadFilter {
                    status: Some(ThreadStatus::Archived),
                    ..ThreadFilter::default()
                }
            )
            .await,
            vec!["Old PLANS"]
        );
        assert_eq!(
            titles_for(
                ada.id.clone(),
                ThreadFilter {
                    status: Some(ThreadStatus::Active),
                    q: Some("plan".to_owned()),
                    ..ThreadFilter::default()
                }
            )
            .await,
            vec!["Release plan"]
        );
        assert_eq!(
            titles_for(
                ada.id.clone(),
                ThreadFilter {
                    pinned: Some(true),
                    ..ThreadFilter::default()
                }
            )
            .await,
            vec!["Release plan"]
        );
        assert_eq!(
            titles_for(
                ada.id.clone(),
                ThreadFilter {
                    pinned: Some(false),
                    status: Some(ThreadStatus::Active),
                    q: Some("DONE".to_owned()),
                }
            )
            .await,
            vec!["1000 done", "100% done"]
        );
        // Bob's own thread matches, Ada's never do.
        assert_eq!(
            titles_for(bob.id.clone(), filter_q("plan")).await,
            vec!["Bob's plan"]
        );
    }
);

backend_test!(
    keyset_paging_through_threads_returns_each_exactly_once_in_order,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let base = at("2026-03-01T00:00:00Z");
        let mut created = Vec::new();
        for i in 0..23_i64 {
            // Threes share an instant, so the id must break ties.
            let when = base + TimeDelta::milliseconds(i / 3 * 250);
            let thread = create_thread_at(&threads, &ada.id, &format!("T{i}"), when).await;
            created.push((thread.updated_at, thread.id));
        }
        created.sort_by(|a, b| b.cmp(a));
        let expected: Vec<ThreadId> = created.into_iter().map(|(_, id)| id).collect();

        let mut seen = Vec::new();
        let mut page = first_page(4);
        let mut pages = 0;
        loop {
            let got = threads
                .list_for_member(&ada.id, &ThreadFilter::default(), &page)
                .await
                .unwrap();
            pages += 1;
            assert!(got.items.len() <= 4);
            seen.extend(got.items.into_iter().map(|view| view.thread.id));
            match got.next {
                Some(cursor) => {
                    page = PageRequest {
                        limit: Limit::parse(Some(4)).unwrap(),
                        after: Some(cursor),
                    }
                }
                None => break,
            }
            assert!(pages < 20, "paging does not end");
        }

        assert_eq!(pages, 6);
        assert_eq!(seen, expected);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 23);
    }
);

backend_test!(
    update_applies_only_the_given_fields_and_sets_updated_at,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let before = create_thread(&threads, &ada.id, "Draft").await;
        let now = time::after(before.updated_at);
        let changes = ThreadChanges {
            title: Some(ThreadTitle::parse("Final").unwrap()),
            memory: Some(Memory::parse(json!({"summary": "done"})).unwrap()),
            status: Some(ThreadStatus::Archived),
            ..ThreadChanges::default()
        };

        let after = threads
            .update(
                &before.id,
                &changes,
                Some(before.updated_at),
                now,
                &event(EventKind::ThreadUpdated, &before.id, &ada.id),
            )
            .await
            .unwrap();

        assert_eq!(after.title.as_str(), "Final");
        assert_eq!(after.memory.as_map().get("summary"), Some(&json!("done")));
        assert_eq!(after.status, ThreadStatus::Archived);
        assert_eq!(after.description, before.description);
        assert_eq!(after.metadata, before.metadata);
        assert_eq!(after.pinned, before.pinned);
        assert_eq!(after.created_at, before.created_at);
        assert_eq!(after.updated_at, now);
        let (stored, _) = threads
            .find_with_role(&before.id, &ada.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored, after);
    }
);

backend_test!(
    update_with_a_stale_expected_updated_at_fails_and_changes_nothing,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let original = create_thread(&threads, &ada.id, "Original").await;
        let first_edit = time::after(original.updated_at);
        let current = threads
            .update(
                &original.id,
                &titled("First edit"),
                Some(original.updated_at),
                first_edit,
                &event(EventKind::ThreadUpdated, &original.id, &ada.id),
            )
            .await
            .unwrap();
        let events_before = events(&conn).await.len();

        let err = threads
            .update(
                &original.id,
                &titled("Lost update"),
                Some(original.updated_at),
                time::after(first_edit),
                &event(EventKind::ThreadUpdated, &original.id, &ada.id),
            )
            .await
            .unwrap_err();

        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        let (stored, _) = threads
            .find_with_role(&original.id, &ada.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored, current);
        assert_eq!(events(&conn).await.len(), events_before);
    }
);

backend_test!(
    updating_or_deleting_a_missing_thread_is_thread_not_found,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let missing = ThreadId::generate();
        let now = time::now();

        for expected in [None, Some(now)] {
            let err = threads
                .update(
                    &missing,
                    &titled("Nobody"),
                    expected,
                    now,
                    &event(EventKind::ThreadUpdated, &missing, &ada.id),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
            let err = threads
                .delete(
                    &missing,
                    expected,
                    &event(EventKind::ThreadDeleted, &missing, &ada.id),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
        }
        assert_eq!(events(&conn).await, vec![]);
    }
);

backend_test!(
    delete_with_a_stale_expected_updated_at_fails_and_keeps_the_thread,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Keep me").await;
        let stale = thread.updated_at - TimeDelta::seconds(1);

        let err = threads
            .delete(
                &thread.id,
                Some(stale),
                &event(EventKind::ThreadDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap_err();

        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        assert!(threads
            .find_with_role(&thread.id, &ada.id)
            .await
            .unwrap()
            .is_some());
        assert_eq!(events(&conn).await.len(), 1);

        threads
            .delete(
                &thread.id,
                Some(thread.updated_at),
                &event(EventKind::ThreadDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(
            threads.find_with_role(&thread.id, &ada.id).await.unwrap(),
            None
        );
    }
);

backend_test!(
    delete_removes_the_threads_members_messages_revisions_and_reactions,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = reaction_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let doomed = create_thread(&threads, &ada.id, "Doomed").await;
        let kept = create_thread(&threads, &ada.id, "Kept").await;
        for thread in [&doomed, &kept] {
            threads
                .add_member(
                    &thread.id,
                    &bob.id,
                    MemberRole::Editor,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread.id, &ada.id),
                )
                .await
                .unwrap();
            let first = post(&messages, &thread.id, &ada.id, "first words").await;
            let reply = post(&messages, &thread.id, &bob.id, "a reply").await;
            let found = messages.find(&first).await.unwrap().unwrap();
            let edit = MessageChanges {
                content: Some(Some(MessageContent::parse("second words").unwrap())),
                ..MessageChanges::default()
            };
            messages
                .update(
                    &first,
                    &edit,
                    &ada.id,
                    Some(found.updated_at),
                    time::after(found.updated_at),
                    &event(EventKind::MessageUpdated, &thread.id, &ada.id),
                )
                .await
                .unwrap();
            for (user, message) in [(&ada, &first), (&bob, &first), (&ada, &reply)] {
                let toggled = reactions
                    .toggle(
                        &NewReaction {
                            id: domain::id::ReactionId::generate(),
                            message_id: message.clone(),
                            user_id: user.id.clone(),
                            emoji: Emoji::parse("thumbsup").unwrap(),
                            created_at: time::now(),
                        },
                        50,
                        &event(EventKind::ReactionAdded, &thread.id, &user.id),
                        &event(EventKind::ReactionRemoved, &thread.id, &user.id),
                    )
                    .await
                    .unwrap();
                assert_eq!(toggled, Toggled::Added);
            }
        }
        let of = |table: &str, thread: &ThreadId| match table {
            "thread_members" | "messages" => format!("{table} WHERE thread_id = '{thread}'"),
            _ => format!(
                "{table} WHERE message_id IN (SELECT id FROM messages WHERE thread_id = '{thread}')"
            ),
        };
        let tables = [
            "thread_members",
            "messages",
            "message_revisions",
            "reactions",
        ];
        let counts = |thread: ThreadId| {
            let (conn, of) = (&conn, &of);
            async move {
                let mut counts = Vec::new();
                for table in tables {
                    counts.push(count(conn, &of(table, &thread)).await);
                }
                counts
            }
        };
        assert_eq!(counts(doomed.id.clone()).await, vec![2, 2, 1, 3]);
        assert_eq!(counts(kept.id.clone()).await, vec![2, 2, 1, 3]);
        let all_reactions = count(&conn, "reactions").await;
        let all_revisions = count(&conn, "message_revisions").await;

        threads
            .delete(
                &doomed.id,
                None,
                &event(EventKind::ThreadDeleted, &doomed.id, &ada.id),
            )
            .await
            .unwrap();

        assert_eq!(
            threads.find_with_role(&doomed.id, &ada.id).await.unwrap(),
            None
        );
        assert_eq!(counts(doomed.id.clone()).await, vec![0, 0, 0, 0]);
        assert_eq!(counts(kept.id.clone()).await, vec![2, 2, 1, 3]);
        // Nothing of the deleted thread is left dangling: every reaction and revision
        // still has its message.
        assert_eq!(count(&conn, "reactions").await, all_reactions - 3);
        assert_eq!(count(&conn, "message_revisions").await, all_revisions - 1);
        assert_eq!(
            count(
                &conn,
                "reactions WHERE message_id NOT IN (SELECT id FROM messages)"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &conn,
                "message_revisions WHERE message_id NOT IN (SELECT id FROM messages)"
            )
            .await,
            0
        );
        assert_eq!(
            count(&conn, &format!("threads WHERE id = '{}'", doomed.id)).await,
            0
        );
        assert_eq!(threads.count_owners(&doomed.id).await.unwrap(), 0);
        let page = threads.members(&doomed.id, &first_page(10)).await.unwrap();
        assert!(page.items.is_empty());
    }
);

backend_test!(
    adding_an_existing_member_is_a_conflict,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&threads, &ada.id, "Team").await;
        let added_at = time::now();
        let added = threads
            .add_member(
                &thread.id,
                &bob.id,
                MemberRole::Editor,
                added_at,
                &event(EventKind::MemberAdded, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(added.user_id, bob.id);
        assert_eq!(added.name.as_str(), "Bob");
        assert_eq!(added.role, MemberRole::Editor);
        assert_eq!(added.added_at, added_at);

        for (user, role) in [(&bob, MemberRole::Viewer), (&ada, MemberRole::Editor)] {
            let err = threads
                .add_member(
                    &thread.id,
                    &user.id,
                    role,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread.id, &ada.id),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
        }

        assert_eq!(
            threads.member(&thread.id, &bob.id).await.unwrap(),
            Some(added)
        );
        assert_eq!(
            threads
                .member(&thread.id, &ada.id)
                .await
                .unwrap()
                .map(|m| m.role),
            Some(MemberRole::Owner)
        );
        let kinds: Vec<_> = events(&conn).await.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec!["thread.created", "member.added"]);
    }
);

backend_test!(
    members_are_listed_by_user_id_in_keyset_pages,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Crowd").await;
        let mut expected = vec![ada.id.clone()];
        for i in 0..6 {
            let user = insert_user(&users, &format!("u{i}@example.com"), "Member").await;
            threads
                .add_member(
                    &thread.id,
                    &user.id,
                    MemberRole::Viewer,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread.id, &ada.id),
                )
                .await
                .unwrap();
            expected.push(user.id);
        }
        expected.sort();

        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = threads
                .members(
                    &thread.id,
                    &PageRequest {
                        limit: Limit::parse(Some(3)).unwrap(),
                        after,
                    },
                )
                .await
                .unwrap();
            seen.extend(page.items.into_iter().map(|m| m.user_id));
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(seen, expected);
    }
);

backend_test!(
    changing_the_role_of_or_removing_a_non_member_is_member_not_found,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let eve = insert_user(&users, "eve@example.com", "Eve").await;
        let thread = create_thread(&threads, &ada.id, "Private").await;
        let events_before = events(&conn).await;

        let err = threads
            .change_role(
                &thread.id,
                &eve.id,
                MemberRole::Owner,
                &event(EventKind::MemberUpdated, &thread.id, &ada.id),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("member")), "{err:?}");
        let err = threads
            .remove_member(
                &thread.id,
                &eve.id,
                &event(EventKind::MemberRemoved, &thread.id, &ada.id),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("member")), "{err:?}");
        // Nor in a thread that does not exist.
        let missing = ThreadId::generate();
        let err = threads
            .change_role(
                &missing,
                &ada.id,
                MemberRole::Viewer,
                &event(EventKind::MemberUpdated, &missing, &ada.id),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("member")), "{err:?}");

        assert_eq!(threads.member(&thread.id, &eve.id).await.unwrap(), None);
        assert_eq!(events(&conn).await, events_before);
    }
);

backend_test!(
    change_role_and_remove_member_apply_and_count_owners_follows,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let cy = insert_user(&users, "cy@example.com", "Cy").await;
        let thread = create_thread(&threads, &ada.id, "Shared").await;
        let other = create_thread(&threads, &bob.id, "Bob's own").await;
        for (user, role) in [(&bob, MemberRole::Editor), (&cy, MemberRole::Viewer)] {
            threads
                .add_member(
                    &thread.id,
                    &user.id,
                    role,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread.id, &ada.id),
                )
                .await
                .unwrap();
        }
        assert_eq!(threads.count_owners(&thread.id).await.unwrap(), 1);

        let promoted = threads
            .change_role(
                &thread.id,
                &bob.id,
                MemberRole::Owner,
                &event(EventKind::MemberUpdated, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(promoted.role, MemberRole::Owner);
        assert_eq!(promoted.user_id, bob.id);
        assert_eq!(threads.count_owners(&thread.id).await.unwrap(), 2);
        assert_eq!(
            threads
                .find_with_role(&thread.id, &bob.id)
                .await
                .unwrap()
                .unwrap()
                .1,
            Some(MemberRole::Owner)
        );

        threads
            .remove_member(
                &thread.id,
                &ada.id,
                &event(EventKind::MemberRemoved, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        assert_eq!(threads.count_owners(&thread.id).await.unwrap(), 1);
        assert_eq!(threads.member(&thread.id, &ada.id).await.unwrap(), None);
        assert_eq!(
            threads
                .find_with_role(&thread.id, &ada.id)
                .await
                .unwrap()
                .unwrap()
                .1,
            None
        );
        // The creator stays the thread's `owner_id` and the others keep their roles.
        let (stored, _) = threads
            .find_with_role(&thread.id, &cy.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.owner_id, ada.id);
        assert_eq!(
            threads
                .member(&thread.id, &cy.id)
                .await
                .unwrap()
                .map(|m| m.role),
            Some(MemberRole::Viewer)
        );
        assert_eq!(threads.count_owners(&other.id).await.unwrap(), 1);
        assert_eq!(
            threads.count_owners(&ThreadId::generate()).await.unwrap(),
            0
        );
    }
);

backend_test!(
    every_thread_write_appends_one_event_with_its_type_thread_and_actor,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let cy = insert_user(&users, "cy@example.com", "Cy").await;
        let (a, b, c) = (ada.id.to_string(), bob.id.to_string(), cy.id.to_string());

        let thread = create_thread(&threads, &ada.id, "Eventful").await;
        let t = thread.id.to_string();
        let appended = events_since(&conn, 0).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("thread.created", t.as_str(), a.as_str())
        );

        let updated = threads
            .update(
                &thread.id,
                &titled("Renamed"),
                Some(thread.updated_at),
                time::after(thread.updated_at),
                &event(EventKind::ThreadUpdated, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let appended = events_since(&conn, 1).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("thread.updated", t.as_str(), a.as_str())
        );

        threads
            .add_member(
                &thread.id,
                &bob.id,
                MemberRole::Owner,
                time::now(),
                &event(EventKind::MemberAdded, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        threads
            .add_member(
                &thread.id,
                &cy.id,
                MemberRole::Viewer,
                time::now(),
                &event(EventKind::MemberAdded, &thread.id, &bob.id),
            )
            .await
            .unwrap();
        let appended = events_since(&conn, 2).await;
        assert_eq!(
            appended.iter().map(EventRow::what).collect::<Vec<_>>(),
            vec![
                ("member.added", t.as_str(), a.as_str()),
                ("member.added", t.as_str(), b.as_str()),
            ]
        );

        threads
            .change_role(
                &thread.id,
                &cy.id,
                MemberRole::Editor,
                &event(EventKind::MemberUpdated, &thread.id, &bob.id),
            )
            .await
            .unwrap();
        let appended = events_since(&conn, 4).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("member.updated", t.as_str(), b.as_str())
        );

        threads
            .remove_member(
                &thread.id,
                &cy.id,
                &event(EventKind::MemberRemoved, &thread.id, &cy.id),
            )
            .await
            .unwrap();
        let appended = events_since(&conn, 5).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("member.removed", t.as_str(), c.as_str())
        );

        threads
            .delete(
                &thread.id,
                Some(updated.updated_at),
                &event(EventKind::ThreadDeleted, &thread.id, &bob.id),
            )
            .await
            .unwrap();
        let appended = events_since(&conn, 6).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("thread.deleted", t.as_str(), b.as_str())
        );
        // The record of the thread outlives it.
        assert_eq!(events(&conn).await.len(), 7);
    }
);

backend_test!(
    a_thread_write_that_fails_appends_no_event,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let eve = insert_user(&users, "eve@example.com", "Eve").await;
        let thread = create_thread(&threads, &ada.id, "Guarded").await;
        let stale = thread.updated_at - TimeDelta::milliseconds(1);
        let before = events(&conn).await;
        assert_eq!(before.len(), 1);

        // The same id again: the thread row exists.
        let mut duplicate = new_thread(&ada.id, "Again", time::now());
        duplicate.id = thread.id.clone();
        assert!(threads
            .insert(
                &duplicate,
                &event(EventKind::ThreadCreated, &thread.id, &ada.id)
            )
            .await
            .is_err());
        assert!(matches!(
            threads
                .add_member(
                    &thread.id,
                    &ada.id,
                    MemberRole::Viewer,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread.id, &ada.id),
                )
                .await,
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            threads
                .update(
                    &thread.id,
                    &titled("Too late"),
                    Some(stale),
                    time::now(),
                    &event(EventKind::ThreadUpdated, &thread.id, &ada.id),
                )
                .await,
            Err(DomainError::PreconditionFailed)
        ));
        assert!(matches!(
            threads
                .delete(
                    &thread.id,
                    Some(stale),
                    &event(EventKind::ThreadDeleted, &thread.id, &ada.id),
                )
                .await,
            Err(DomainError::PreconditionFailed)
        ));
        assert!(matches!(
            threads
                .change_role(
                    &thread.id,
                    &eve.id,
                    MemberRole::Editor,
                    &event(EventKind::MemberUpdated, &thread.id, &ada.id),
                )
                .await,
            Err(DomainError::NotFound("member"))
        ));
        assert!(matches!(
            threads
                .remove_member(
                    &thread.id,
                    &eve.id,
                    &event(EventKind::MemberRemoved, &thread.id, &ada.id),
                )
                .await,
            Err(DomainError::NotFound("member"))
        ));
        let missing = ThreadId::generate();
        assert!(matches!(
            threads
                .delete(
                    &missing,
                    None,
                    &event(EventKind::ThreadDeleted, &missing, &ada.id),
                )
                .await,
            Err(DomainError::NotFound("thread"))
        ));

        assert_eq!(events(&conn).await, before);
        // And the thread is as it was.
        let (stored, _) = threads
            .find_with_role(&thread.id, &ada.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored, thread);
        assert_eq!(threads.count_owners(&thread.id).await.unwrap(), 1);
    }
);

backend_test!(
    the_last_owner_can_be_neither_demoted_nor_removed_and_nothing_changes,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Plans").await;
        let before = events(&conn).await.len();

        let demote = threads
            .change_role(
                &thread.id,
                &ada.id,
                MemberRole::Editor,
                &event(EventKind::MemberUpdated, &thread.id, &ada.id),
            )
            .await;
        assert!(
            matches!(demote, Err(DomainError::Conflict(_))),
            "{demote:?}"
        );
        let remove = threads
            .remove_member(
                &thread.id,
                &ada.id,
                &event(EventKind::MemberRemoved, &thread.id, &ada.id),
            )
            .await;
        assert!(
            matches!(remove, Err(DomainError::Conflict(_))),
            "{remove:?}"
        );

        let member = threads.member(&thread.id, &ada.id).await.unwrap().unwrap();
        assert_eq!(member.role, MemberRole::Owner);
        assert_eq!(
            events(&conn).await.len(),
            before,
            "a refused change records nothing"
        );
    }
);

backend_test!(
    two_owners_demoting_each_other_at_once_leave_one_owner,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = std::sync::Arc::new(thread_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        for round in 0..10 {
            let thread = create_thread(&threads, &ada.id, &format!("Round {round}")).await;
            threads
                .add_member(
                    &thread.id,
                    &bob.id,
                    MemberRole::Owner,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread.id, &ada.id),
                )
                .await
                .unwrap();
            // Each owner demotes the other, or removes them, at the same moment.
            let demote = |by: UserId, whom: UserId, remove: bool| {
                let threads = threads.clone();
                let id = thread.id.clone();
                tokio::spawn(async move {
                    if remove {
                        let e = event(EventKind::MemberRemoved, &id, &by);
                        threads.remove_member(&id, &whom, &e).await
                    } else {
                        let e = event(EventKind::MemberUpdated, &id, &by);
                        threads
                            .change_role(&id, &whom, MemberRole::Viewer, &e)
                            .await
                            .map(drop)
                    }
                })
            };
            let first = demote(ada.id.clone(), bob.id.clone(), round % 2 == 0);
            let second = demote(bob.id.clone(), ada.id.clone(), false);
            let outcomes = [first.await.unwrap(), second.await.unwrap()];
            let succeeded = outcomes.iter().filter(|o| o.is_ok()).count();
            let refused = outcomes
                .iter()
                .filter(|o| matches!(o, Err(DomainError::Conflict(_))))
                .count();
            assert_eq!((succeeded, refused), (1, 1), "round {round}: {outcomes:?}");
            assert_eq!(threads.count_owners(&thread.id).await.unwrap(), 1);
        }
    }
);
