//! `SeaThreadRepository` against the `ThreadRepository` contract, and the events its writes
//! append.

use std::collections::HashSet;

use chrono::TimeDelta;
use domain::{
    event::EventKind,
    id::{ThreadId, UserId},
    json_object::{Memory, Metadata},
    message::{MessageChanges, MessageContent},
    thread::{
        CreateThread, MemberRole, NewThread, ThreadChanges, ThreadDescription, ThreadFilter,
        ThreadStatus, ThreadTitle,
    },
    time, DomainError,
};
use serde_json::json;

use crate::support::{all_pages, at, event, first_page, new_thread, titled, EventRow};

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

repo_test!(
    inserting_a_thread_stores_it_with_its_creator_as_owner_member,
    |f| {
        let [ada, stranger] = f.users_called(["Ada", "Eve"]).await;
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

        let thread = f
            .threads
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
            f.access(&new.id, &ada.id).await,
            Some((thread.clone(), Some(MemberRole::Owner)))
        );
        assert_eq!(
            f.access(&new.id, &stranger.id).await,
            Some((thread.clone(), None))
        );
        assert_eq!(f.access(&ThreadId::generate(), &ada.id).await, None);

        let owner = f.threads.member(&new.id, &ada.id).await.unwrap().unwrap();
        assert_eq!(owner.role, MemberRole::Owner);
        assert_eq!(owner.name.as_str(), "Ada");
        assert_eq!(owner.added_at, created_at);
        assert_eq!(f.threads.member(&new.id, &stranger.id).await.unwrap(), None);
        let members = f.threads.members(&new.id, &first_page(10)).await.unwrap();
        assert_eq!(members.items, vec![owner]);
        assert_eq!(members.next, None);
        assert_eq!(f.threads.count_owners(&new.id).await.unwrap(), 1);
    }
);

