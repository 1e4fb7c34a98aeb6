//! The rules of [`ReactionService`], checked against `mockall` mocks of its ports.
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was written on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::{
    service::MAX_DISTINCT_EMOJI, Emoji, MockReactionRepository, NewReaction, ReactionGroup,
    ReactionService, Toggled,
};
use crate::test_fixtures::{assert_not_found, assert_refused, Refusal};
use crate::{
    access::AccessControl,
    auth::Principal,
    event::{EventKind, NewEvent},
    file::MockFileRepository,
    id::{MessageId, UserId},
    message::{Message, MockMessageRepository},
    pagination::{Limit, Page, PageRequest},
    test_fixtures::{holding, message, principal, thread, where_caller_is},
    thread::{MemberRole, MockThreadRepository, Thread},
    user::Role,
    DomainError,
};

fn thumbs_up() -> Emoji {
    Emoji::parse("👍").unwrap()
}

/// What a caller with `role` (`None`: not a member) in the thread of `stored` finds.
fn access(
    caller: &Principal,
    thread: &Thread,
    stored: &Message,
    role: Option<MemberRole>,
) -> AccessControl {
    AccessControl::new(
        Arc::new(where_caller_is(caller, thread, role)),
        Arc::new(holding(stored)),
        Arc::new(MockFileRepository::new()),
    )
}

fn service(reactions: MockReactionRepository, access: AccessControl) -> ReactionService {
    ReactionService::new(Arc::new(reactions), Arc::new(access))
}

/// A reaction repository whose toggle answers `outcome`.
fn toggling(outcome: Toggled) -> MockReactionRepository {
    let mut reactions = MockReactionRepository::new();
    reactions
        .expect_toggle()
        .times(1)
        .returning(move |_, _, _, _| Ok(outcome));
    reactions
}

/// Whether `event` records `kind` of `emoji` on `message` in `thread`, done by `actor`.
fn records(
    event: &NewEvent,
    kind: EventKind,
    message: &Message,
    actor: &UserId,
    emoji: &str,
) -> bool {
    event.kind == kind
        && event.thread_id == message.thread_id
        && &event.actor_id == actor
        && event.payload["message_id"] == message.id.as_str()
        && event.payload["user_id"] == actor.as_str()
        && event.payload["emoji"] == emoji
}

// ---------------------------------------------------------------------------------------
// toggle

#[tokio::test]
async fn a_viewer_may_react_and_the_toggle_carries_both_events() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut reactions = MockReactionRepository::new();
    let (me, target) = (caller.user.id.clone(), stored.clone());
    reactions
        .expect_toggle()
        .withf(
            move |reaction: &NewReaction, max, added: &NewEvent, removed: &NewEvent| {
                reaction.message_id == target.id
                    && reaction.user_id == me
                    && reaction.emoji == thumbs_up()
                    && *max == MAX_DISTINCT_EMOJI
                    && records(added, EventKind::ReactionAdded, &target, &me, "👍")
                    && records(removed, EventKind::ReactionRemoved, &target, &me, "👍")
            },
        )
        .times(1)
        .returning(|_, _, _, _| Ok(Toggled::Added));

    let added = service(
        reactions,
        access(&caller, &thread, &stored, Some(MemberRole::Viewer)),
    )
    .toggle(&caller, &stored.id, thumbs_up())
    .await
    .unwrap();

    assert!(added);
}

#[tokio::test]
async fn toggling_an_existing_reaction_reports_it_removed() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);

    let added = service(
        toggling(Toggled::Removed),
        access(&caller, &thread, &stored, Some(MemberRole::Editor)),
    )
    .toggle(&caller, &stored.id, thumbs_up())
    .await
    .unwrap();

    assert!(!added);
}

#[tokio::test]
async fn one_emoji_too_many_is_a_validation_error_on_emoji() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);

    let err = service(
        toggling(Toggled::TooManyEmoji),
        access(&caller, &thread, &stored, Some(MemberRole::Viewer)),
    )
    .toggle(&caller, &stored.id, thumbs_up())
    .await
    .unwrap_err();

    assert!(
        matches!(&err, DomainError::Validation(errors) if errors.contains_key("emoji")),
        "{err:?}"
    );
}

