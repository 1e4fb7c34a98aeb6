//! The rules of share links, against mocked storage: who makes, lists and revokes them
//! (the thread's owner or an ADMIN; other members 403, strangers 404), that only the
//! token's hash is stored, and that opening a link fails the same way for every reason,
//! counts no view for a wrong password and hashes no throttled guess.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Duration as ChronoDuration;

use super::*;
use crate::{
    access::AccessControl,
    api_key::Scope,
    audit::AuditAction,
    auth::{MockPasswordHasher, Principal},
    file::MockFileRepository,
    id::{ShareLinkId, ThreadId},
    message::{MockMessageRepository, SortOrder},
    pagination::Page,
    rate_limit::{MockRateLimiter, Quota, RateLimitService, RateLimited, RatePolicy, Verdict},
    test_fixtures::{
        assert_forbidden, assert_invalid, assert_not_found, first_page, key_caller, message,
        principal, thread, user, where_caller_is,
    },
    thread::{MemberRole, MockThreadRepository, Thread},
    time,
    user::{MockUserRepository, PasswordHash, Role},
    DomainError,
};

/// A service over `links` whose caller stands in `thread` with `role`; every other
/// store refuses to be used.
fn managing(
    links: MockShareLinkRepository,
    caller: &Principal,
    thread: &Thread,
    role: Option<MemberRole>,
    hasher: MockPasswordHasher,
) -> ShareLinkService {
    let threads = Arc::new(where_caller_is(caller, thread, role));
    let access = Arc::new(AccessControl::new(
        threads.clone(),
        Arc::new(MockMessageRepository::new()),
        Arc::new(MockFileRepository::new()),
    ));
    ShareLinkService::new(
        ShareLinkStores {
            links: Arc::new(links),
            threads,
            messages: Arc::new(MockMessageRepository::new()),
            users: Arc::new(MockUserRepository::new()),
        },
        Arc::new(hasher),
        access,
    )
}

fn link_of(thread: &ThreadId) -> ShareLink {
    ShareLink {
        id: ShareLinkId::generate(),
        thread_id: thread.clone(),
        created_by: crate::id::UserId::generate(),
        expires_at: None,
        max_views: None,
        view_count: 0,
        password_hash: None,
        created_at: time::now() - ChronoDuration::minutes(5),
    }
}

fn password(raw: &str) -> SharePassword {
    SharePassword::parse(raw.to_owned()).unwrap()
}

// ---------------------------------------------------------------------------------------
// managing links