repo_test!(
    list_for_member_shows_only_the_members_threads_latest_activity_first,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let base = at("2026-01-01T09:00:00Z");
        let oldest = f.thread_at(&ada.id, "Oldest", base).await;
        let middle = f
            .thread_at(&ada.id, "Middle", base + TimeDelta::minutes(1))
            .await;
        let newest = f
            .thread_at(&ada.id, "Newest", base + TimeDelta::minutes(2))
            .await;
        let bobs = f
            .thread_at(&bob.id, "Bob's", base + TimeDelta::minutes(3))
            .await;
        f.add_member(&middle.id, &bob.id, MemberRole::Viewer, &ada.id)
            .await;

        let listed = |user: UserId| {
            let f = &f;
            async move {
                let page = f
                    .threads
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
        let owned = |titles: [&str; 3]| titles.map(|title| (title.to_owned(), owner)).to_vec();
        assert_eq!(
            listed(ada.id.clone()).await,
            owned(["Newest", "Middle", "Oldest"])
        );
        assert_eq!(
            listed(bob.id.clone()).await,
            vec![
                ("Bob's".to_owned(), owner),
                ("Middle".to_owned(), Some(MemberRole::Viewer)),
            ]
        );

        // A change moves the thread to the top.
        f.update_thread(
            &oldest.id,
            &titled("Revived"),
            Some(oldest.updated_at),
            base + TimeDelta::hours(1),
            &ada.id,
        )
        .await
        .unwrap();
        assert_eq!(
            listed(ada.id.clone()).await,
            owned(["Revived", "Newest", "Middle"])
        );
        let _ = (newest, bobs);
        let nobody = f.user("Nobody").await;
        assert_eq!(listed(nobody.id).await, vec![]);
    }
);

repo_test!(
    list_for_member_filters_by_status_pinned_and_a_literal_case_insensitive_title_part,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
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
            let thread = f
                .thread_at(&ada.id, title, base + TimeDelta::minutes(minutes))
                .await;
            ids.push(thread);
        }
        f.thread_at(&bob.id, "Bob's plan", base).await;
        let pin = ThreadChanges {
            pinned: Some(true),
            ..ThreadChanges::default()
        };
        let release = &ids[0];
        f.update_thread(
            &release.id,
            &pin,
            None,
            base + TimeDelta::minutes(30),
            &ada.id,
        )
        .await
        .unwrap();
        let old = &ids[5];
        f.update_thread(
            &old.id,
            &archived(),
            None,
            base + TimeDelta::minutes(20),
            &ada.id,
        )
        .await
        .unwrap();

        let titles_for = |user: UserId, filter: ThreadFilter| {
            let f = &f;
            async move {
                let page = f
                    .threads
                    .list_for_member(&user, &filter, &first_page(50))
                    .await
                    .unwrap();
                page.items
                    .into_iter()
                    .map(|view| view.thread.title.as_str().to_owned())
                    .collect::<Vec<_>>()
            }
        };

        let active = Some(ThreadStatus::Active);
        let filtered = [
            // Title parts match literally, whatever the case: `%` and `_` are no wildcards.
            (filter_q("plan"), vec!["Release plan", "Old PLANS"]),
            (filter_q("RELEASE"), vec!["Release plan"]),
            (filter_q("100%"), vec!["100% done"]),
            (filter_q("%"), vec!["100% done"]),
            (filter_q("e_c"), vec!["snake_case"]),
            (filter_q("_"), vec!["snake_case"]),
            (filter_q("\\"), vec![]),
            (
                ThreadFilter {
                    status: Some(ThreadStatus::Archived),
                    ..ThreadFilter::default()
                },
                vec!["Old PLANS"],
            ),
            (
                ThreadFilter {
                    status: active,
                    ..filter_q("plan")
                },
                vec!["Release plan"],
            ),
            (
                ThreadFilter {
                    pinned: Some(true),
                    ..ThreadFilter::default()
                },
                vec!["Release plan"],
            ),
            (
                ThreadFilter {
                    pinned: Some(false),
                    status: active,
                    q: Some("DONE".to_owned()),
                },
                vec!["1000 done", "100% done"],
            ),
        ];
        for (filter, expected) in filtered {
            let what = format!("{filter:?}");
            assert_eq!(titles_for(ada.id.clone(), filter).await, expected, "{what}");
        }
        // Bob's own thread matches, Ada's never do.
        assert_eq!(
            titles_for(bob.id.clone(), filter_q("plan")).await,
            vec!["Bob's plan"]
        );
    }
);

repo_test!(
    keyset_paging_through_threads_returns_each_exactly_once_in_order,
    |f| {
        let ada = f.user("Ada").await;
        let base = at("2026-03-01T00:00:00Z");
        let mut created = Vec::new();
        for i in 0..23_i64 {
            // Threes share an instant, so the id must break ties.
            let when = base + TimeDelta::milliseconds(i / 3 * 250);
            let thread = f.thread_at(&ada.id, &format!("T{i}"), when).await;
            created.push((thread.updated_at, thread.id));
        }
        created.sort_by(|a, b| b.cmp(a));
        let expected: Vec<ThreadId> = created.into_iter().map(|(_, id)| id).collect();

        let everything = ThreadFilter::default();
        let list = |page| {
            let (f, ada, everything) = (&f, &ada, &everything);
            async move { f.threads.list_for_member(&ada.id, everything, &page).await }
        };
        let pages = all_pages(4, list, |view| view.thread.id).await;

        assert!(pages.iter().all(|page| page.len() <= 4), "{pages:?}");
        assert_eq!(pages.len(), 6);
        let seen = pages.concat();
        assert_eq!(seen, expected);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 23);
    }
);