#[tokio::test]
async fn reacting_to_an_unknown_message_is_not_found() {
    let mut messages = MockMessageRepository::new();
    messages.expect_find().returning(|_| Ok(None));
    let access = AccessControl::new(
        Arc::new(MockThreadRepository::new()),
        Arc::new(messages),
        Arc::new(MockFileRepository::new()),
    );
    let mut reactions = MockReactionRepository::new();
    reactions.expect_toggle().never();

    assert_not_found(
        service(reactions, access)
            .toggle(&principal(Role::Admin), &MessageId::generate(), thumbs_up())
            .await,
        "message",
    );
}

// ---------------------------------------------------------------------------------------
// remove

#[tokio::test]
async fn a_member_removes_their_reaction_and_records_reaction_removed() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut reactions = MockReactionRepository::new();
    let (me, target) = (caller.user.id.clone(), stored.clone());
    reactions
        .expect_remove()
        .withf(move |message, user, emoji, event: &NewEvent| {
            message == &target.id
                && user == &me
                && emoji == &thumbs_up()
                && records(event, EventKind::ReactionRemoved, &target, &me, "👍")
        })
        .times(1)
        .returning(|_, _, _, _| Ok(true));

    service(
        reactions,
        access(&caller, &thread, &stored, Some(MemberRole::Viewer)),
    )
    .remove(&caller, &stored.id, &thumbs_up())
    .await
    .unwrap();
}

#[tokio::test]
async fn removing_a_reaction_the_caller_never_made_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut reactions = MockReactionRepository::new();
    reactions
        .expect_remove()
        .times(1)
        .returning(|_, _, _, _| Ok(false));

    assert_not_found(
        service(
            reactions,
            access(&caller, &thread, &stored, Some(MemberRole::Viewer)),
        )
        .remove(&caller, &stored.id, &thumbs_up())
        .await,
        "reaction",
    );
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_sees_the_reactions_marked_for_themselves() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut reactions = MockReactionRepository::new();
    let (me, id) = (caller.user.id.clone(), stored.id.clone());
    let reactor = thread.owner_id.clone();
    let asked = PageRequest::first(Limit::parse(Some(5)).unwrap());
    let expected_page = asked.clone();
    reactions
        .expect_list()
        .withf(move |message, viewer, page| {
            message == &id && viewer == &me && page == &expected_page
        })
        .times(1)
        .returning(move |_, _, _| {
            Ok(Page {
                items: vec![ReactionGroup {
                    emoji: thumbs_up(),
                    users: vec![reactor.clone()],
                    me: false,
                }],
                next: None,
            })
        });

    let groups = service(reactions, access(&caller, &thread, &stored, None))
        .list(&caller, &stored.id, &asked)
        .await
        .unwrap();

    assert_eq!(groups.items.len(), 1);
}

// ---------------------------------------------------------------------------------------
// non-members

#[tokio::test]
async fn a_non_member_learns_only_that_the_message_is_not_found() {
    for case in ["toggle", "remove", "list"] {
        let (caller, thread) = (principal(Role::User), thread());
        let stored = message(&thread, &thread.owner_id);
        let mut reactions = MockReactionRepository::new();
        reactions.expect_toggle().never();
        reactions.expect_remove().never();
        reactions.expect_list().never();
        let service = service(reactions, access(&caller, &thread, &stored, None));

        let (id, emoji) = (&stored.id, thumbs_up());
        let result = match case {
            "toggle" => service.toggle(&caller, id, emoji).await.map(drop),
            "remove" => service.remove(&caller, id, &emoji).await,
            _ => service
                .list(&caller, id, &PageRequest::first(Limit::DEFAULT))
                .await
                .map(drop),
        };

        assert_refused(case, result, Refusal::NotFound("message"));
    }
}