#[tokio::test]
async fn the_owner_makes_a_link_whose_token_is_stored_only_as_its_hash() {
    let (caller, thread) = (principal(Role::User), thread());
    let stored = Arc::new(Mutex::new(None));
    let mut links = MockShareLinkRepository::new();
    let seen = stored.clone();
    links.expect_insert().times(1).returning(move |new, audit| {
        *seen.lock().unwrap() = Some((new.clone(), audit.clone()));
        Ok(new.link.clone())
    });
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .withf(|p| p.expose() == "open sesame")
        .returning(|_| Ok(PasswordHash::new("$argon2id$hash".into())));
    let service = managing(links, &caller, &thread, Some(MemberRole::Owner), hasher);
    let expires = time::now() + ChronoDuration::days(1);

    let issued = service
        .create(
            &caller,
            &thread.id,
            CreateShareLink {
                expires_at: Some(expires),
                password: Some(password("open sesame")),
                max_views: Some(MaxViews::parse(5).unwrap()),
            },
        )
        .await
        .unwrap();

    let (new, audit) = stored.lock().unwrap().clone().unwrap();
    assert_eq!(audit.action, AuditAction::ShareLinkCreated);
    assert_eq!(audit.actor_id.as_ref(), Some(&caller.user.id));
    assert_eq!(audit.resource_id, Some(new.link.id.to_string()));
    assert!(
        audit.details.contains(r#""has_password":true"#),
        "{}",
        audit.details
    );
    assert_eq!(new.token_hash, issued.token.hash());
    assert_ne!(new.token_hash, issued.token.expose());
    assert!(issued.token.expose().starts_with("xs_"));
    assert_eq!(new.link.thread_id, thread.id);
    assert_eq!(new.link.created_by, caller.user.id);
    assert_eq!(new.link.max_views.map(MaxViews::get), Some(5));
    assert_eq!(new.link.expires_at, Some(expires));
    assert_eq!(
        new.link.password_hash.as_ref().map(PasswordHash::as_str),
        Some("$argon2id$hash")
    );
    assert_eq!(new.link.view_count, 0);
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_manages_links_too() {
    let (caller, thread) = (principal(Role::Admin), thread());
    let mut links = MockShareLinkRepository::new();
    links.expect_list().times(1).returning(|_, _| {
        Ok(Page {
            items: vec![],
            next: None,
        })
    });
    let service = managing(links, &caller, &thread, None, MockPasswordHasher::new());

    assert!(service
        .list(&caller, &thread.id, &first_page())
        .await
        .is_ok());
}

#[tokio::test]
async fn editors_and_viewers_are_refused_and_strangers_learn_nothing() {
    for (role, forbidden) in [
        (Some(MemberRole::Editor), true),
        (Some(MemberRole::Viewer), true),
        (None, false),
    ] {
        let (caller, thread) = (principal(Role::User), thread());
        // No expectations: any write (or read) of links would panic.
        let service = managing(
            MockShareLinkRepository::new(),
            &caller,
            &thread,
            role,
            MockPasswordHasher::new(),
        );
        let created = service
            .create(&caller, &thread.id, CreateShareLink::default())
            .await;
        let listed = service.list(&caller, &thread.id, &first_page()).await;
        let revoked = service
            .revoke(&caller, &thread.id, &ShareLinkId::generate())
            .await;
        if forbidden {
            assert_forbidden(created);
            assert_forbidden(listed);
            assert_forbidden(revoked);
        } else {
            assert_not_found(created, "thread");
            assert_not_found(listed, "thread");
            assert_not_found(revoked, "thread");
        }
    }
}

#[tokio::test]
async fn a_key_needs_threads_write_to_make_or_revoke_and_threads_read_to_list() {
    let thread = thread();
    let caller = key_caller(Role::User, &[Scope::ThreadsRead]);
    let mut links = MockShareLinkRepository::new();
    links.expect_list().times(1).returning(|_, _| {
        Ok(Page {
            items: vec![],
            next: None,
        })
    });
    let service = managing(
        links,
        &caller,
        &thread,
        Some(MemberRole::Owner),
        MockPasswordHasher::new(),
    );

    assert_forbidden(
        service
            .create(&caller, &thread.id, CreateShareLink::default())
            .await,
    );
    assert_forbidden(
        service
            .revoke(&caller, &thread.id, &ShareLinkId::generate())
            .await,
    );
    assert!(service
        .list(&caller, &thread.id, &first_page())
        .await
        .is_ok());
}

#[tokio::test]
async fn an_expiry_in_the_past_is_refused_and_nothing_is_written() {
    let (caller, thread) = (principal(Role::User), thread());
    let service = managing(
        MockShareLinkRepository::new(),
        &caller,
        &thread,
        Some(MemberRole::Owner),
        MockPasswordHasher::new(),
    );

    let result = service
        .create(
            &caller,
            &thread.id,
            CreateShareLink {
                expires_at: Some(time::now() - ChronoDuration::seconds(1)),
                ..CreateShareLink::default()
            },
        )
        .await;

    assert_invalid(result, "expires_at");
}

#[tokio::test]
async fn a_link_of_another_thread_is_not_found_and_not_deleted() {
    let (caller, thread) = (principal(Role::User), thread());
    let elsewhere = link_of(&ThreadId::generate());
    let mut links = MockShareLinkRepository::new();
    let found = elsewhere.clone();
    links
        .expect_find()
        .returning(move |_| Ok(Some(found.clone())));
    let service = managing(
        links,
        &caller,
        &thread,
        Some(MemberRole::Owner),
        MockPasswordHasher::new(),
    );

    assert_not_found(
        service.revoke(&caller, &thread.id, &elsewhere.id).await,
        "share link",
    );
}

#[tokio::test]
async fn revoking_deletes_the_link() {
    let (caller, thread) = (principal(Role::User), thread());
    let link = link_of(&thread.id);
    let mut links = MockShareLinkRepository::new();
    let found = link.clone();
    links
        .expect_find()
        .returning(move |_| Ok(Some(found.clone())));
    let id = link.id.clone();
    links
        .expect_delete()
        .withf(move |asked, audit| {
            asked == &id
                && audit.action == AuditAction::ShareLinkDeleted
                && audit.resource_id.as_deref() == Some(id.as_str())
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let service = managing(
        links,
        &caller,
        &thread,
        Some(MemberRole::Owner),
        MockPasswordHasher::new(),
    );

    service.revoke(&caller, &thread.id, &link.id).await.unwrap();
}

// ---------------------------------------------------------------------------------------
// opening links

/// A service for readers: `links` holds `link` under `token`, the thread and its one
/// message are readable, and `limiter` (if any) limits password guesses.
struct Reading {
    links: MockShareLinkRepository,
    threads: MockThreadRepository,
    messages: MockMessageRepository,
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    limiter: Option<MockRateLimiter>,
}

impl Reading {
    fn holding(link: &ShareLink, token: &ShareToken) -> Self {
        let mut links = MockShareLinkRepository::new();
        let (found, hash) = (link.clone(), token.hash());
        links
            .expect_find_by_token_hash()
            .returning(move |asked| Ok((asked == hash).then(|| found.clone())));
        Self {
            links,
            threads: MockThreadRepository::new(),
            messages: MockMessageRepository::new(),
            users: MockUserRepository::new(),
            hasher: MockPasswordHasher::new(),
            limiter: None,
        }
    }

    fn service(self) -> ShareLinkService {
        let threads: Arc<MockThreadRepository> = Arc::new(self.threads);
        let access = Arc::new(AccessControl::new(
            threads.clone(),
            Arc::new(MockMessageRepository::new()),
            Arc::new(MockFileRepository::new()),
        ));
        let service = ShareLinkService::new(
            ShareLinkStores {
                links: Arc::new(self.links),
                threads,
                messages: Arc::new(self.messages),
                users: Arc::new(self.users),
            },
            Arc::new(self.hasher),
            access,
        );
        match self.limiter {
            Some(limiter) => service.with_rate_limits(Arc::new(RateLimitService::new(
                Arc::new(limiter),
                RatePolicy {
                    share_password_per_link: vec![Quota::new(5, Duration::from_secs(60)).unwrap()],
                    ..RatePolicy::default()
                },
            ))),
            None => service,
        }
    }
}

fn is_link_not_found<T>(result: &DomainResult<T>) -> bool {
    matches!(result, Err(DomainError::NotFound("shared thread")))
}

use crate::DomainResult;

fn with_password(password: &str) -> ShareReader {
    ShareReader {
        password: Some(password.to_owned()),
        ip: Some("192.0.2.1".parse().unwrap()),
    }
}

#[tokio::test]
async fn a_live_link_shows_the_thread_and_its_messages_oldest_first_with_public_authors() {
    let thread = thread();
    let author = user(Role::User);
    let mut written = message(&thread, &author.id);
    written.thread_id = thread.id.clone();
    let link = link_of(&thread.id);
    let token = ShareToken::generate();
    let mut reading = Reading::holding(&link, &token);
    let id = link.id.clone();
    reading
        .links
        .expect_record_view()
        .withf(move |asked, _| asked == &id)
        .times(1)
        .returning(|_, _| Ok(true));
    let shown = thread.clone();
    reading
        .threads
        .expect_find_with_role()
        .returning(move |_, _| Ok(Some((shown.clone(), None))));
    let listed = written.clone();
    reading
        .messages
        .expect_list()
        .withf(|_, filter, _| filter.order == SortOrder::Asc)
        .returning(move |_, _, _| {
            Ok(Page {
                items: vec![listed.clone()],
                next: None,
            })
        });
    let stored = author.clone();
    reading
        .users
        .expect_find()
        .times(1)
        .returning(move |_| Ok(Some(stored.clone())));

    let shared = reading
        .service()
        .open(token.expose(), ShareReader::default(), &first_page())
        .await
        .unwrap();

    assert_eq!(shared.thread.id, thread.id);
    assert_eq!(shared.messages.items.len(), 1);
    assert_eq!(shared.messages.items[0].message.id, written.id);
    assert_eq!(
        shared.messages.items[0].author,
        Some(author.public_profile())
    );
}

#[tokio::test]
async fn unknown_malformed_expired_and_used_up_links_are_the_same_not_found_unviewed() {
    let thread = thread();
    let token = ShareToken::generate();
    // No `record_view` expectation: counting a view would panic.
    let service = Reading::holding(&link_of(&thread.id), &token).service();
    for presented in [
        ShareToken::generate().expose().to_owned(),
        "not-a-token".to_owned(),
    ] {
        let result = service
            .open(&presented, ShareReader::default(), &first_page())
            .await;
        assert!(is_link_not_found(&result), "{result:?}");
    }

    let mut expired = link_of(&thread.id);
    expired.expires_at = Some(time::now() - ChronoDuration::seconds(1));
    let mut used_up = link_of(&thread.id);
    used_up.max_views = Some(MaxViews::parse(3).unwrap());
    used_up.view_count = 3;
    for link in [expired, used_up] {
        let result = Reading::holding(&link, &token)
            .service()
            .open(token.expose(), ShareReader::default(), &first_page())
            .await;
        assert!(is_link_not_found(&result), "{result:?}");
    }
}

#[tokio::test]
async fn a_view_the_counter_refuses_is_not_found_and_nothing_is_read() {
    let thread = thread();
    let token = ShareToken::generate();
    let mut reading = Reading::holding(&link_of(&thread.id), &token);
    reading
        .links
        .expect_record_view()
        .times(1)
        .returning(|_, _| Ok(false));

    let result = reading
        .service()
        .open(token.expose(), ShareReader::default(), &first_page())
        .await;

    assert!(is_link_not_found(&result), "{result:?}");
}

fn protected(thread: &Thread) -> ShareLink {
    let mut link = link_of(&thread.id);
    link.password_hash = Some(PasswordHash::new("$argon2id$stored".into()));
    link
}

#[tokio::test]
async fn a_missing_or_wrong_password_is_not_found_and_counts_no_view() {
    let thread = thread();
    let token = ShareToken::generate();
    let link = protected(&thread);

    // Missing: nothing hashed.
    let result = Reading::holding(&link, &token)
        .service()
        .open(token.expose(), ShareReader::default(), &first_page())
        .await;
    assert!(is_link_not_found(&result), "{result:?}");

    // Wrong: hashed once, no view.
    let mut reading = Reading::holding(&link, &token);
    reading
        .hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(false));
    let result = reading
        .service()
        .open(token.expose(), with_password("wrong guess"), &first_page())
        .await;
    assert!(is_link_not_found(&result), "{result:?}");
}

#[tokio::test]
async fn a_throttled_guess_is_refused_before_it_is_hashed() {
    let thread = thread();
    let token = ShareToken::generate();
    let link = protected(&thread);
    let mut reading = Reading::holding(&link, &token);
    let mut limiter = MockRateLimiter::new();
    let key = format!("share-link:{}", link.id);
    limiter
        .expect_acquire()
        .withf(move |asked, _| asked == key)
        .returning(|_, _| {
            Verdict::Limited(RateLimited {
                limit: 5,
                retry_after: Duration::from_secs(12),
                reset_after: Duration::from_secs(60),
            })
        });
    reading.limiter = Some(limiter);

    // No `verify` expectation on the hasher: hashing would panic.
    let result = reading
        .service()
        .open(token.expose(), with_password("a guess!"), &first_page())
        .await;

    assert!(
        matches!(result, Err(DomainError::RateLimited(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_right_password_opens_the_link() {
    let thread = thread();
    let token = ShareToken::generate();
    let link = protected(&thread);
    let mut reading = Reading::holding(&link, &token);
    reading
        .hasher
        .expect_verify()
        .withf(|p, h| p.expose() == "open sesame" && h.as_str() == "$argon2id$stored")
        .returning(|_, _| Ok(true));
    reading
        .links
        .expect_record_view()
        .times(1)
        .returning(|_, _| Ok(true));
    let shown = thread.clone();
    reading
        .threads
        .expect_find_with_role()
        .returning(move |_, _| Ok(Some((shown.clone(), None))));
    reading.messages.expect_list().returning(|_, _, _| {
        Ok(Page {
            items: vec![],
            next: None,
        })
    });

    let shared = reading
        .service()
        .open(token.expose(), with_password("open sesame"), &first_page())
        .await
        .unwrap();

    assert_eq!(shared.thread.id, thread.id);
}

#[tokio::test]
async fn a_link_whose_thread_is_gone_is_not_found() {
    let thread = thread();
    let token = ShareToken::generate();
    let mut reading = Reading::holding(&link_of(&thread.id), &token);
    reading
        .links
        .expect_record_view()
        .returning(|_, _| Ok(true));
    reading
        .threads
        .expect_find_with_role()
        .returning(|_, _| Ok(None));

    let result = reading
        .service()
        .open(token.expose(), ShareReader::default(), &first_page())
        .await;

    assert!(is_link_not_found(&result), "{result:?}");
}