repo_test!(
    update_applies_only_the_given_fields_and_sets_updated_at,
    |f| {
        let ada = f.user("Ada").await;
        let before = f.thread(&ada.id, "Draft").await;
        let now = time::after(before.updated_at);
        let changes = ThreadChanges {
            title: Some(ThreadTitle::parse("Final").unwrap()),
            memory: Some(Memory::parse(json!({"summary": "done"})).unwrap()),
            status: Some(ThreadStatus::Archived),
            ..ThreadChanges::default()
        };

        let after = f
            .update_thread(&before.id, &changes, Some(before.updated_at), now, &ada.id)
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
        let stored = f.thread_seen_by(&before.id, &ada.id).await;
        assert_eq!(stored, after);
    }
);

repo_test!(
    update_with_a_stale_expected_updated_at_fails_and_changes_nothing,
    |f| {
        let ada = f.user("Ada").await;
        let original = f.thread(&ada.id, "Original").await;
        let first_edit = time::after(original.updated_at);
        let current = f
            .update_thread(
                &original.id,
                &titled("First edit"),
                Some(original.updated_at),
                first_edit,
                &ada.id,
            )
            .await
            .unwrap();
        let events_before = f.events().await.len();

        let err = f
            .update_thread(
                &original.id,
                &titled("Lost update"),
                Some(original.updated_at),
                time::after(first_edit),
                &ada.id,
            )
            .await
            .unwrap_err();

        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        let stored = f.thread_seen_by(&original.id, &ada.id).await;
        assert_eq!(stored, current);
        assert_eq!(f.events().await.len(), events_before);
    }
);

repo_test!(
    updating_or_deleting_a_missing_thread_is_thread_not_found,
    |f| {
        let ada = f.user("Ada").await;
        let missing = ThreadId::generate();
        let now = time::now();

        for expected in [None, Some(now)] {
            let err = f
                .update_thread(&missing, &titled("Nobody"), expected, now, &ada.id)
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
            let err = f
                .delete_thread(&missing, expected, &ada.id)
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
        }
        assert_eq!(f.events().await, vec![]);
    }
);

repo_test!(
    delete_with_a_stale_expected_updated_at_fails_and_keeps_the_thread,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Keep me").await;
        let stale = thread.updated_at - TimeDelta::seconds(1);

        let err = f
            .delete_thread(&thread.id, Some(stale), &ada.id)
            .await
            .unwrap_err();

        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        assert!(f.access(&thread.id, &ada.id).await.is_some());
        assert_eq!(f.events().await.len(), 1);

        f.delete_thread(&thread.id, Some(thread.updated_at), &ada.id)
            .await
            .unwrap();
        assert_eq!(f.access(&thread.id, &ada.id).await, None);
    }
);

repo_test!(
    delete_removes_the_threads_members_messages_revisions_and_reactions,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let doomed = f.thread(&ada.id, "Doomed").await;
        let kept = f.thread(&ada.id, "Kept").await;
        for thread in [&doomed, &kept] {
            f.add_member(&thread.id, &bob.id, MemberRole::Editor, &ada.id)
                .await;
            let first = f.post(&thread.id, &ada.id, "first words").await;
            let reply = f.post(&thread.id, &bob.id, "a reply").await;
            let edit = MessageChanges {
                content: Some(Some(MessageContent::parse("second words").unwrap())),
                ..MessageChanges::default()
            };
            f.edit(&first, &edit, &ada.id).await;
            for (user, message) in [(&ada, &first), (&bob, &first), (&ada, &reply)] {
                f.react(message, &thread.id, &user.id, "thumbsup").await;
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
            let (f, of) = (&f, &of);
            async move {
                let mut counts = Vec::new();
                for table in tables {
                    counts.push(f.count(&of(table, &thread)).await);
                }
                counts
            }
        };
        assert_eq!(counts(doomed.id.clone()).await, vec![2, 2, 1, 3]);
        assert_eq!(counts(kept.id.clone()).await, vec![2, 2, 1, 3]);
        let all_reactions = f.count("reactions").await;
        let all_revisions = f.count("message_revisions").await;

        f.delete_thread(&doomed.id, None, &ada.id).await.unwrap();

        assert_eq!(f.access(&doomed.id, &ada.id).await, None);
        assert_eq!(counts(doomed.id.clone()).await, vec![0, 0, 0, 0]);
        assert_eq!(counts(kept.id.clone()).await, vec![2, 2, 1, 3]);
        // Nothing of the deleted thread is left dangling: every reaction and revision
        // still has its message.
        assert_eq!(f.count("reactions").await, all_reactions - 3);
        assert_eq!(f.count("message_revisions").await, all_revisions - 1);
        assert_eq!(
            f.count("reactions WHERE message_id NOT IN (SELECT id FROM messages)")
                .await,
            0
        );
        assert_eq!(
            f.count("message_revisions WHERE message_id NOT IN (SELECT id FROM messages)")
                .await,
            0
        );
        assert_eq!(
            f.count(&format!("threads WHERE id = '{}'", doomed.id))
                .await,
            0
        );
        assert_eq!(f.threads.count_owners(&doomed.id).await.unwrap(), 0);
        let page = f
            .threads
            .members(&doomed.id, &first_page(10))
            .await
            .unwrap();
        assert!(page.items.is_empty());
    }
);

