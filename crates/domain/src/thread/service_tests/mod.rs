//! The rules of [`ThreadService`], checked against `mockall` mocks of its ports: which
//! action each operation asks [`AccessControl`] for, and one refusal per rule (the access
//! matrix itself is tested once, in `access_tests.rs`).
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was written on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{
    CreateThread, Invitee, Member, MemberRole, MockThreadRepository, NewThread, Thread,
    ThreadChanges, ThreadFilter, ThreadRepository, ThreadService, ThreadStatus, ThreadTitle,
    ThreadView,
};
use crate::{
    access::AccessControl,
    auth::Principal,
    event::{EventKind, NewEvent},
    file::MockFileRepository,
    id::UserId,
    message::MockMessageRepository,
    pagination::{Cursor, Limit, Page, PageRequest},
    precondition::Precondition,
    test_fixtures::{first_page, if_match, principal, stale, thread, user, where_caller_is},
    time,
    user::{Email, MockUserRepository, Role, UserCredentials, UserName},
    DomainResult,
};

fn service(threads: MockThreadRepository) -> ThreadService {
    service_with(threads, MockUserRepository::new())
}

fn service_with(threads: MockThreadRepository, users: MockUserRepository) -> ThreadService {
    let threads: Arc<dyn ThreadRepository> = Arc::new(threads);
    // Threads never need to look up a message.
    let access = AccessControl::new(
        threads.clone(),
        Arc::new(MockMessageRepository::new()),
        Arc::new(MockFileRepository::new()),
    );
    ThreadService::new(threads, Arc::new(users), Arc::new(access))
}

mod members;
mod threads;
