//! `SeaReactionRepository` against the `ReactionRepository` contract, and the events its
//! writes append.

use std::sync::Arc;

use chrono::TimeDelta;
use domain::{
    event::EventKind,
    id::{MessageId, ReactionId, ThreadId, UserId},
    message::MessageRepository,
    reaction::{Emoji, NewReaction, ReactionGroup, ReactionRepository, Toggled},
    time::{self, Timestamp},
    DomainError, DomainResult,
};
use infrastructure::{backend_test, repositories::SeaReactionRepository, testing::TestDatabase};

use crate::{
    at, count, create_thread, event, events, events_since, insert_user, message_repository, post,
    reaction_repository, thread_repository, user_repository,
};

fn emoji(raw: &str) -> Emoji {
    Emoji::parse(raw).unwrap()
}

fn reaction(message: &MessageId, user: &UserId, raw: &str, created_at: Timestamp) -> NewReaction {
    NewReaction {
        id: ReactionId::generate(),
        message_id: message.clone(),
        user_id: user.clone(),
        emoji: emoji(raw),
        created_at,
    }
}

/// Toggles `raw` on `message` for `user` at `created_at`, with the events a service would pass.
async fn toggle_at(
    reactions: &SeaReactionRepository,
    thread: &ThreadId,
    message: &MessageId,
    user: &UserId,
    raw: &str,
    max_distinct: usize,
    created_at: Timestamp,
) -> DomainResult<Toggled> {
    reactions
        .toggle(
            &reaction(message, user, raw, created_at),
            max_distinct,
            &event(EventKind::ReactionAdded, thread, user),
            &event(EventKind::ReactionRemoved, thread, user),
        )
        .await
}

async fn toggle(
    reactions: &SeaReactionRepository,
    thread: &ThreadId,
    message: &MessageId,
    user: &UserId,
    raw: &str,
    max_distinct: usize,
) -> DomainResult<Toggled> {
    toggle_at(
        reactions,
        thread,
        message,
        user,
        raw,
        max_distinct,
        time::now(),
    )
    .await
}

/// The groups as (emoji, users, me), easy to compare.
fn summary(groups: Vec<ReactionGroup>) -> Vec<(String, Vec<UserId>, bool)> {
    groups
        .into_iter()
        .map(|g| (g.emoji.as_str().to_owned(), g.users, g.me))
        .collect()
}

backend_test!(
    toggling_adds_the_reaction_then_removes_it,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = reaction_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&threads, &ada.id, "Reactions").await;
        let message = post(&messages, &thread.id, &ada.id, "React to me").await;
        let before = events(&conn).await.len();
        let (t, b) = (thread.id.to_string(), bob.id.to_string());

        let first = toggle(&reactions, &thread.id, &message, &bob.id, "👍", 50).await;
        assert_eq!(first.unwrap(), Toggled::Added);
        assert_eq!(
            summary(reactions.list(&message, &bob.id).await.unwrap()),
            vec![("👍".to_owned(), vec![bob.id.clone()], true)]
        );
        let found = messages.find(&message).await.unwrap().unwrap();
        assert_eq!(found.reaction_counts.get("👍"), Some(&1));
        let appended = events_since(&conn, before).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("reaction.added", t.as_str(), b.as_str())
        );

        let second = toggle(&reactions, &thread.id, &message, &bob.id, "👍", 50).await;
        assert_eq!(second.unwrap(), Toggled::Removed);
        assert_eq!(reactions.list(&message, &bob.id).await.unwrap(), vec![]);
        assert!(messages
            .find(&message)
            .await
            .unwrap()
            .unwrap()
            .reaction_counts
            .is_empty());
        let appended = events_since(&conn, before + 1).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(
            appended[0].what(),
            ("reaction.removed", t.as_str(), b.as_str())
        );

        let third = toggle(&reactions, &thread.id, &message, &bob.id, "👍", 50).await;
        assert_eq!(third.unwrap(), Toggled::Added);
        assert_eq!(count(&conn, "reactions").await, 1);
    }
);