repo_test!(adding_an_existing_member_is_a_conflict, |f| {
    let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
    let thread = f.thread(&ada.id, "Team").await;
    let added_at = time::now();
    let added = f
        .threads
        .add_member(
            &thread.id,
            &bob.id,
            MemberRole::Editor,
            added_at,
            &event(EventKind::MemberAdded, &thread.id, &ada.id),
            &crate::support::audit_entry(),
        )
        .await
        .unwrap();
    assert_eq!(added.user_id, bob.id);
    assert_eq!(added.name.as_str(), "Bob");
    assert_eq!(added.role, MemberRole::Editor);
    assert_eq!(added.added_at, added_at);

    for (user, role) in [(&bob, MemberRole::Viewer), (&ada, MemberRole::Editor)] {
        let err = f
            .try_add_member(&thread.id, &user.id, role, &ada.id)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    }

    assert_eq!(
        f.threads.member(&thread.id, &bob.id).await.unwrap(),
        Some(added)
    );
    assert_eq!(
        f.role_of(&thread.id, &ada.id).await,
        Some(MemberRole::Owner)
    );
    let kinds: Vec<_> = f.events().await.into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec!["thread.created", "member.added"]);
});

repo_test!(members_are_listed_by_user_id_in_keyset_pages, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Crowd").await;
    let mut expected = vec![ada.id.clone()];
    for i in 0..6 {
        let user = f.user_with(&format!("u{i}@example.com"), "Member").await;
        f.add_member(&thread.id, &user.id, MemberRole::Viewer, &ada.id)
            .await;
        expected.push(user.id);
    }
    expected.sort();

    let list = |page| {
        let (f, thread) = (&f, &thread);
        async move { f.threads.members(&thread.id, &page).await }
    };
    let seen = all_pages(3, list, |member| member.user_id).await.concat();
    assert_eq!(seen, expected);
});

repo_test!(
    changing_the_role_of_or_removing_a_non_member_is_member_not_found,
    |f| {
        let [ada, eve] = f.users_called(["Ada", "Eve"]).await;
        let thread = f.thread(&ada.id, "Private").await;
        let events_before = f.events().await;

        let err = f
            .change_role(&thread.id, &eve.id, MemberRole::Owner, &ada.id)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("member")), "{err:?}");
        let err = f
            .remove_member(&thread.id, &eve.id, &ada.id)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("member")), "{err:?}");
        // Nor in a thread that does not exist.
        let missing = ThreadId::generate();
        let err = f
            .change_role(&missing, &ada.id, MemberRole::Viewer, &ada.id)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("member")), "{err:?}");

        assert_eq!(f.threads.member(&thread.id, &eve.id).await.unwrap(), None);
        assert_eq!(f.events().await, events_before);
    }
);

