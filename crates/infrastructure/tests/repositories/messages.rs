//! `SeaMessageRepository` against the `MessageRepository` contract, and the events its
//! writes append.

use std::collections::{BTreeMap, HashSet};

use chrono::TimeDelta;
use domain::{
    event::EventKind,
    file::{File, PreviewState},
    id::{MessageId, ThreadId},
    json_object::Metadata,
    message::{
        Blocks, MessageChanges, MessageContent, MessageFilter, MessageRole, MessageStatus,
        NewMessage, SortOrder,
    },
    time, DomainError,
};
use serde_json::json;

use crate::support::{
    all_pages, at, digest, event, first_page, message_attaching, message_with, new_message,
    new_text, oldest_first, page_of, Fixture,
};

fn content(text: &str) -> MessageContent {
    MessageContent::parse(text).unwrap()
}

/// The ids on every page of `thread`'s messages with `filter`, `limit` at a time.
async fn message_pages(
    f: &Fixture,
    thread: &ThreadId,
    filter: &MessageFilter,
    limit: i64,
) -> Vec<Vec<MessageId>> {
    let list = |page| async move { f.messages.list(thread, filter, &page).await };
    all_pages(limit, list, |m| m.id).await
}

/// Whether `message` has no revisions: it was never edited, or its history went with it.
async fn no_revisions(f: &Fixture, message: &MessageId) -> bool {
    let first = f.messages.revisions(message, &first_page(10)).await;
    first.unwrap().items.is_empty()
}

repo_test!(
    inserting_a_message_stores_it_and_bumps_the_threads_count_and_activity,
    |f| {
        let ada = f.user("Ada").await;
        let base = at("2026-04-01T10:00:00Z");
        let thread = f.thread_at(&ada.id, "Chat", base).await;
        let first_at = base + TimeDelta::seconds(5);
        let mut first = new_message(&thread.id, &ada.id, "Hello *there*", first_at);
        first.fields.metadata = Metadata::parse(json!({"client": "web"})).unwrap();
        first.fields.blocks = Blocks::parse(json!([{"type": "divider"}])).unwrap();

        let inserted = f
            .messages
            .insert(
                &first,
                &event(EventKind::MessageCreated, &thread.id, &ada.id),
            )
            .await
            .unwrap();

        assert_eq!(inserted.id, first.id);
        assert_eq!(inserted.thread_id, thread.id);
        assert_eq!(inserted.author_id, ada.id);
        assert_eq!(inserted.role, MessageRole::User);
        assert_eq!(inserted.content, Some(content("Hello *there*")));
        assert_eq!(inserted.status, MessageStatus::Complete);
        assert_eq!(inserted.parent_id, None);
        assert_eq!(inserted.edited_at, None);
        assert_eq!(
            (inserted.created_at, inserted.updated_at),
            (first_at, first_at)
        );
        assert_eq!(
            f.messages.find(&first.id).await.unwrap(),
            Some(inserted.clone())
        );
        assert_eq!(f.messages.find(&MessageId::generate()).await.unwrap(), None);

        let bumped = f.thread_seen_by(&thread.id, &ada.id).await;
        assert_eq!(bumped.message_count, 1);
        assert_eq!(bumped.last_message_at, Some(first_at));
        assert_eq!(bumped.updated_at, first_at);

        let second_at = base + TimeDelta::seconds(9);
        f.insert_message(&new_message(&thread.id, &ada.id, "Again", second_at))
            .await;
        let bumped = f.thread_seen_by(&thread.id, &ada.id).await;
        assert_eq!(bumped.message_count, 2);
        assert_eq!(bumped.last_message_at, Some(second_at));
        assert_eq!(bumped.updated_at, second_at);
        assert_eq!(bumped.created_at, base);
    }
);

repo_test!(
    inserting_into_a_missing_thread_is_thread_not_found_and_stores_nothing,
    |f| {
        let ada = f.user("Ada").await;
        let missing = ThreadId::generate();
        let orphan = new_message(&missing, &ada.id, "Anyone there?", time::now());

        let err = f
            .messages
            .insert(
                &orphan,
                &event(EventKind::MessageCreated, &missing, &ada.id),
            )
            .await
            .unwrap_err();

        assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
        assert_eq!(f.messages.find(&orphan.id).await.unwrap(), None);
        assert_eq!(f.count("messages").await, 0);
        assert_eq!(f.events().await, vec![]);
    }
);

