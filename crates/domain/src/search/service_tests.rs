//! The rules of [`SearchService`], checked against `mockall` mocks of its ports.
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was searched on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{
    MessageHit, MockSearchRepository, SearchKind, SearchRequest, SearchScope, SearchService,
    SearchText, Snippet,
};
use crate::{
    access::AccessControl,
    auth::{Claims, Principal},
    id::{MessageId, ThreadId, UserId},
    json_object::{Memory, Metadata},
    message::{MessageRole, MockMessageRepository},
    pagination::{Cursor, Limit, PageRequest},
    thread::{
        MemberRole, MockThreadRepository, Thread, ThreadDescription, ThreadStatus, ThreadTitle,
    },
    time,
    user::{Email, Preferences, Role, User, UserName, UserStatus},
    DomainError,
};

/// A caller holding a token that grants `role`.
fn principal(role: Role) -> Principal {
    let now = time::now();
    let user = User {
        id: UserId::generate(),
        email: Email::parse("ada@example.com").unwrap(),
        name: UserName::parse("Ada").unwrap(),
        avatar_url: None,
        role,
        status: UserStatus::Active,
        preferences: Preferences::default(),
        created_at: now - ChronoDuration::days(1),
        updated_at: now - ChronoDuration::days(1),
    };
    let claims = Claims {
        subject: user.id.to_string(),
        email: user.email.to_string(),
        name: user.name.as_str().to_owned(),
        role,
        issued_at: now.timestamp(),
        expires_at: now.timestamp() + 900,
        session_id: None,
    };
    Principal {
        user,
        role,
        session_id: None,
        claims,
    }
}

fn thread() -> Thread {
    let now = time::now();
    Thread {
        id: ThreadId::generate(),
        title: ThreadTitle::parse("Plans").unwrap(),
        description: ThreadDescription::default(),
        status: ThreadStatus::Active,
        pinned: false,
        metadata: Metadata::default(),
        memory: Memory::default(),
        owner_id: UserId::generate(),
        message_count: 1,
        last_message_at: Some(now),
        created_at: now - ChronoDuration::days(1),
        updated_at: now,
    }
}

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

fn first_page() -> PageRequest {
    PageRequest::first(limit(10))
}

fn after(key: &str) -> PageRequest {
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
    )
}

/// Access control in which `caller` has `role` in `thread` (`None`: not a member).
fn access(caller: &Principal, thread: &Thread, role: Option<MemberRole>) -> AccessControl {
    let mut threads = MockThreadRepository::new();
    let (id, me, thread) = (thread.id.clone(), caller.user.id.clone(), thread.clone());
    threads
        .expect_find_with_role()
        .withf(move |asked, user| asked == &id && user == &me)
        .returning(move |_, _| Ok(Some((thread.clone(), role))));
    AccessControl::new(Arc::new(threads), Arc::new(MockMessageRepository::new()))
}

fn service(search: MockSearchRepository, access: AccessControl) -> SearchService {
    SearchService::new(Arc::new(search), Arc::new(access))
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

fn is_invalid(err: &DomainError, field: &str) -> bool {
    matches!(err, DomainError::Validation(errors) if errors.contains_key(field))
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

    let page = service(search, no_access())
        .search(&caller, text(), None, SearchKind::All, &first_page())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn an_admin_searches_everything() {
    let search = answering(1, |request| request.scope == SearchScope::Everything);

    let page = service(search, no_access())
        .search(
            &principal(Role::Admin),
            text(),
            None,
            SearchKind::Message,
            &first_page(),
        )
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn artifacts_are_not_searchable_yet_so_none_are_found() {
    let mut search = MockSearchRepository::new();
    search.expect_search_messages().never();

    let page = service(search, no_access())
        .search(
            &principal(Role::User),
            text(),
            None,
            SearchKind::Artifact,
            &first_page(),
        )
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
    let mut search = MockSearchRepository::new();
    search.expect_search_messages().never();

    let err = service(search, access(&caller, &thread, None))
        .search(
            &caller,
            text(),
            Some(thread.id.clone()),
            SearchKind::All,
            &first_page(),
        )
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

    let page = service(search, access(&caller, &thread, Some(MemberRole::Viewer)))
        .search(
            &caller,
            text(),
            Some(thread.id.clone()),
            SearchKind::All,
            &first_page(),
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

    service(search, access(&caller, &thread, None))
        .search(
            &caller,
            text(),
            Some(thread.id.clone()),
            SearchKind::All,
            &first_page(),
        )
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// paging

#[tokio::test]
async fn a_full_page_continues_after_the_hits_shown_so_far() {
    // Page 5 of 10: the repository skips 40 and answers limit + 1 hits.
    let search = answering(11, |request| {
        request.offset == 40 && request.limit == limit(10)
    });

    let page = service(search, no_access())
        .search(
            &principal(Role::User),
            text(),
            None,
            SearchKind::All,
            &after("40"),
        )
        .await
        .unwrap();

    assert_eq!(page.items.len(), 10);
    assert_eq!(page.next.as_ref().map(Cursor::key), Some("50"));
}

#[tokio::test]
async fn the_last_page_has_no_next_cursor() {
    let search = answering(10, |request| request.offset == 40);

    let page = service(search, no_access())
        .search(
            &principal(Role::User),
            text(),
            None,
            SearchKind::All,
            &after("40"),
        )
        .await
        .unwrap();

    assert_eq!(page.items.len(), 10);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn a_cursor_that_is_not_a_position_is_refused() {
    let mut search = MockSearchRepository::new();
    search.expect_search_messages().never();

    let err = service(search, no_access())
        .search(
            &principal(Role::User),
            text(),
            None,
            SearchKind::All,
            &after(MessageId::generate().as_str()),
        )
        .await
        .unwrap_err();

    assert!(is_invalid(&err, "cursor"), "{err:?}");
}

#[tokio::test]
async fn a_negative_position_is_refused() {
    let mut search = MockSearchRepository::new();
    search.expect_search_messages().never();

    let err = service(search, no_access())
        .search(
            &principal(Role::User),
            text(),
            None,
            SearchKind::All,
            &after("-10"),
        )
        .await
        .unwrap_err();

    assert!(is_invalid(&err, "cursor"), "{err:?}");
}
