//! `SeaReactionRepository` against the `ReactionRepository` contract, and the events its
//! writes append.

use std::sync::Arc;

use chrono::TimeDelta;
use domain::{
    event::EventKind,
    id::{MessageId, UserId},
    reaction::{Emoji, ReactionGroup, Toggled},
    thread::Thread,
    DomainError,
};

use crate::support::{at, event, page_of, toggle, toggle_at, Fixture};

fn emoji(raw: &str) -> Emoji {
    Emoji::parse(raw).unwrap()
}

/// A message that `author` posted in a thread of their own: what the reactions go on.
async fn message_of(f: &Fixture, author: &UserId) -> (Thread, MessageId) {
    let thread = f.thread(author, "Reactions").await;
    let message = f.post(&thread.id, author, "React to me").await;
    (thread, message)
}

/// Every group of the message's reactions as `viewer` sees them (one page holds them).
async fn groups(f: &Fixture, message: &MessageId, viewer: &UserId) -> Vec<ReactionGroup> {
    let page = f.reactions.list(message, viewer, &page_of(100, None)).await;
    let page = page.unwrap();
    assert_eq!(page.next, None, "one page holds every group");
    page.items
}

/// The groups as (emoji, users, me), easy to compare.
fn summary(groups: Vec<ReactionGroup>) -> Vec<(String, Vec<UserId>, bool)> {
    groups
        .into_iter()
        .map(|g| (g.emoji.as_str().to_owned(), g.users, g.me))
        .collect()
}

repo_test!(toggling_adds_the_reaction_then_removes_it, |f| {
    let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
    let (thread, message) = message_of(&f, &ada.id).await;
    let before = f.events().await.len();
    let (t, b) = (thread.id.to_string(), bob.id.to_string());

    let first = toggle(&*f.reactions, &thread.id, &message, &bob.id, "👍", 50).await;
    assert_eq!(first.unwrap(), Toggled::Added);
    assert_eq!(
        summary(groups(&f, &message, &bob.id).await),
        vec![("👍".to_owned(), vec![bob.id.clone()], true)]
    );
    let found = f.messages.find(&message).await.unwrap().unwrap();
    assert_eq!(found.reaction_counts.get("👍"), Some(&1));
    f.assert_one_event_since(before, ("reaction.added", t.as_str(), b.as_str()))
        .await;

    let second = toggle(&*f.reactions, &thread.id, &message, &bob.id, "👍", 50).await;
    assert_eq!(second.unwrap(), Toggled::Removed);
    assert_eq!(groups(&f, &message, &bob.id).await, vec![]);
    assert!(f
        .messages
        .find(&message)
        .await
        .unwrap()
        .unwrap()
        .reaction_counts
        .is_empty());
    f.assert_one_event_since(before + 1, ("reaction.removed", t.as_str(), b.as_str()))
        .await;

    let third = toggle(&*f.reactions, &thread.id, &message, &bob.id, "👍", 50).await;
    assert_eq!(third.unwrap(), Toggled::Added);
    assert_eq!(f.count("reactions").await, 1);
});

repo_test!(
    list_groups_reactions_by_emoji_in_first_use_order_and_marks_the_viewers,
    |f| {
        let [ada, bob, cy] = f.users_called(["Ada", "Bob", "Cy"]).await;
        let (thread, message) = message_of(&f, &ada.id).await;
        let other = f.post(&thread.id, &ada.id, "Elsewhere").await;
        let base = at("2026-05-01T12:00:00Z");
        let steps = [
            (&ada, "👍"),
            (&bob, "tada"),
            (&bob, "👍"),
            (&cy, "tada"),
            (&cy, "heart"),
        ];
        for (i, (user, raw)) in steps.into_iter().enumerate() {
            let when = base + TimeDelta::seconds(i64::try_from(i).unwrap());
            let toggled = toggle_at(&*f.reactions, &thread.id, &message, &user.id, raw, 50, when);
            assert_eq!(toggled.await.unwrap(), Toggled::Added);
        }
        let toggled = toggle(&*f.reactions, &thread.id, &other, &cy.id, "👍", 50).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);

        // Every viewer sees the same groups; `me` marks the ones they are in.
        for (viewer, me) in [(&bob, [true, true, false]), (&cy, [false, true, true])] {
            let expected = vec![
                ("👍".to_owned(), vec![ada.id.clone(), bob.id.clone()], me[0]),
                (
                    "tada".to_owned(),
                    vec![bob.id.clone(), cy.id.clone()],
                    me[1],
                ),
                ("heart".to_owned(), vec![cy.id.clone()], me[2]),
            ];
            let seen = summary(groups(&f, &message, &viewer.id).await);
            assert_eq!(seen, expected, "as {} sees them", viewer.name.as_str());
        }

        // Ada takes back the first 👍 and gives it again last: 👍 was now first used by
        // Bob, after the first tada.
        let removed = toggle(&*f.reactions, &thread.id, &message, &ada.id, "👍", 50).await;
        assert_eq!(removed.unwrap(), Toggled::Removed);
        let again = toggle_at(
            &*f.reactions,
            &thread.id,
            &message,
            &ada.id,
            "👍",
            50,
            base + TimeDelta::minutes(1),
        );
        assert_eq!(again.await.unwrap(), Toggled::Added);
        assert_eq!(
            summary(groups(&f, &message, &ada.id).await),
            vec![
                (
                    "tada".to_owned(),
                    vec![bob.id.clone(), cy.id.clone()],
                    false
                ),
                ("👍".to_owned(), vec![bob.id.clone(), ada.id.clone()], true),
                ("heart".to_owned(), vec![cy.id.clone()], false),
            ]
        );
        assert_eq!(groups(&f, &MessageId::generate(), &ada.id).await, vec![]);
    }
);