repo_test!(
    list_returns_a_threads_messages_in_either_order_filtered_by_role_and_parent,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Q&A").await;
        let elsewhere = f.thread(&ada.id, "Elsewhere").await;
        let by_ada = |text, role, parent| message_with(&thread.id, &ada.id, text, role, parent);
        let question = by_ada("Why?", MessageRole::User, None);
        let answer = by_ada("Because.", MessageRole::Assistant, Some(&question.id));
        let follow_up = by_ada("Really?", MessageRole::User, Some(&question.id));
        let tool = by_ada("{}", MessageRole::Tool, Some(&answer.id));
        for message in [&question, &answer, &follow_up, &tool] {
            f.insert_message(message).await;
        }
        f.post(&elsewhere.id, &ada.id, "Not here").await;

        let list = |filter: MessageFilter| {
            let (f, thread) = (&f, &thread);
            async move {
                let page = f
                    .messages
                    .list(&thread.id, &filter, &first_page(50))
                    .await
                    .unwrap();
                assert_eq!(page.next, None);
                page.items.into_iter().map(|m| m.id).collect::<Vec<_>>()
            }
        };
        let ids = |all: &[&NewMessage]| all.iter().map(|m| m.id.clone()).collect::<Vec<_>>();

        assert_eq!(
            list(oldest_first()).await,
            ids(&[&question, &answer, &follow_up, &tool])
        );
        assert_eq!(
            list(MessageFilter::default()).await,
            ids(&[&tool, &follow_up, &answer, &question])
        );
        assert_eq!(
            list(MessageFilter {
                role: Some(MessageRole::User),
                ..oldest_first()
            })
            .await,
            ids(&[&question, &follow_up])
        );
        assert_eq!(
            list(MessageFilter {
                order: SortOrder::Desc,
                parent_id: Some(question.id.clone()),
                ..MessageFilter::default()
            })
            .await,
            ids(&[&follow_up, &answer])
        );
        assert_eq!(
            list(MessageFilter {
                role: Some(MessageRole::Assistant),
                parent_id: Some(question.id.clone()),
                ..oldest_first()
            })
            .await,
            ids(&[&answer])
        );
        assert_eq!(
            list(MessageFilter {
                role: Some(MessageRole::System),
                ..MessageFilter::default()
            })
            .await,
            Vec::<MessageId>::new()
        );
        let listed = f.newest_messages(&thread.id, 1).await;
        assert_eq!(listed.items.len(), 1);
        assert_eq!(listed.items[0].parent_id, Some(answer.id.clone()));
        assert_eq!(listed.items[0].role, MessageRole::Tool);
        assert!(listed.next.is_some());
    }
);

repo_test!(
    keyset_paging_through_250_messages_returns_each_exactly_once_in_order,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Long").await;
        let mut posted = Vec::new();
        let mut assistant = Vec::new();
        for i in 0..250 {
            let role = if i % 5 == 0 {
                MessageRole::Assistant
            } else {
                MessageRole::User
            };
            let message = message_with(&thread.id, &ada.id, &format!("message {i}"), role, None);
            f.insert_message(&message).await;
            if role == MessageRole::Assistant {
                assistant.push(message.id.clone());
            }
            posted.push(message.id);
        }
        assert_eq!(
            f.thread_seen_by(&thread.id, &ada.id).await.message_count,
            250
        );

        let ascending = oldest_first();
        let pages = message_pages(&f, &thread.id, &ascending, 100).await;
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert_eq!(pages.concat(), posted);

        let pages = message_pages(&f, &thread.id, &MessageFilter::default(), 100).await;
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        let mut newest_first = posted.clone();
        newest_first.reverse();
        assert_eq!(pages.concat(), newest_first);
        assert_eq!(pages.concat().iter().collect::<HashSet<_>>().len(), 250);

        let by_role = MessageFilter {
            role: Some(MessageRole::Assistant),
            ..oldest_first()
        };
        let pages = message_pages(&f, &thread.id, &by_role, 20).await;
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![20, 20, 10]
        );
        assert_eq!(pages.concat(), assistant);
    }
);

