//! Reading messages, their list and their revisions: members and ADMINs read.

use super::*;
use crate::test_fixtures::{assert_refused, Refusal};

fn after(key: &str) -> PageRequest {
    PageRequest {
        limit: Limit::DEFAULT,
        after: Some(Cursor::after(key)),
    }
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

#[tokio::test]
async fn refused_reads_read_nothing() {
    use Attempt::{Get, List, Revisions};
    use Refusal::{Invalid, NotFound};
    let viewer = Some(MemberRole::Viewer);
    let not_a_message = || after(UserId::generate().as_str());
    let cases = [
        (
            "a non-member reading a message",
            None,
            Get,
            NotFound("message"),
        ),
        (
            "a non-member reading revisions",
            None,
            Revisions(first_page()),
            NotFound("message"),
        ),
        (
            "a non-member listing",
            None,
            List(first_page()),
            NotFound("thread"),
        ),
        (
            "a list cursor that is no message id",
            viewer,
            List(not_a_message()),
            Invalid("cursor"),
        ),
        (
            "a revisions cursor that is no number",
            viewer,
            Revisions(after("first")),
            Invalid("cursor"),
        ),
    ];
    for (case, role, action, refusal) in cases {
        let (caller, thread) = (principal(Role::User), thread());
        let stored = message(&thread, &thread.owner_id);
        let threads = where_caller_is(&caller, &thread, role);

        let found = matches!(action, Get | Revisions(_)).then_some(&stored);

        let service = service(threads, read_only(found));
        let result = attempt(&service, &caller, &stored, action).await;

        assert_refused(case, result, refusal);
    }
}
