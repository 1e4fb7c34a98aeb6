//! The access matrix of [`AccessControl`], once: every standing a caller can have in a
//! thread (owner, editor, viewer or not a member, each with and without the ADMIN role)
//! against every [`ThreadAction`], and every standing towards a file against every
//! [`FileAction`], each cell with its exact outcome. The tables below are the rules as
//! documented on the two enums; the services' own tests keep one "refused, nothing
//! written" test per rule they apply.
//!
//! The repositories are `mockall` mocks that answer only the reads the check needs; a
//! write would panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{AccessControl, FileAction, ThreadAction};
use crate::{
    auth::Principal,
    file::{File, FileName, FileSource, MediaType, MockFileRepository, PreviewState, Sha256Digest},
    id::{FileId, MessageId, ThreadId, UserId},
    json_object::Metadata,
    message::MockMessageRepository,
    test_fixtures::{holding, message, principal, thread, where_caller_is},
    thread::{MemberRole, MockThreadRepository},
    time,
    user::Role,
    DomainError, DomainResult,
};

/// What a check comes to, as a client sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Allowed.
    Ok,
    /// 403: the caller may see the thing but not do this.
    Forbidden,
    /// 404: the caller learns nothing of the thing, exactly as if it did not exist.
    NotFound,
}

use Outcome::{Forbidden as F, NotFound as N, Ok as O};

/// The outcome of `result`; a "not found" must name `what`, and any other error fails
/// the test.
fn outcome<T>(result: &DomainResult<T>, what: &str) -> Outcome {
    match result {
        Ok(_) => Outcome::Ok,
        Err(DomainError::Forbidden(_)) => Outcome::Forbidden,
        Err(DomainError::NotFound(found)) if *found == what => Outcome::NotFound,
        Err(other) => panic!("expected Ok, Forbidden or NotFound({what}), got {other:?}"),
    }
}

fn caller(admin: bool) -> Principal {
    principal(if admin { Role::Admin } else { Role::User })
}

fn access(
    threads: MockThreadRepository,
    messages: MockMessageRepository,
    files: MockFileRepository,
) -> AccessControl {
    AccessControl::new(Arc::new(threads), Arc::new(messages), Arc::new(files))
}

// ---------------------------------------------------------------------------------------
// threads

/// The actions in the order of the columns of [`THREAD_MATRIX`].
const ACTIONS: [ThreadAction; 7] = [
    ThreadAction::Read,
    ThreadAction::React,
    ThreadAction::Write,
    ThreadAction::PostAsAgent,
    ThreadAction::ManageMembers,
    ThreadAction::Moderate,
    ThreadAction::Share,
];

/// (role in the thread, ADMIN?) → outcome of
/// Read, React, Write, PostAsAgent, ManageMembers, Moderate, Share.
const THREAD_MATRIX: [(Option<MemberRole>, bool, [Outcome; 7]); 8] = [
    // (role, ADMIN?, [Read, React, Write, PostAsAgent, ManageMembers, Moderate, Share])
    (None, false, [N, N, N, N, N, N, N]),
    (None, true, [O, F, F, O, F, O, O]),
    (Some(MemberRole::Viewer), false, [O, O, F, F, F, F, F]),
    (Some(MemberRole::Viewer), true, [O, O, F, O, F, O, O]),
    (Some(MemberRole::Editor), false, [O, O, O, F, F, F, F]),
    (Some(MemberRole::Editor), true, [O, O, O, O, F, O, O]),
    (Some(MemberRole::Owner), false, [O, O, O, F, O, O, O]),
    (Some(MemberRole::Owner), true, [O, O, O, O, O, O, O]),
];