repo_test!(
    editing_the_text_keeps_each_replaced_version_as_a_numbered_revision,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let thread = f.thread(&ada.id, "Drafts").await;
        let id = f.post(&thread.id, &ada.id, "first draft").await;
        let original = f.messages.find(&id).await.unwrap().unwrap();

        let t1 = time::after(original.updated_at);
        let second = f
            .update_message(
                &id,
                &thread.id,
                &new_text("second draft"),
                &bob.id,
                Some(original.updated_at),
                t1,
            )
            .await
            .unwrap();

        assert_eq!(second.content, Some(content("second draft")));
        assert_eq!(second.edited_at, Some(t1));
        assert_eq!(second.updated_at, t1);
        assert_eq!(second.created_at, original.created_at);
        assert_eq!(f.messages.find(&id).await.unwrap(), Some(second.clone()));
        let revisions = f.messages.revisions(&id, &first_page(10)).await.unwrap();
        assert_eq!(revisions.next, None);
        assert_eq!(revisions.items.len(), 1);
        let first = &revisions.items[0];
        assert_eq!(first.number, 1);
        assert_eq!(first.content, Some(content("first draft")));
        assert_eq!(first.created_at, original.updated_at);
        assert_eq!(first.replaced_by, bob.id);
        assert_eq!(first.replaced_at, t1);

        let t2 = time::after(t1);
        let blocks = Blocks::parse(json!([{"type": "divider"}])).unwrap();
        let third = f
            .update_message(
                &id,
                &thread.id,
                &MessageChanges {
                    content: Some(Some(content("third draft"))),
                    blocks: Some(blocks.clone()),
                    ..MessageChanges::default()
                },
                &ada.id,
                Some(t1),
                t2,
            )
            .await
            .unwrap();
        assert_eq!(third.content, Some(content("third draft")));
        assert_eq!(third.blocks, blocks);
        assert_eq!(third.edited_at, Some(t2));

        // Blocks alone are an edit too, and keep the text they replace.
        let fourth = f
            .edit(
                &id,
                &MessageChanges {
                    blocks: Some(Blocks::default()),
                    ..MessageChanges::default()
                },
                &ada.id,
            )
            .await;
        assert_eq!(fourth.content, Some(content("third draft")));
        assert!(fourth.blocks.is_empty());

        let all = f.messages.revisions(&id, &first_page(10)).await.unwrap();
        let summary: Vec<_> = all
            .items
            .iter()
            .map(|r| {
                (
                    r.number,
                    r.content.as_ref().map(|c| c.as_str().to_owned()),
                    r.blocks.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, Some("first draft".to_owned()), 0),
                (2, Some("second draft".to_owned()), 0),
                (3, Some("third draft".to_owned()), 1),
            ]
        );
        assert_eq!(all.items[1].created_at, t1);
        assert_eq!(all.items[1].replaced_by, ada.id);
        assert_eq!(all.items[1].replaced_at, t2);

        // Revisions page by number.
        let page = f.messages.revisions(&id, &first_page(2)).await.unwrap();
        assert_eq!(
            page.items.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let rest = f.messages.revisions(&id, &page_of(2, page.next)).await;
        let rest = rest.unwrap();
        assert_eq!(
            rest.items.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![3]
        );
        assert_eq!(rest.next, None);
        // Another message's history is its own.
        let other = f.post(&thread.id, &ada.id, "untouched").await;
        assert!(no_revisions(&f, &other).await);
    }
);

repo_test!(
    a_metadata_or_status_only_update_makes_no_revision_and_sets_no_edited_at,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Stream").await;
        let id = f.post(&thread.id, &ada.id, "partial answer").await;
        let before = f.messages.find(&id).await.unwrap().unwrap();
        let now = time::after(before.updated_at);

        let after = f
            .update_message(
                &id,
                &thread.id,
                &MessageChanges {
                    metadata: Some(Metadata::parse(json!({"tokens": 42})).unwrap()),
                    status: Some(MessageStatus::Failed),
                    ..MessageChanges::default()
                },
                &ada.id,
                Some(before.updated_at),
                now,
            )
            .await
            .unwrap();

        assert_eq!(after.metadata.as_map().get("tokens"), Some(&json!(42)));
        assert_eq!(after.status, MessageStatus::Failed);
        assert_eq!(after.content, before.content);
        assert_eq!(after.edited_at, None);
        assert_eq!(after.updated_at, now);
        assert!(no_revisions(&f, &id).await);
        assert_eq!(f.count("message_revisions").await, 0);
    }
);