backend_test!(
    list_groups_reactions_by_emoji_in_first_use_order_and_marks_the_viewers,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = reaction_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let cy = insert_user(&users, "cy@example.com", "Cy").await;
        let thread = create_thread(&threads, &ada.id, "Groups").await;
        let message = post(&messages, &thread.id, &ada.id, "Vote").await;
        let other = post(&messages, &thread.id, &ada.id, "Elsewhere").await;
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
            let toggled = toggle_at(&reactions, &thread.id, &message, &user.id, raw, 50, when);
            assert_eq!(toggled.await.unwrap(), Toggled::Added);
        }
        let toggled = toggle(&reactions, &thread.id, &other, &cy.id, "👍", 50).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);

        assert_eq!(
            summary(reactions.list(&message, &bob.id).await.unwrap()),
            vec![
                ("👍".to_owned(), vec![ada.id.clone(), bob.id.clone()], true),
                ("tada".to_owned(), vec![bob.id.clone(), cy.id.clone()], true),
                ("heart".to_owned(), vec![cy.id.clone()], false),
            ]
        );
        assert_eq!(
            summary(reactions.list(&message, &cy.id).await.unwrap()),
            vec![
                ("👍".to_owned(), vec![ada.id.clone(), bob.id.clone()], false),
                ("tada".to_owned(), vec![bob.id.clone(), cy.id.clone()], true),
                ("heart".to_owned(), vec![cy.id.clone()], true),
            ]
        );

        // Ada takes back the first 👍 and gives it again last: 👍 was now first used by
        // Bob, after the first tada.
        let removed = toggle(&reactions, &thread.id, &message, &ada.id, "👍", 50).await;
        assert_eq!(removed.unwrap(), Toggled::Removed);
        let again = toggle_at(
            &reactions,
            &thread.id,
            &message,
            &ada.id,
            "👍",
            50,
            base + TimeDelta::minutes(1),
        );
        assert_eq!(again.await.unwrap(), Toggled::Added);
        assert_eq!(
            summary(reactions.list(&message, &ada.id).await.unwrap()),
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
        assert_eq!(
            reactions
                .list(&MessageId::generate(), &ada.id)
                .await
                .unwrap(),
            vec![]
        );
    }
);

backend_test!(
    a_new_emoji_beyond_max_distinct_is_too_many_emoji_and_stores_nothing,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = reaction_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&threads, &ada.id, "Limits").await;
        let message = post(&messages, &thread.id, &ada.id, "Pick three").await;
        let other = post(&messages, &thread.id, &ada.id, "Another").await;
        for raw in ["a", "b", "c"] {
            let toggled = toggle(&reactions, &thread.id, &message, &ada.id, raw, 3).await;
            assert_eq!(toggled.unwrap(), Toggled::Added);
        }
        let before = events(&conn).await;

        for user in [&ada, &bob] {
            let toggled = toggle(&reactions, &thread.id, &message, &user.id, "d", 3).await;
            assert_eq!(toggled.unwrap(), Toggled::TooManyEmoji);
        }
        assert_eq!(events(&conn).await, before);
        assert_eq!(
            count(&conn, &format!("reactions WHERE message_id = '{message}'")).await,
            3
        );

        // An emoji already on the message is no new one; other messages have their own.
        let toggled = toggle(&reactions, &thread.id, &message, &bob.id, "a", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);
        let toggled = toggle(&reactions, &thread.id, &other, &bob.id, "d", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);
        // Once no one uses `c` any more, there is room again.
        let toggled = toggle(&reactions, &thread.id, &message, &ada.id, "c", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Removed);
        let toggled = toggle(&reactions, &thread.id, &message, &bob.id, "d", 3).await;
        assert_eq!(toggled.unwrap(), Toggled::Added);
        let emoji: Vec<_> = summary(reactions.list(&message, &bob.id).await.unwrap())
            .into_iter()
            .map(|(emoji, _, _)| emoji)
            .collect();
        assert_eq!(emoji, vec!["a", "b", "d"]);
    }
);

