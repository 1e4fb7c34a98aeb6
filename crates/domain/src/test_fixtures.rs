//! Fixtures shared by the services' unit tests: callers, threads and messages to act on,
//! the `mockall` repositories that hold them and checks on the errors that come back.
//!
//! Test-only; a fixture used by one test file stays in that file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::Duration as ChronoDuration;

use crate::{
    api_key::{KeyGrant, Scope, Scopes},
    auth::{Claims, ClientInfo, Principal},
    id::{ApiKeyId, MessageId, SessionId, ThreadId, UserId},
    json_object::{Memory, Metadata},
    message::{
        Blocks, CreateMessage, Message, MessageContent, MessageDraft, MessageRole, MessageStatus,
        MockMessageRepository,
    },
    pagination::{Limit, PageRequest},
    precondition::{EntityTag, Precondition},
    thread::{
        MemberRole, MockThreadRepository, Thread, ThreadDescription, ThreadStatus, ThreadTitle,
    },
    time,
    user::{Email, Preferences, Role, User, UserName, UserStatus},
    DomainError, DomainResult,
};

// ---------------------------------------------------------------------------------------
// callers

/// A stored, active user of `role` at the allowed domain, last changed a minute ago.
pub(crate) fn user(role: Role) -> User {
    let now = time::now();
    User {
        id: UserId::generate(),
        email: Email::parse("ada@example.com").unwrap(),
        name: UserName::parse("Ada").unwrap(),
        avatar_url: None,
        role,
        status: UserStatus::Active,
        preferences: Preferences::default(),
        created_at: now - ChronoDuration::days(1),
        updated_at: now - ChronoDuration::minutes(1),
    }
}

/// The claims of an access token we issued for `user` under `session_id`.
pub(crate) fn claims(user: &User, session_id: Option<&SessionId>) -> Claims {
    let now = time::now().timestamp();
    Claims {
        subject: user.id.to_string(),
        email: user.email.to_string(),
        name: user.name.as_str().to_owned(),
        role: user.role,
        issued_at: now,
        expires_at: now + 900,
        session_id: session_id.map(ToString::to_string),
    }
}

/// A caller holding a token that grants `role`.
pub(crate) fn principal(role: Role) -> Principal {
    let user = user(role);
    Principal {
        claims: claims(&user, None),
        user,
        role,
        session_id: None,
        api_key: None,
        client: ClientInfo {
            user_agent: Some("test-agent/1.0".to_owned()),
            ip: Some("192.0.2.1".to_owned()),
        },
    }
}

/// A caller with `role` sending an API key that holds `list`.
pub(crate) fn key_caller(role: Role, list: &[Scope]) -> Principal {
    let mut caller = principal(role);
    caller.api_key = Some(KeyGrant {
        id: ApiKeyId::generate(),
        scopes: Scopes::new(list.iter().copied()).unwrap(),
    });
    caller
}

// ---------------------------------------------------------------------------------------
// threads and messages

/// An active thread of someone else's, with one message, last changed a minute ago.
pub(crate) fn thread() -> Thread {
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
        last_message_at: Some(now - ChronoDuration::minutes(1)),
        created_at: now - ChronoDuration::days(1),
        updated_at: now - ChronoDuration::minutes(1),
    }
}

/// A new text message with `role` saying hi, as a caller would post it.
pub(crate) fn new_message(role: MessageRole) -> CreateMessage {
    CreateMessage::parse(MessageDraft {
        role: Some(role),
        content: Some("hi".to_owned()),
        ..MessageDraft::default()
    })
    .unwrap()
}

/// A text message by `author` in `thread`, last changed a minute ago, without blocks.
pub(crate) fn message(thread: &Thread, author: &UserId) -> Message {
    let written = time::now() - ChronoDuration::minutes(1);
    Message {
        id: MessageId::generate(),
        thread_id: thread.id.clone(),
        author_id: author.clone(),
        role: MessageRole::User,
        content: Some(MessageContent::parse("hello").unwrap()),
        blocks: Blocks::default(),
        metadata: Metadata::default(),
        parent_id: None,
        status: MessageStatus::Complete,
        attachments: Vec::new(),
        reaction_counts: BTreeMap::new(),
        edited_at: None,
        created_at: written,
        updated_at: written,
    }
}

// ---------------------------------------------------------------------------------------
// repositories