repo_test!(
    change_role_and_remove_member_apply_and_count_owners_follows,
    |f| {
        let [ada, bob, cy] = f.users_called(["Ada", "Bob", "Cy"]).await;
        let thread = f.thread(&ada.id, "Shared").await;
        let other = f.thread(&bob.id, "Bob's own").await;
        for (user, role) in [(&bob, MemberRole::Editor), (&cy, MemberRole::Viewer)] {
            f.add_member(&thread.id, &user.id, role, &ada.id).await;
        }
        assert_eq!(f.threads.count_owners(&thread.id).await.unwrap(), 1);

        let promoted = f
            .change_role(&thread.id, &bob.id, MemberRole::Owner, &ada.id)
            .await
            .unwrap();
        assert_eq!(promoted.role, MemberRole::Owner);
        assert_eq!(promoted.user_id, bob.id);
        assert_eq!(f.threads.count_owners(&thread.id).await.unwrap(), 2);
        assert_eq!(
            f.access(&thread.id, &bob.id).await.unwrap().1,
            Some(MemberRole::Owner)
        );

        f.remove_member(&thread.id, &ada.id, &ada.id).await.unwrap();
        assert_eq!(f.threads.count_owners(&thread.id).await.unwrap(), 1);
        assert_eq!(f.threads.member(&thread.id, &ada.id).await.unwrap(), None);
        assert_eq!(f.access(&thread.id, &ada.id).await.unwrap().1, None);
        // The creator stays the thread's `owner_id` and the others keep their roles.
        let stored = f.thread_seen_by(&thread.id, &cy.id).await;
        assert_eq!(stored.owner_id, ada.id);
        assert_eq!(
            f.role_of(&thread.id, &cy.id).await,
            Some(MemberRole::Viewer)
        );
        assert_eq!(f.threads.count_owners(&other.id).await.unwrap(), 1);
        assert_eq!(
            f.threads.count_owners(&ThreadId::generate()).await.unwrap(),
            0
        );
    }
);

repo_test!(
    every_thread_write_appends_one_event_with_its_type_thread_and_actor,
    |f| {
        let [ada, bob, cy] = f.users_called(["Ada", "Bob", "Cy"]).await;
        let (a, b, c) = (ada.id.to_string(), bob.id.to_string(), cy.id.to_string());

        let thread = f.thread(&ada.id, "Eventful").await;
        let t = thread.id.to_string();
        f.assert_one_event_since(0, ("thread.created", t.as_str(), a.as_str()))
            .await;

        let updated = f
            .update_thread(
                &thread.id,
                &titled("Renamed"),
                Some(thread.updated_at),
                time::after(thread.updated_at),
                &ada.id,
            )
            .await
            .unwrap();
        f.assert_one_event_since(1, ("thread.updated", t.as_str(), a.as_str()))
            .await;

        f.add_member(&thread.id, &bob.id, MemberRole::Owner, &ada.id)
            .await;
        f.add_member(&thread.id, &cy.id, MemberRole::Viewer, &bob.id)
            .await;
        let appended = f.events_since(2).await;
        assert_eq!(
            appended.iter().map(EventRow::what).collect::<Vec<_>>(),
            vec![
                ("member.added", t.as_str(), a.as_str()),
                ("member.added", t.as_str(), b.as_str()),
            ]
        );

        f.change_role(&thread.id, &cy.id, MemberRole::Editor, &bob.id)
            .await
            .unwrap();
        f.assert_one_event_since(4, ("member.updated", t.as_str(), b.as_str()))
            .await;

        f.remove_member(&thread.id, &cy.id, &cy.id).await.unwrap();
        f.assert_one_event_since(5, ("member.removed", t.as_str(), c.as_str()))
            .await;

        f.delete_thread(&thread.id, Some(updated.updated_at), &bob.id)
            .await
            .unwrap();
        f.assert_one_event_since(6, ("thread.deleted", t.as_str(), b.as_str()))
            .await;
        // The record of the thread outlives it.
        assert_eq!(f.events().await.len(), 7);
    }
);