repo_test!(
    updating_with_a_stale_expected_updated_at_fails_and_changes_nothing,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Races").await;
        let id = f.post(&thread.id, &ada.id, "v1").await;
        let original = f.messages.find(&id).await.unwrap().unwrap();
        let current = f.edit(&id, &new_text("v2"), &ada.id).await;
        let events_before = f.events().await;

        let metadata_only = MessageChanges {
            metadata: Some(Metadata::parse(json!({"lost": true})).unwrap()),
            ..MessageChanges::default()
        };
        for changes in [new_text("lost update"), metadata_only] {
            let err = f
                .update_message(
                    &id,
                    &thread.id,
                    &changes,
                    &ada.id,
                    Some(original.updated_at),
                    time::after(current.updated_at),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        }

        assert_eq!(f.messages.find(&id).await.unwrap(), Some(current));
        let revisions = f.messages.revisions(&id, &first_page(10)).await.unwrap();
        assert_eq!(revisions.items.len(), 1);
        assert_eq!(f.events().await, events_before);
    }
);

repo_test!(updating_a_missing_message_is_message_not_found, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Void").await;
    let missing = MessageId::generate();
    let status_only = MessageChanges {
        status: Some(MessageStatus::Complete),
        ..MessageChanges::default()
    };

    for changes in [new_text("into the void"), status_only] {
        for expected in [None, Some(time::now())] {
            let err = f
                .update_message(
                    &missing,
                    &thread.id,
                    &changes,
                    &ada.id,
                    expected,
                    time::now(),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("message")), "{err:?}");
        }
    }
    assert_eq!(f.count("message_revisions").await, 0);
    assert_eq!(f.events().await.len(), 1);
});

repo_test!(find_and_list_carry_the_reaction_counts_per_emoji, |f| {
    let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
    let thread = f.thread(&ada.id, "Fun").await;
    let liked = f.post(&thread.id, &ada.id, "liked").await;
    let plain = f.post(&thread.id, &ada.id, "plain").await;
    f.react(&liked, &thread.id, &ada.id, "👍").await;
    f.react(&liked, &thread.id, &bob.id, "👍").await;
    f.react(&liked, &thread.id, &bob.id, "tada").await;

    let expected = BTreeMap::from([("tada".to_owned(), 1), ("👍".to_owned(), 2)]);
    let found = f.messages.find(&liked).await.unwrap().unwrap();
    assert_eq!(found.reaction_counts, expected);
    let page = f.newest_messages(&thread.id, 10).await;
    let counts: Vec<_> = page
        .items
        .into_iter()
        .map(|m| (m.id, m.reaction_counts))
        .collect();
    assert_eq!(counts, vec![(plain, BTreeMap::new()), (liked, expected)]);
});

