//! The rules of [`RateLimitService`] and of sign-in limits, against a `mockall` limiter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::*;
use crate::{
    auth::{
        AuthPolicy, AuthService, ClientInfo, MockPasswordHasher, MockSessionRepository,
        MockTokenCodec,
    },
    user::{AllowedDomains, MockUserRepository},
    DomainError,
};

fn quota(count: u32, seconds: u64) -> Quota {
    Quota::new(count, Duration::from_secs(seconds)).unwrap()
}

fn allowed(limit: u32, remaining: u32) -> Verdict {
    Verdict::Allowed(Standing {
        limit,
        remaining,
        reset_after: Duration::from_secs(1),
    })
}

fn limited() -> Verdict {
    Verdict::Limited(RateLimited {
        limit: 5,
        retry_after: Duration::from_secs(12),
        reset_after: Duration::from_secs(60),
    })
}

/// A limiter that records every `(key, quota)` it is asked about and answers with
/// `answer` for each.
fn recording(
    answer: impl Fn(&str, Quota) -> Verdict + Send + Sync + 'static,
) -> (MockRateLimiter, Asked) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut limiter = MockRateLimiter::new();
    limiter.expect_acquire().returning(move |key, quota| {
        log.lock().unwrap().push((key.to_owned(), quota));
        answer(key, quota)
    });
    (limiter, seen)
}

/// Every `(key, quota)` a limiter was asked about, in order.
type Asked = Arc<Mutex<Vec<(String, Quota)>>>;

fn policy() -> RatePolicy {
    RatePolicy {
        per_caller: vec![quota(600, 60)],
        per_ip: vec![quota(300, 60)],
        login_per_ip: vec![quota(10, 60), quota(100, 3_600)],
        login_per_email: vec![quota(5, 60), quota(20, 3_600)],
        share_password_per_link: vec![quota(5, 60), quota(20, 3_600)],
        share_password_per_ip: vec![quota(10, 60), quota(100, 3_600)],
    }
}

#[tokio::test]
async fn a_caller_is_counted_by_id_and_anybody_else_by_address() {
    let (limiter, seen) = recording(|_, q| allowed(q.count(), 1));
    let service = RateLimitService::new(Arc::new(limiter), policy());
    let ip: IpAddr = "2001:db8::7".parse().unwrap();

    service
        .admit_request(Requester::Caller("usr_1"))
        .await
        .unwrap();
    service
        .admit_request(Requester::Anonymous(ip))
        .await
        .unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            ("caller:usr_1".to_owned(), quota(600, 60)),
            ("ip:2001:db8::/64".to_owned(), quota(300, 60)),
        ]
    );
}

#[tokio::test]
async fn the_tightest_of_several_quotas_is_reported() {
    let (limiter, _) = recording(|_, q| allowed(q.count(), if q.count() == 5 { 3 } else { 17 }));
    let service = RateLimitService::new(
        Arc::new(limiter),
        RatePolicy {
            per_caller: vec![quota(100, 3_600), quota(5, 60)],
            ..RatePolicy::default()
        },
    );

    let standing = service
        .admit_request(Requester::Caller("usr_1"))
        .await
        .unwrap();

    assert_eq!(standing.map(|s| (s.limit, s.remaining)), Some((5, 3)));
}

#[tokio::test]
async fn a_used_up_quota_refuses_with_when_to_retry() {
    let (limiter, _) = recording(|_, _| limited());
    let service = RateLimitService::new(Arc::new(limiter), policy());

    let err = service
        .admit_request(Requester::Caller("usr_1"))
        .await
        .unwrap_err();

    match err {
        DomainError::RateLimited(limited) => {
            assert_eq!(limited.retry_after, Duration::from_secs(12));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn without_quotas_nothing_is_counted() {
    let service = RateLimitService::new(Arc::new(MockRateLimiter::new()), RatePolicy::unlimited());

    assert!(!service.limits_requests());
    let standing = service
        .admit_request(Requester::Caller("usr_1"))
        .await
        .unwrap();
    service.admit_login("a@example.com", None).await.unwrap();

    assert_eq!(standing, None);
}

#[tokio::test]
async fn sign_in_attempts_count_per_address_then_per_email_in_lower_case() {
    let (limiter, seen) = recording(|_, q| allowed(q.count(), 1));
    let service = RateLimitService::new(Arc::new(limiter), policy());

    service
        .admit_login(" Ada@Example.com ", Some("192.0.2.1".parse().unwrap()))
        .await
        .unwrap();

    let keys: Vec<(String, u32)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(k, q)| (k.clone(), q.count()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("login-ip:192.0.2.1".to_owned(), 10),
            ("login-ip:192.0.2.1".to_owned(), 100),
            ("login-email:ada@example.com".to_owned(), 5),
            ("login-email:ada@example.com".to_owned(), 20),
        ]
    );
}

#[tokio::test]
async fn an_address_over_its_limit_does_not_use_up_the_email() {
    let (limiter, seen) = recording(|key, _| {
        if key.starts_with("login-ip:") {
            limited()
        } else {
            allowed(5, 4)
        }
    });
    let service = RateLimitService::new(Arc::new(limiter), policy());

    let err = service
        .admit_login("ada@example.com", Some("192.0.2.1".parse().unwrap()))
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::RateLimited(_)), "{err:?}");
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|(k, _)| k.starts_with("login-ip:")));
}

#[tokio::test]
async fn a_limited_sign_in_reads_no_account_and_checks_no_password() {
    // Mocks without expectations panic when called: the refusal comes first.
    let (limiter, _) = recording(|_, _| limited());
    let limits = Arc::new(RateLimitService::new(Arc::new(limiter), policy()));
    let auth = AuthService::new(
        Arc::new(MockUserRepository::new()),
        Arc::new(MockSessionRepository::new()),
        Arc::new(MockPasswordHasher::new()),
        Arc::new({
            let mut tokens = MockTokenCodec::new();
            tokens.expect_can_issue().return_const(true);
            tokens
        }),
        AuthPolicy {
            allowed_domains: AllowedDomains::new(["example.com".to_owned()]),
            allow_registration: true,
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(3_600),
        },
    )
    .with_rate_limits(limits);
    let client = ClientInfo {
        user_agent: None,
        ip: Some("192.0.2.1".to_owned()),
    };

    let err = auth
        .login(
            "ada@example.com",
            "correct horse battery".to_owned(),
            &client,
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::RateLimited(_)), "{err:?}");
}

#[tokio::test]
async fn share_password_guesses_count_per_address_then_per_link() {
    let (limiter, seen) = recording(|_, q| allowed(q.count(), 1));
    let service = RateLimitService::new(Arc::new(limiter), policy());

    service
        .admit_share_password("shr_1", Some("192.0.2.1".parse().unwrap()))
        .await
        .unwrap();

    let keys: Vec<(String, u32)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(k, q)| (k.clone(), q.count()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("share-ip:192.0.2.1".to_owned(), 10),
            ("share-ip:192.0.2.1".to_owned(), 100),
            ("share-link:shr_1".to_owned(), 5),
            ("share-link:shr_1".to_owned(), 20),
        ]
    );
}