repo_test!(a_thread_write_that_fails_appends_no_event, |f| {
    let [ada, eve] = f.users_called(["Ada", "Eve"]).await;
    let thread = f.thread(&ada.id, "Guarded").await;
    let stale = thread.updated_at - TimeDelta::milliseconds(1);
    let before = f.events().await;
    assert_eq!(before.len(), 1);

    // The same id again: the thread row exists.
    let mut duplicate = new_thread(&ada.id, "Again", time::now());
    duplicate.id = thread.id.clone();
    assert!(f
        .threads
        .insert(
            &duplicate,
            &event(EventKind::ThreadCreated, &thread.id, &ada.id)
        )
        .await
        .is_err());
    assert!(matches!(
        f.try_add_member(&thread.id, &ada.id, MemberRole::Viewer, &ada.id)
            .await,
        Err(DomainError::Conflict(_))
    ));
    assert!(matches!(
        f.update_thread(
            &thread.id,
            &titled("Too late"),
            Some(stale),
            time::now(),
            &ada.id
        )
        .await,
        Err(DomainError::PreconditionFailed)
    ));
    assert!(matches!(
        f.delete_thread(&thread.id, Some(stale), &ada.id).await,
        Err(DomainError::PreconditionFailed)
    ));
    assert!(matches!(
        f.change_role(&thread.id, &eve.id, MemberRole::Editor, &ada.id)
            .await,
        Err(DomainError::NotFound("member"))
    ));
    assert!(matches!(
        f.remove_member(&thread.id, &eve.id, &ada.id).await,
        Err(DomainError::NotFound("member"))
    ));
    let missing = ThreadId::generate();
    assert!(matches!(
        f.delete_thread(&missing, None, &ada.id).await,
        Err(DomainError::NotFound("thread"))
    ));

    assert_eq!(f.events().await, before);
    // And the thread is as it was.
    let stored = f.thread_seen_by(&thread.id, &ada.id).await;
    assert_eq!(stored, thread);
    assert_eq!(f.threads.count_owners(&thread.id).await.unwrap(), 1);
});

repo_test!(
    the_last_owner_can_be_neither_demoted_nor_removed_and_nothing_changes,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Plans").await;
        let before = f.events().await.len();

        let demote = f
            .change_role(&thread.id, &ada.id, MemberRole::Editor, &ada.id)
            .await;
        assert!(
            matches!(demote, Err(DomainError::Conflict(_))),
            "{demote:?}"
        );
        let remove = f.remove_member(&thread.id, &ada.id, &ada.id).await;
        assert!(
            matches!(remove, Err(DomainError::Conflict(_))),
            "{remove:?}"
        );

        let member = f
            .threads
            .member(&thread.id, &ada.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(member.role, MemberRole::Owner);
        assert_eq!(
            f.events().await.len(),
            before,
            "a refused change records nothing"
        );
    }
);

repo_test!(
    two_owners_demoting_each_other_at_once_leave_one_owner,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        for round in 0..10 {
            let thread = f.thread(&ada.id, &format!("Round {round}")).await;
            f.add_member(&thread.id, &bob.id, MemberRole::Owner, &ada.id)
                .await;
            // Each owner demotes the other, or removes them, at the same moment.
            let demote = |by: UserId, whom: UserId, remove: bool| {
                let threads = f.threads.clone();
                let id = thread.id.clone();
                tokio::spawn(async move {
                    if remove {
                        let e = event(EventKind::MemberRemoved, &id, &by);
                        threads
                            .remove_member(&id, &whom, &e, &crate::support::audit_entry())
                            .await
                    } else {
                        let e = event(EventKind::MemberUpdated, &id, &by);
                        threads
                            .change_role(
                                &id,
                                &whom,
                                MemberRole::Viewer,
                                &e,
                                &crate::support::audit_entry(),
                            )
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
            assert_eq!(f.threads.count_owners(&thread.id).await.unwrap(), 1);
        }
    }
);