#[tokio::test]
async fn every_standing_in_a_thread_gets_exactly_its_outcome_for_every_action() {
    let mut wrong = Vec::new();
    for (role, admin, expected) in THREAD_MATRIX {
        for (action, expected) in ACTIONS.into_iter().zip(expected) {
            let (caller, thread) = (caller(admin), thread());
            let got = access(
                where_caller_is(&caller, &thread, role),
                MockMessageRepository::new(),
                MockFileRepository::new(),
            )
            .thread(&caller, &thread.id, action)
            .await;

            if let Ok(granted) = &got {
                assert_eq!(granted.thread, thread);
                assert_eq!(granted.role, role);
                assert_eq!(granted.is_admin, admin);
                assert!(granted.allows(action));
            }
            let got = outcome(&got, "thread");
            if got != expected {
                wrong.push(format!(
                    "{role:?}, admin {admin}, {action:?}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_message_is_checked_against_its_thread_and_unreadable_ones_are_not_found() {
    let mut wrong = Vec::new();
    for (role, admin, expected) in THREAD_MATRIX {
        for (action, expected) in ACTIONS.into_iter().zip(expected) {
            let (caller, thread) = (caller(admin), thread());
            let stored = message(&thread, &UserId::generate());
            let got = access(
                where_caller_is(&caller, &thread, role),
                holding(&stored),
                MockFileRepository::new(),
            )
            .message(&caller, &stored.id, action)
            .await;

            if let Ok((found, granted)) = &got {
                assert_eq!(found, &stored);
                assert_eq!(granted.thread, thread);
                assert_eq!(granted.role, role);
            }
            let got = outcome(&got, "message");
            if got != expected {
                wrong.push(format!(
                    "{role:?}, admin {admin}, {action:?}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_missing_thread_or_message_is_not_found_even_for_an_admin() {
    for action in ACTIONS {
        let caller = caller(true);
        let mut threads = MockThreadRepository::new();
        threads.expect_find_with_role().returning(|_, _| Ok(None));
        let mut messages = MockMessageRepository::new();
        messages.expect_find().returning(|_| Ok(None));
        let access = access(threads, messages, MockFileRepository::new());

        let got = access.thread(&caller, &ThreadId::generate(), action).await;
        assert_eq!(outcome(&got, "thread"), N, "{action:?}");
        let got = access
            .message(&caller, &MessageId::generate(), action)
            .await;
        assert_eq!(outcome(&got, "message"), N, "{action:?}");
    }
}

#[tokio::test]
async fn the_admin_role_counts_from_the_token_not_from_the_stored_user() {
    // A user made ADMIN since their token was issued is not an ADMIN until the next one.
    let mut caller = caller(false);
    caller.user.role = Role::Admin;
    let thread = thread();

    let got = access(
        where_caller_is(&caller, &thread, None),
        MockMessageRepository::new(),
        MockFileRepository::new(),
    )
    .thread(&caller, &thread.id, ThreadAction::Read)
    .await;

    assert_eq!(outcome(&got, "thread"), N);
}

// ---------------------------------------------------------------------------------------
// files

/// How a caller stands towards a file.
#[derive(Clone, Copy, Debug)]
enum Standing {
    Owner,
    /// A member of the thread the file was uploaded into.
    MemberOfItsThread,
    /// A member of a thread where a message attaches the file.
    MemberWhereAttached,
    /// Neither owner nor member of any thread the file is in.
    Stranger,
}

/// The actions in the order of the columns of [`FILE_MATRIX`].
const FILE_ACTIONS: [FileAction; 3] = [FileAction::Read, FileAction::Change, FileAction::Delete];

/// (standing, ADMIN?) → outcome of Read, Change, Delete.
const FILE_MATRIX: [(Standing, bool, [Outcome; 3]); 8] = [
    // (standing, ADMIN?, [Read, Change, Delete])
    (Standing::Owner, false, [O, O, O]),
    (Standing::Owner, true, [O, O, O]),
    (Standing::MemberOfItsThread, false, [O, F, F]),
    (Standing::MemberOfItsThread, true, [O, F, O]),
    (Standing::MemberWhereAttached, false, [O, F, F]),
    (Standing::MemberWhereAttached, true, [O, F, O]),
    (Standing::Stranger, false, [N, N, N]),
    (Standing::Stranger, true, [O, F, O]),
];

/// A stored PNG of `owner`'s, uploaded into `thread` when given.
fn png(owner: &UserId, thread: Option<&ThreadId>) -> File {
    let now = time::now();
    File {
        id: FileId::generate(),
        owner_id: owner.clone(),
        thread_id: thread.cloned(),
        filename: FileName::parse("cat.png").unwrap(),
        declared_type: MediaType::parse("image/png").unwrap(),
        detected_type: Some(MediaType::parse("image/png").unwrap()),
        size_bytes: 64,
        source: FileSource::Stored(Sha256Digest::parse(&"a".repeat(64)).unwrap()),
        preview: PreviewState::Pending,
        metadata: Metadata::default(),
        created_at: now - ChronoDuration::days(1),
        updated_at: now - ChronoDuration::minutes(1),
    }
}

/// The file `caller` stands towards as `standing`, and a repository holding it that says
/// whether `caller` may read it through a thread (the repository's query decides both
/// kinds of membership; its own tests hold it to that).
fn file_for(caller: &Principal, standing: Standing) -> (File, MockFileRepository) {
    let thread = ThreadId::generate();
    let (file, through_threads) = match standing {
        Standing::Owner => (png(&caller.user.id, None), false),
        Standing::MemberOfItsThread => (png(&UserId::generate(), Some(&thread)), true),
        Standing::MemberWhereAttached => (png(&UserId::generate(), None), true),
        Standing::Stranger => (png(&UserId::generate(), Some(&thread)), false),
    };
    let mut files = MockFileRepository::new();
    let (id, me, stored) = (file.id.clone(), caller.user.id.clone(), file.clone());
    files
        .expect_find()
        .withf({
            let id = id.clone();
            move |asked| asked == &id
        })
        .returning(move |_| Ok(Some(stored.clone())));
    files
        .expect_readable_through_threads()
        .withf(move |asked, user| asked == &id && user == &me)
        .returning(move |_, _| Ok(through_threads));
    (file, files)
}

#[tokio::test]
async fn every_standing_towards_a_file_gets_exactly_its_outcome_for_every_action() {
    let mut wrong = Vec::new();
    for (standing, admin, expected) in FILE_MATRIX {
        for (action, expected) in FILE_ACTIONS.into_iter().zip(expected) {
            let caller = caller(admin);
            let (file, files) = file_for(&caller, standing);
            let got = access(
                MockThreadRepository::new(),
                MockMessageRepository::new(),
                files,
            )
            .file(&caller, &file.id, action)
            .await;

            if let Ok(found) = &got {
                assert_eq!(found, &file);
            }
            let got = outcome(&got, "file");
            if got != expected {
                wrong.push(format!(
                    "{standing:?}, admin {admin}, {action:?}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_missing_file_is_not_found_even_for_an_admin() {
    for action in FILE_ACTIONS {
        let mut files = MockFileRepository::new();
        files.expect_find().returning(|_| Ok(None));

        let got = access(
            MockThreadRepository::new(),
            MockMessageRepository::new(),
            files,
        )
        .file(&caller(true), &FileId::generate(), action)
        .await;

        assert_eq!(outcome(&got, "file"), N, "{action:?}");
    }
}