repo_test!(
    a_new_emoji_beyond_max_distinct_is_too_many_emoji_and_stores_nothing,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let (thread, message) = message_of(&f, &ada.id).await;
        let other = f.post(&thread.id, &ada.id, "Another").await;
        for raw in ["a", "b", "c"] {
            let toggled = toggle(&*f.reactions, &thread.id, &message, &ada.id, raw, 3).await;
            assert_eq!(toggled.unwrap(), Toggled::Added);
        }
        let before = f.events().await;

        for user in [&ada, &bob] {
            let toggled = toggle(&*f.reactions, &thread.id, &message, &user.id, "d", 3).await;
            assert_eq!(toggled.unwrap(), Toggled::TooManyEmoji);
        }
        assert_eq!(f.events().await, before);
        assert_eq!(
            f.count(&format!("reactions WHERE message_id = '{message}'"))
                .await,
            3
        );

        // An emoji already on the message is no new one; other messages have their own.
        let toggled = toggle(&*f.reactions, &thread.id, &message, &bob.id, "a", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);
        let toggled = toggle(&*f.reactions, &thread.id, &other, &bob.id, "d", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);
        // Once no one uses `c` any more, there is room again.
        let toggled = toggle(&*f.reactions, &thread.id, &message, &ada.id, "c", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Removed);
        let toggled = toggle(&*f.reactions, &thread.id, &message, &bob.id, "d", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);
        let emoji: Vec<_> = summary(groups(&f, &message, &bob.id).await)
            .into_iter()
            .map(|(emoji, _, _)| emoji)
            .collect();
        assert_eq!(emoji, vec!["a", "b", "d"]);
    }
);

repo_test!(toggling_on_a_missing_message_is_message_not_found, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Gone").await;
    let deleted = f.post(&thread.id, &ada.id, "Soon gone").await;
    f.delete_message(&deleted, &thread.id, None, &ada.id)
        .await
        .unwrap();
    let before = f.events().await;

    for message in [MessageId::generate(), deleted] {
        let err = toggle(&*f.reactions, &thread.id, &message, &ada.id, "👍", 50)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound("message")), "{err:?}");
    }
    assert_eq!(f.count("reactions").await, 0);
    assert_eq!(f.events().await, before);
});

repo_test!(
    remove_deletes_the_users_reaction_once_and_says_whether_there_was_one,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let (thread, message) = message_of(&f, &ada.id).await;
        for user in [&ada, &bob] {
            let toggled = toggle(&*f.reactions, &thread.id, &message, &user.id, "eyes", 50).await;
            assert_eq!(toggled.unwrap(), Toggled::Added);
        }
        let before = f.events().await.len();
        let removal = event(EventKind::ReactionRemoved, &thread.id, &bob.id);

        let removed = f
            .reactions
            .remove(&message, &bob.id, &emoji("eyes"), &removal)
            .await
            .unwrap();
        assert!(removed);
        let appended = f.events_since(before).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(appended[0].kind, "reaction.removed");
        assert_eq!(appended[0].actor_id, bob.id.to_string());

        let elsewhere = MessageId::generate();
        for (case, message, user, raw) in [
            ("again", &message, &bob.id, "eyes"),
            ("another emoji", &message, &ada.id, "tada"),
            ("a missing message", &elsewhere, &ada.id, "eyes"),
        ] {
            let emoji = emoji(raw);
            let removed = f.reactions.remove(message, user, &emoji, &removal).await;
            assert!(!removed.unwrap(), "{case}");
        }
        assert_eq!(f.events().await.len(), before + 1);
        assert_eq!(
            summary(groups(&f, &message, &ada.id).await),
            vec![("eyes".to_owned(), vec![ada.id.clone()], true)]
        );
    }
);