/// A thread repository holding `thread`, in which `caller` has `role` (`None`: not a
/// member).
pub(crate) fn where_caller_is(
    caller: &Principal,
    thread: &Thread,
    role: Option<MemberRole>,
) -> MockThreadRepository {
    let mut threads = MockThreadRepository::new();
    let (id, me, thread) = (thread.id.clone(), caller.user.id.clone(), thread.clone());
    threads
        .expect_find_with_role()
        .withf(move |asked, user| asked == &id && user == &me)
        .returning(move |_, _| Ok(Some((thread.clone(), role))));
    threads
}

/// A message repository in which `stored` can be found.
pub(crate) fn holding(stored: &Message) -> MockMessageRepository {
    let mut messages = MockMessageRepository::new();
    let stored = stored.clone();
    messages
        .expect_find()
        .withf({
            let id = stored.id.clone();
            move |asked| asked == &id
        })
        .returning(move |_| Ok(Some(stored.clone())));
    messages
}

// ---------------------------------------------------------------------------------------
// requests

/// An `If-Match` naming `etag`: the version the test read is still the current one.
pub(crate) fn if_match(etag: EntityTag) -> Precondition {
    Precondition::IfMatch(vec![etag.as_str().to_owned()])
}

/// An `If-Match` that matches no version.
pub(crate) fn stale() -> Precondition {
    Precondition::IfMatch(vec!["stale".into()])
}

/// The first page, of the default size.
pub(crate) fn first_page() -> PageRequest {
    PageRequest::first(Limit::DEFAULT)
}

// ---------------------------------------------------------------------------------------
// errors

/// Whether `err` says that the `what` asked for was not found.
pub(crate) fn is_not_found(err: &DomainError, what: &str) -> bool {
    matches!(err, DomainError::NotFound(found) if *found == what)
}

/// Whether `err` refuses the input with an error on `field`.
pub(crate) fn is_invalid(err: &DomainError, field: &str) -> bool {
    matches!(err, DomainError::Validation(errors) if errors.contains_key(field))
}

/// Asserts that `result` is refused with 403.
#[track_caller]
pub(crate) fn assert_forbidden<T: std::fmt::Debug>(result: DomainResult<T>) {
    assert!(
        matches!(result, Err(DomainError::Forbidden(_))),
        "{result:?}"
    );
}

/// Asserts that `result` says the `what` asked for was not found.
#[track_caller]
pub(crate) fn assert_not_found<T: std::fmt::Debug>(result: DomainResult<T>, what: &str) {
    assert!(
        matches!(&result, Err(err) if is_not_found(err, what)),
        "{result:?}"
    );
}

/// Asserts that `result` refuses the input with an error on `field`.
#[track_caller]
pub(crate) fn assert_invalid<T: std::fmt::Debug>(result: DomainResult<T>, field: &str) {
    assert!(
        matches!(&result, Err(err) if is_invalid(err, field)),
        "{result:?}"
    );
}

/// How an operation is expected to be refused, for tables of refusals.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    Unauthorized,
    Forbidden,
    /// The `what` asked for was not found (or may not be seen).
    NotFound(&'static str),
    /// The input is refused with an error on this field.
    Invalid(&'static str),
    Conflict,
    PreconditionFailed,
}

/// Asserts that `result` is refused as `expected`, naming `case` when it is not.
#[track_caller]
pub(crate) fn assert_refused<T: std::fmt::Debug>(
    case: &str,
    result: DomainResult<T>,
    expected: Refusal,
) {
    let refused = match (&result, expected) {
        (Err(DomainError::Unauthorized(_)), Refusal::Unauthorized)
        | (Err(DomainError::Forbidden(_)), Refusal::Forbidden)
        | (Err(DomainError::Conflict(_)), Refusal::Conflict)
        | (Err(DomainError::PreconditionFailed), Refusal::PreconditionFailed) => true,
        (Err(err), Refusal::NotFound(what)) => is_not_found(err, what),
        (Err(err), Refusal::Invalid(field)) => is_invalid(err, field),
        _ => false,
    };
    assert!(refused, "{case}: expected {expected:?}, got {result:?}");
}

/// Asserts that `result` failed its `If-Match`.
#[track_caller]
pub(crate) fn assert_precondition_failed<T: std::fmt::Debug>(result: DomainResult<T>) {
    assert!(
        matches!(result, Err(DomainError::PreconditionFailed)),
        "{result:?}"
    );
}