repo_test!(
    delete_decrements_the_count_removes_reactions_and_revisions_and_orphans_replies,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let thread = f.thread(&ada.id, "Cleanup").await;
        let parent = message_with(&thread.id, &ada.id, "parent", MessageRole::User, None);
        f.insert_message(&parent).await;
        let reply = message_with(
            &thread.id,
            &bob.id,
            "reply",
            MessageRole::Assistant,
            Some(&parent.id),
        );
        f.insert_message(&reply).await;
        let bystander = f.post(&thread.id, &bob.id, "bystander").await;
        let edited = f
            .edit(&parent.id, &new_text("parent, edited"), &ada.id)
            .await;
        f.edit(&bystander, &new_text("bystander, edited"), &bob.id)
            .await;
        f.react(&parent.id, &thread.id, &ada.id, "tada").await;
        f.react(&parent.id, &thread.id, &bob.id, "tada").await;
        f.react(&bystander, &thread.id, &bob.id, "tada").await;
        let of = |table: &str, id: &MessageId| format!("{table} WHERE message_id = '{id}'");
        assert_eq!(f.count(&of("reactions", &parent.id)).await, 2);
        assert_eq!(f.count(&of("message_revisions", &parent.id)).await, 1);
        assert_eq!(f.thread_seen_by(&thread.id, &ada.id).await.message_count, 3);

        // A stale precondition leaves everything, the count included, as it was.
        let err = f
            .delete_message(
                &parent.id,
                &thread.id,
                Some(parent.created_at - TimeDelta::seconds(1)),
                &ada.id,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        assert_eq!(f.thread_seen_by(&thread.id, &ada.id).await.message_count, 3);
        assert!(f.messages.find(&parent.id).await.unwrap().is_some());

        f.delete_message(&parent.id, &thread.id, Some(edited.updated_at), &ada.id)
            .await
            .unwrap();

        assert_eq!(f.messages.find(&parent.id).await.unwrap(), None);
        assert_eq!(f.thread_seen_by(&thread.id, &ada.id).await.message_count, 2);
        assert_eq!(f.count(&of("reactions", &parent.id)).await, 0);
        assert_eq!(f.count(&of("message_revisions", &parent.id)).await, 0);
        assert!(no_revisions(&f, &parent.id).await);
        let orphan = f.messages.find(&reply.id).await.unwrap().unwrap();
        assert_eq!(orphan.parent_id, None);
        assert_eq!(orphan.content, Some(content("reply")));
        // The other message keeps its reactions and history.
        assert_eq!(f.count(&of("reactions", &bystander)).await, 1);
        assert_eq!(f.count(&of("message_revisions", &bystander)).await, 1);
        let remaining = f
            .messages
            .list(&thread.id, &oldest_first(), &first_page(10))
            .await
            .unwrap();
        assert_eq!(
            remaining
                .items
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>(),
            vec![reply.id.clone(), bystander.clone()]
        );

        // Gone is gone, and a missing message moves no count.
        for id in [&parent.id, &MessageId::generate()] {
            let err = f
                .delete_message(id, &thread.id, None, &ada.id)
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("message")), "{err:?}");
        }
        assert_eq!(f.thread_seen_by(&thread.id, &ada.id).await.message_count, 2);
    }
);

repo_test!(
    every_message_write_appends_one_event_and_a_failed_one_none,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let thread = f.thread(&ada.id, "Log").await;
        let (t, a, b) = (
            thread.id.to_string(),
            ada.id.to_string(),
            bob.id.to_string(),
        );
        assert_eq!(f.events().await.len(), 1);

        let id = f.post(&thread.id, &bob.id, "hello").await;
        f.assert_one_event_since(1, ("message.created", t.as_str(), b.as_str()))
            .await;

        let edited = f.edit(&id, &new_text("hello, world"), &ada.id).await;
        f.assert_one_event_since(2, ("message.updated", t.as_str(), a.as_str()))
            .await;

        f.edit(
            &id,
            &MessageChanges {
                status: Some(MessageStatus::Complete),
                ..MessageChanges::default()
            },
            &bob.id,
        )
        .await;
        f.assert_one_event_since(3, ("message.updated", t.as_str(), b.as_str()))
            .await;

        // Failures: a stale edit, a stale delete, a missing message, a missing thread.
        let stale = Some(edited.created_at);
        assert!(f
            .update_message(
                &id,
                &thread.id,
                &new_text("nope"),
                &ada.id,
                stale,
                time::now()
            )
            .await
            .is_err());
        assert!(f
            .delete_message(&id, &thread.id, stale, &ada.id)
            .await
            .is_err());
        assert!(f
            .delete_message(&MessageId::generate(), &thread.id, None, &ada.id)
            .await
            .is_err());
        let missing = ThreadId::generate();
        assert!(f
            .messages
            .insert(
                &new_message(&missing, &ada.id, "lost", time::now()),
                &event(EventKind::MessageCreated, &missing, &ada.id),
            )
            .await
            .is_err());
        assert_eq!(f.events().await.len(), 4);

        f.delete_message(&id, &thread.id, None, &ada.id)
            .await
            .unwrap();
        f.assert_one_event_since(4, ("message.deleted", t.as_str(), a.as_str()))
            .await;
    }
);