backend_test!(
    toggling_on_a_missing_message_is_message_not_found,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = reaction_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Gone").await;
        let deleted = post(&messages, &thread.id, &ada.id, "Soon gone").await;
        messages
            .delete(
                &deleted,
                None,
                &event(EventKind::MessageDeleted, &thread.id, &ada.id),
            )
            .await
            .unwrap();
        let before = events(&conn).await;

        for message in [MessageId::generate(), deleted] {
            let err = toggle(&reactions, &thread.id, &message, &ada.id, "👍", 50)
                .await
                .unwrap_err();
            assert!(matches!(err, DomainError::NotFound("message")), "{err:?}");
        }
        assert_eq!(count(&conn, "reactions").await, 0);
        assert_eq!(events(&conn).await, before);
    }
);

backend_test!(
    remove_deletes_the_users_reaction_once_and_says_whether_there_was_one,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = reaction_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let bob = insert_user(&users, "bob@example.com", "Bob").await;
        let thread = create_thread(&threads, &ada.id, "Undo").await;
        let message = post(&messages, &thread.id, &ada.id, "Hmm").await;
        for user in [&ada, &bob] {
            let toggled = toggle(&reactions, &thread.id, &message, &user.id, "eyes", 50).await;
            assert_eq!(toggled.unwrap(), Toggled::Added);
        }
        let before = events(&conn).await.len();
        let removal = event(EventKind::ReactionRemoved, &thread.id, &bob.id);

        let removed = reactions
            .remove(&message, &bob.id, &emoji("eyes"), &removal)
            .await
            .unwrap();
        assert!(removed);
        let appended = events_since(&conn, before).await;
        assert_eq!(appended.len(), 1);
        assert_eq!(appended[0].kind, "reaction.removed");
        assert_eq!(appended[0].actor_id, bob.id.to_string());

        let again = reactions
            .remove(&message, &bob.id, &emoji("eyes"), &removal)
            .await
            .unwrap();
        assert!(!again);
        let other_emoji = reactions
            .remove(&message, &ada.id, &emoji("tada"), &removal)
            .await
            .unwrap();
        assert!(!other_emoji);
        let nowhere = reactions
            .remove(&MessageId::generate(), &ada.id, &emoji("eyes"), &removal)
            .await
            .unwrap();
        assert!(!nowhere);
        assert_eq!(events(&conn).await.len(), before + 1);
        assert_eq!(
            summary(reactions.list(&message, &ada.id).await.unwrap()),
            vec![("eyes".to_owned(), vec![ada.id.clone()], true)]
        );
    }
);

backend_test!(
    concurrent_toggles_of_one_reaction_leave_one_row_or_none_and_match_their_events,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = Arc::new(reaction_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Race").await;
        let message = post(&messages, &thread.id, &ada.id, "Click fast").await;
        let before = events(&conn).await.len();

        let mut tasks = Vec::new();
        for _ in 0..64 {
            let reactions = Arc::clone(&reactions);
            let (thread, message, user) = (thread.id.clone(), message.clone(), ada.id.clone());
            tasks.push(tokio::spawn(async move {
                toggle(&reactions, &thread, &message, &user, "👍", 50).await
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

        let rows = count(&conn, "reactions").await;
        assert!(rows == 0 || rows == 1, "{rows} reactions");
        assert_eq!(added + removed, 64);
        assert_eq!(added - removed, rows);
        let appended = events_since(&conn, before).await;
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

backend_test!(
    concurrent_toggles_of_new_emoji_never_exceed_max_distinct,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let threads = thread_repository(&conn);
        let messages = message_repository(&conn);
        let reactions = Arc::new(reaction_repository(&conn));
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let thread = create_thread(&threads, &ada.id, "Race").await;
        let message = post(&messages, &thread.id, &ada.id, "Pick one").await;

        let mut tasks = Vec::new();
        for i in 0..24 {
            let reactions = Arc::clone(&reactions);
            let (thread, message, user) = (thread.id.clone(), message.clone(), ada.id.clone());
            tasks.push(tokio::spawn(async move {
                toggle(&reactions, &thread, &message, &user, &format!("e{i}"), 3).await
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
        assert_eq!(count(&conn, "reactions").await, 3);
        assert_eq!(reactions.list(&message, &ada.id).await.unwrap().len(), 3);
    }
);
