//! The rules of [`SearchService`], checked against `mockall` mocks of its ports.
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was searched on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::{
    MessageHit, MockSearchRepository, SearchKind, SearchRequest, SearchScope, SearchService,
    SearchText, Snippet,
};
use crate::{
    access::AccessControl,
    auth::Principal,
    file::MockFileRepository,
    id::{MessageId, ThreadId, UserId},
    message::{MessageRole, MockMessageRepository},
    pagination::{Cursor, Limit, Page, PageRequest},
    test_fixtures::{assert_refused, principal, thread, where_caller_is, Refusal},
    thread::{MemberRole, MockThreadRepository, Thread},
    time,
    user::Role,
    DomainError, DomainResult,
};

fn hit() -> MessageHit {
    MessageHit {
        message_id: MessageId::generate(),
        thread_id: ThreadId::generate(),
        author_id: UserId::generate(),
        role: MessageRole::User,
        snippet: Snippet::from_marked("the \u{E000}deploy\u{E001} plan"),
        created_at: time::now(),
    }
}

fn hits(n: usize) -> Vec<MessageHit> {
    (0..n).map(|_| hit()).collect()
}

fn text() -> SearchText {
    SearchText::parse("deploy plan").unwrap()
}

fn limit(n: i64) -> Limit {
    Limit::parse(Some(n)).unwrap()
}

/// The first page, of ten hits.
fn first_page_of_ten() -> PageRequest {
    PageRequest::first(limit(10))
}

/// The page of ten hits after the position `key`.
fn page_of_ten_after(key: &str) -> PageRequest {
    PageRequest {
        limit: limit(10),
        after: Some(Cursor::after(key)),
    }
}

/// Access control that never gets asked (searches without a thread).
fn no_access() -> AccessControl {
    AccessControl::new(
        Arc::new(MockThreadRepository::new()),
        Arc::new(MockMessageRepository::new()),
        Arc::new(MockFileRepository::new()),
    )
}

/// Access control in which `caller` has `role` in `thread` (`None`: not a member).
fn access(caller: &Principal, thread: &Thread, role: Option<MemberRole>) -> AccessControl {
    AccessControl::new(
        Arc::new(where_caller_is(caller, thread, role)),
        Arc::new(MockMessageRepository::new()),
        Arc::new(MockFileRepository::new()),
    )
}

fn service(search: MockSearchRepository, access: AccessControl) -> SearchService {
    SearchService::new(Arc::new(search), Arc::new(access))
}

/// What a test searches for: `text()` of `kind`, within `thread` if any, on `page`.
struct Query {
    thread: Option<ThreadId>,
    kind: SearchKind,
    page: PageRequest,
}

impl Default for Query {
    /// Everything, anywhere, on the first page of ten.
    fn default() -> Self {
        Query {
            thread: None,
            kind: SearchKind::All,
            page: first_page_of_ten(),
        }
    }
}

impl Query {
    /// Within `thread`, everything, on the first page of ten.
    fn within(thread: &Thread) -> Self {
        Query {
            thread: Some(thread.id.clone()),
            ..Query::default()
        }
    }

    /// Searches as `caller` through a service built from `search` and `access`.
    async fn by(
        self,
        caller: &Principal,
        search: MockSearchRepository,
        access: AccessControl,
    ) -> DomainResult<Page<MessageHit>> {
        service(search, access)
            .search(caller, text(), self.thread, self.kind, &self.page)
            .await
    }
}

/// A search repository that must not be asked.
fn never_searched() -> MockSearchRepository {
    let mut search = MockSearchRepository::new();
    search.expect_search_messages().never();
    search
}

/// A search repository that expects one request matching `check` and answers `n` hits.
fn answering(
    n: usize,
    check: impl Fn(&SearchRequest) -> bool + Send + 'static,
) -> MockSearchRepository {
    let mut search = MockSearchRepository::new();
    search
        .expect_search_messages()
        .withf(move |request| check(request))
        .times(1)
        .returning(move |_| Ok(hits(n)));
    search
}

// ---------------------------------------------------------------------------------------
// scope

#[tokio::test]
async fn a_user_searches_only_the_threads_they_are_a_member_of() {
    let caller = principal(Role::User);
    let me = caller.user.id.clone();
    let search = answering(2, move |request| {
        request.scope == SearchScope::MemberOf(me.clone())
            && request.text == text()
            && request.thread_id.is_none()
            && request.limit == limit(10)
            && request.offset == 0
    });

    let page = Query::default()
        .by(&caller, search, no_access())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn an_admin_searches_everything() {
    let search = answering(1, |request| request.scope == SearchScope::Everything);
    let messages = Query {
        kind: SearchKind::Message,
        ..Query::default()
    };

    let page = messages
        .by(&principal(Role::Admin), search, no_access())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn artifacts_are_not_searchable_yet_so_none_are_found() {
    let artifacts = Query {
        kind: SearchKind::Artifact,
        ..Query::default()
    };

    let page = artifacts
        .by(&principal(Role::User), never_searched(), no_access())
        .await
        .unwrap();

    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
}

// ---------------------------------------------------------------------------------------
// within a thread

#[tokio::test]
async fn searching_a_thread_the_caller_cannot_read_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());

    let err = Query::within(&thread)
        .by(&caller, never_searched(), access(&caller, &thread, None))
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound("thread")), "{err:?}");
}

#[tokio::test]
async fn a_member_searches_within_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let (id, me) = (thread.id.clone(), caller.user.id.clone());
    let search = answering(1, move |request| {
        request.thread_id.as_ref() == Some(&id)
            && request.scope == SearchScope::MemberOf(me.clone())
    });

    let page = Query::within(&thread)
        .by(
            &caller,
            search,
            access(&caller, &thread, Some(MemberRole::Viewer)),
        )
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_searches_within_a_thread() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let id = thread.id.clone();
    let search = answering(0, move |request| {
        request.thread_id.as_ref() == Some(&id) && request.scope == SearchScope::Everything
    });

    Query::within(&thread)
        .by(&caller, search, access(&caller, &thread, None))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// paging

/// Page 5 of 10: the ten hits after the first forty.
fn fifth_page() -> Query {
    Query {
        page: page_of_ten_after("40"),
        ..Query::default()
    }
}

#[tokio::test]
async fn a_full_page_continues_after_the_hits_shown_so_far() {
    // The repository skips 40 and answers limit + 1 hits.
    let search = answering(11, |request| {
        request.offset == 40 && request.limit == limit(10)
    });

    let page = fifth_page()
        .by(&principal(Role::User), search, no_access())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 10);
    assert_eq!(page.next.as_ref().map(Cursor::key), Some("50"));
}

#[tokio::test]
async fn the_last_page_has_no_next_cursor() {
    let search = answering(10, |request| request.offset == 40);

    let page = fifth_page()
        .by(&principal(Role::User), search, no_access())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 10);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn a_cursor_that_is_not_a_position_or_is_negative_is_refused() {
    let message_id = MessageId::generate();
    for (case, key) in [
        ("not a position", message_id.as_str()),
        ("a negative position", "-10"),
    ] {
        let query = Query {
            page: page_of_ten_after(key),
            ..Query::default()
        };

        let result = query
            .by(&principal(Role::User), never_searched(), no_access())
            .await;

        assert_refused(case, result, Refusal::Invalid("cursor"));
    }
}