repo_test!(
    concurrent_toggles_of_one_reaction_leave_one_row_or_none_and_match_their_events,
    |f| {
        let ada = f.user("Ada").await;
        let (thread, message) = message_of(&f, &ada.id).await;
        let before = f.events().await.len();

        let mut tasks = Vec::new();
        for _ in 0..64 {
            let reactions = Arc::clone(&f.reactions);
            let (thread, message, user) = (thread.id.clone(), message.clone(), ada.id.clone());
            tasks.push(tokio::spawn(async move {
                toggle(&*reactions, &thread, &message, &user, "👍", 50).await
            }));
        }
        let (mut added, mut removed) = (0_i64, 0_i64);
        for task in tasks {
            match task.await.unwrap() {
                Ok(Toggled::Added) => added += 1,
                Ok(Toggled::Removed) => removed += 1,
                other => panic!("a toggle went wrong: {other:?}"),
            }
        }

        let rows = f.count("reactions").await;
        assert!(rows == 0 || rows == 1, "{rows} reactions");
        assert_eq!(added + removed, 64);
        assert_eq!(added - removed, rows);
        let appended = f.events_since(before).await;
        let added_events = appended
            .iter()
            .filter(|e| e.kind == "reaction.added")
            .count();
        let removed_events = appended
            .iter()
            .filter(|e| e.kind == "reaction.removed")
            .count();
        assert_eq!(appended.len(), 64);
        assert_eq!(
            (
                i64::try_from(added_events).unwrap(),
                i64::try_from(removed_events).unwrap()
            ),
            (added, removed)
        );
        // Events alternate: each toggle saw the one before it.
        for pair in appended.windows(2) {
            assert_ne!(pair[0].kind, pair[1].kind, "{appended:?}");
        }
    }
);

repo_test!(
    concurrent_toggles_of_new_emoji_never_exceed_max_distinct,
    |f| {
        let ada = f.user("Ada").await;
        let (thread, message) = message_of(&f, &ada.id).await;

        let mut tasks = Vec::new();
        for i in 0..24 {
            let reactions = Arc::clone(&f.reactions);
            let (thread, message, user) = (thread.id.clone(), message.clone(), ada.id.clone());
            tasks.push(tokio::spawn(async move {
                toggle(&*reactions, &thread, &message, &user, &format!("e{i}"), 3).await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap().unwrap());
        }

        let added = outcomes.iter().filter(|t| **t == Toggled::Added).count();
        let refused = outcomes
            .iter()
            .filter(|t| **t == Toggled::TooManyEmoji)
            .count();
        assert_eq!((added, refused), (3, 21));
        assert_eq!(f.count("reactions").await, 3);
        assert_eq!(groups(&f, &message, &ada.id).await.len(), 3);
    }
);

repo_test!(
    groups_are_paged_in_first_use_order_and_a_cursor_survives_its_group_going,
    |f| {
        let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
        let (thread, message) = message_of(&f, &ada.id).await;
        for raw in ["👍", "🎉", "👀"] {
            toggle(&*f.reactions, &thread.id, &message, &bob.id, raw, 50)
                .await
                .unwrap();
        }
        let first = f
            .reactions
            .list(&message, &ada.id, &page_of(2, None))
            .await
            .unwrap();
        let shown: Vec<&str> = first.items.iter().map(|g| g.emoji.as_str()).collect();
        assert_eq!(shown, ["👍", "🎉"]);
        let cursor = first.next.expect("a third group is left");

        // The last group of the first page goes; the next page still starts after it.
        toggle(&*f.reactions, &thread.id, &message, &bob.id, "🎉", 50)
            .await
            .unwrap();
        let second = f
            .reactions
            .list(&message, &ada.id, &page_of(2, Some(cursor)))
            .await
            .unwrap();
        let shown: Vec<&str> = second.items.iter().map(|g| g.emoji.as_str()).collect();
        assert_eq!(shown, ["👀"]);
        assert_eq!(second.next, None);
    }
);
