//! Reading messages, their list and their revisions: members and ADMINs read.

use super::*;
use crate::test_fixtures::{assert_invalid, assert_not_found};

fn after(key: &str) -> PageRequest {
    PageRequest {
        limit: Limit::DEFAULT,
        after: Some(Cursor::after(key)),
    }
}

#[tokio::test]
async fn a_non_member_cannot_see_a_message_and_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);

    assert_not_found(
        service(where_caller_is(&caller, &thread, None), holding(&stored))
            .get(&caller, &stored.id)
            .await,
        "message",
    );
}

#[tokio::test]
async fn a_non_member_cannot_see_the_revisions_of_a_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    messages.expect_revisions().never();

    assert_not_found(
        service(where_caller_is(&caller, &thread, None), messages)
            .revisions(&caller, &stored.id, &first_page())
            .await,
        "message",
    );
}

#[tokio::test]
async fn a_non_member_cannot_list_the_messages_of_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_list().never();

    assert_not_found(
        service(where_caller_is(&caller, &thread, None), messages)
            .list(
                &caller,
                &thread.id,
                &MessageFilter::default(),
                &first_page(),
            )
            .await,
        "thread",
    );
}

#[tokio::test]
async fn a_viewer_sees_a_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);

    let found = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        holding(&stored),
    )
    .get(&caller, &stored.id)
    .await
    .unwrap();

    assert_eq!(found, stored);
}

#[tokio::test]
async fn a_message_cursor_that_is_not_a_message_id_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_list().never();

    assert_invalid(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
            messages,
        )
        .list(
            &caller,
            &thread.id,
            &MessageFilter::default(),
            &after(UserId::generate().as_str()),
        )
        .await,
        "cursor",
    );
}

#[tokio::test]
async fn a_message_cursor_holding_a_message_id_is_passed_on() {
    let (caller, thread) = (principal(Role::User), thread());
    let last_seen = MessageId::generate();
    let page = after(last_seen.as_str());
    let mut messages = MockMessageRepository::new();
    let expected = page.clone();
    messages
        .expect_list()
        .withf(move |_, _, asked| asked == &expected)
        .times(1)
        .returning(|_, _, _| {
            Ok(Page {
                items: Vec::new(),
                next: None,
            })
        });

    service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .list(&caller, &thread.id, &MessageFilter::default(), &page)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_revisions_cursor_that_is_not_a_revision_number_is_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    messages.expect_revisions().never();

    assert_invalid(
        service(
            where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
            messages,
        )
        .revisions(&caller, &stored.id, &after("first"))
        .await,
        "cursor",
    );
}

#[tokio::test]
async fn a_member_reads_the_revisions_of_a_message() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = message(&thread, &thread.owner_id);
    let mut messages = holding(&stored);
    let (id, replaced_by) = (stored.id.clone(), thread.owner_id.clone());
    messages
        .expect_revisions()
        .withf(move |asked, page| asked == &id && page.after == Some(Cursor::after("1")))
        .times(1)
        .returning(move |_, _| {
            let now = time::now();
            Ok(Page {
                items: vec![Revision {
                    number: 2,
                    content: None,
                    blocks: Blocks::default(),
                    created_at: now,
                    replaced_by: replaced_by.clone(),
                    replaced_at: now,
                }],
                next: None,
            })
        });

    let page = service(
        where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        messages,
    )
    .revisions(&caller, &stored.id, &after("1"))
    .await
    .unwrap();

    assert_eq!(page.items.len(), 1);
}