repo_test!(a_message_keeps_its_attachments_in_the_order_given, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Files").await;
    let photo = f
        .file(
            &ada.id,
            Some(&thread.id),
            "photo.png",
            'a',
            "image/png",
            Some("image/png"),
        )
        .await;
    let notes = f
        .file(&ada.id, None, "notes.txt", 'b', "text/plain", None)
        .await;
    let sheet = f
        .file(&ada.id, None, "sheet.csv", 'c', "text/csv", None)
        .await;
    let plain = f.post(&thread.id, &ada.id, "no files").await;
    let new = message_attaching(
        &thread.id,
        &ada.id,
        "three files",
        &[&sheet, &photo, &notes],
    );
    let summaries = vec![sheet.summary(), photo.summary(), notes.summary()];
    assert!(summaries[1].has_preview);
    assert_eq!(summaries[1].content_type.as_str(), "image/png");

    let inserted = f
        .messages
        .insert(&new, &event(EventKind::MessageCreated, &thread.id, &ada.id))
        .await
        .unwrap();

    assert_eq!(inserted.attachments, summaries);
    assert_eq!(
        f.messages.find(&new.id).await.unwrap(),
        Some(inserted.clone())
    );
    let only_photo = message_attaching(&thread.id, &ada.id, "again", &[&photo]);
    f.insert_message(&only_photo).await;
    let page = f.newest_messages(&thread.id, 10).await;
    let listed: Vec<_> = page
        .items
        .into_iter()
        .map(|m| (m.id, m.attachments))
        .collect();
    assert_eq!(
        listed,
        vec![
            (only_photo.id.clone(), vec![photo.summary()]),
            (new.id.clone(), summaries.clone()),
            (plain.clone(), Vec::new()),
        ]
    );

    // An edit answers with the attachments too; the blob's preview state shows.
    let edited = f
        .edit(&new.id, &new_text("three files, edited"), &ada.id)
        .await;
    assert_eq!(edited.attachments, summaries);
    f.files
        .set_preview(&digest('a'), PreviewState::Unavailable)
        .await
        .unwrap();
    let found = f.messages.find(&only_photo.id).await.unwrap().unwrap();
    assert!(!found.attachments[0].has_preview);
    assert_eq!(f.count("message_attachments").await, 4);

    // Deleting the message takes its links, not the f.files.
    f.delete_message(&new.id, &thread.id, None, &ada.id)
        .await
        .unwrap();
    assert_eq!(f.count("message_attachments").await, 1);
    assert!(f.files.find(&sheet.id).await.unwrap().is_some());
});

repo_test!(
    attaching_a_file_deleted_meanwhile_fails_that_message_only,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Races").await;
        let kept = f
            .file(&ada.id, None, "kept.txt", 'a', "text/plain", None)
            .await;
        let gone = f
            .file(&ada.id, None, "gone.txt", 'b', "text/plain", None)
            .await;
        f.files.delete(&gone.id, None).await.unwrap();

        // Alone (written in a transaction of its own) …
        let lone = message_attaching(&thread.id, &ada.id, "lone", &[&kept, &gone]);
        let err = f
            .messages
            .insert(
                &lone,
                &event(EventKind::MessageCreated, &thread.id, &ada.id),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, DomainError::Validation(e) if e.contains_key("attachments")),
            "{err:?}"
        );
        assert_eq!(f.messages.find(&lone.id).await.unwrap(), None);

        // … and among others written at the same moment (one batch, then one by one).
        let batch: Vec<NewMessage> = (0..6)
            .map(|i| {
                let attached: Vec<&File> = if i == 3 { vec![&gone] } else { vec![&kept] };
                message_attaching(&thread.id, &ada.id, &format!("message {i}"), &attached)
            })
            .collect();
        let created: Vec<_> = batch
            .iter()
            .map(|m| event(EventKind::MessageCreated, &m.thread_id, &m.author_id))
            .collect();
        let outcomes = futures_util::future::join_all(
            batch
                .iter()
                .zip(&created)
                .map(|(m, created)| f.messages.insert(m, created)),
        )
        .await;
        for (i, outcome) in outcomes.iter().enumerate() {
            if i == 3 {
                assert!(
                    matches!(outcome, Err(DomainError::Validation(e)) if e.contains_key("attachments")),
                    "{outcome:?}"
                );
            } else {
                assert_eq!(outcome.as_ref().unwrap().attachments, vec![kept.summary()]);
            }
        }
        assert_eq!(f.messages.find(&batch[3].id).await.unwrap(), None);
        assert_eq!(f.count("message_attachments").await, 5);
        assert_eq!(f.thread_seen_by(&thread.id, &ada.id).await.message_count, 5);
    }
);
