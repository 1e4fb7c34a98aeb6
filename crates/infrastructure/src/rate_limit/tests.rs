//! The contract of `domain::rate_limit::RateLimiter`, checked on both adapters: each test
//! runs as `name::memory` and, with `TEST_REDIS_URL` and `--include-ignored`, as
//! `name::redis` (under a key prefix of its own). Quotas are per hour, so nothing comes
//! back while a test runs and no test waits on the clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use domain::rate_limit::{Quota, RateLimiter, Verdict};
use futures_util::future::join_all;

use super::{InMemoryRateLimiter, RedisRateLimiter};
use crate::testing;

macro_rules! limiter_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn memory() {
                let test = $body;
                test(Arc::new(InMemoryRateLimiter::new()) as Arc<dyn RateLimiter>).await;
            }

            #[tokio::test]
            #[ignore = "needs Redis: set TEST_REDIS_URL and run with --include-ignored"]
            async fn redis() {
                let test = $body;
                test(redis_limiter(&testing::unique_prefix()).await).await;
            }
        }
    };
}

async fn redis_limiter(prefix: &str) -> Arc<dyn RateLimiter> {
    let url = testing::redis_url().await;
    Arc::new(RedisRateLimiter::new(&url, prefix).expect("a Redis limiter"))
}

fn per_hour(count: u32) -> Quota {
    Quota::new(count, Duration::from_secs(3_600)).unwrap()
}

/// `remaining` of each verdict; `None` for a refusal.
fn remaining(verdicts: &[Verdict]) -> Vec<Option<u32>> {
    verdicts
        .iter()
        .map(|v| match v {
            Verdict::Allowed(standing) => Some(standing.remaining),
            Verdict::Limited(_) => None,
        })
        .collect()
}

async fn acquire_n(limiter: &dyn RateLimiter, key: &str, quota: Quota, n: usize) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for _ in 0..n {
        verdicts.push(limiter.acquire(key, quota).await);
    }
    verdicts
}

limiter_test!(
    a_key_gets_its_whole_quota_at_once_and_then_is_refused_with_a_wait,
    |limiter: Arc<dyn RateLimiter>| async move {
        let quota = per_hour(3);
        let verdicts = acquire_n(limiter.as_ref(), "k", quota, 4).await;

        assert_eq!(remaining(&verdicts), vec![Some(2), Some(1), Some(0), None]);
        let Verdict::Allowed(last) = verdicts[2] else {
            panic!("the third is allowed")
        };
        assert_eq!(last.limit, 3);
        assert!(last.reset_after <= Duration::from_secs(3_600), "{last:?}");
        assert!(last.reset_after > Duration::from_secs(3_000), "{last:?}");
        let Verdict::Limited(refused) = verdicts[3] else {
            panic!("the fourth is refused")
        };
        // One request's worth comes back every 20 minutes.
        assert!(
            refused.retry_after > Duration::from_secs(1_100),
            "{refused:?}"
        );
        assert!(
            refused.retry_after <= Duration::from_secs(1_200),
            "{refused:?}"
        );
        assert!(refused.reset_after >= refused.retry_after, "{refused:?}");
    }
);

limiter_test!(keys_and_quotas_are_counted_apart, |limiter: Arc<
    dyn RateLimiter,
>| async move {
    acquire_n(limiter.as_ref(), "a", per_hour(2), 2).await;

    let same_key = limiter.acquire("a", per_hour(2)).await;
    let other_key = limiter.acquire("b", per_hour(2)).await;
    let other_quota = limiter.acquire("a", per_hour(5)).await;

    assert_eq!(
        remaining(&[same_key, other_key, other_quota]),
        vec![None, Some(1), Some(4)]
    );
});

limiter_test!(a_refused_request_is_not_counted, |limiter: Arc<
    dyn RateLimiter,
>| async move {
    let quota = per_hour(1);
    limiter.acquire("k", quota).await;
    let waits: Vec<Duration> = acquire_n(limiter.as_ref(), "k", quota, 5)
        .await
        .into_iter()
        .map(|v| match v {
            Verdict::Limited(refused) => refused.retry_after,
            Verdict::Allowed(_) => panic!("allowed over the quota"),
        })
        .collect();

    // Refusals do not push the wait further out: it only shrinks as time passes.
    assert!(waits.windows(2).all(|w| w[1] <= w[0]), "{waits:?}");
});

limiter_test!(concurrent_requests_get_exactly_the_quota, |limiter: Arc<
    dyn RateLimiter,
>| async move {
    let quota = per_hour(5);
    let verdicts = join_all((0..40).map(|_| {
        let limiter = limiter.clone();
        async move { limiter.acquire("k", quota).await }
    }))
    .await;

    let allowed = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Allowed(_)))
        .count();
    assert_eq!(allowed, 5);
});

#[tokio::test]
#[ignore = "needs Redis: set TEST_REDIS_URL and run with --include-ignored"]
async fn instances_sharing_a_redis_share_one_count() {
    let prefix = testing::unique_prefix();
    let first = redis_limiter(&prefix).await;
    let second = redis_limiter(&prefix).await;
    let quota = per_hour(4);

    let mut verdicts = Vec::new();
    for limiter in [&first, &second, &first, &second, &first] {
        verdicts.push(limiter.acquire("k", quota).await);
    }

    assert_eq!(
        remaining(&verdicts),
        vec![Some(3), Some(2), Some(1), Some(0), None]
    );
}

#[tokio::test]
async fn an_unreachable_redis_fails_open_to_this_instance_s_own_counts() {
    // Nothing listens on port 1: every call to Redis fails at once.
    let url = secrecy::SecretString::from("redis://127.0.0.1:1".to_owned());
    let limiter = RedisRateLimiter::new(&url, "unreachable:").expect("a lazy limiter");

    let verdicts = acquire_n(&limiter, "k", per_hour(2), 3).await;

    // Never an error, and the quota still holds on this instance.
    assert_eq!(remaining(&verdicts), vec![Some(1), Some(0), None]);
}

#[test]
fn idle_keys_can_be_forgotten() {
    let limiter = InMemoryRateLimiter::new();
    // A quota that refills within a nanosecond-scale interval is full again at once.
    let quick = Quota::new(1_000_000, Duration::from_millis(1)).unwrap();
    limiter.decide("a", quick);
    limiter.decide("b", per_hour(2));
    assert_eq!(limiter.keys_held(), 2);

    std::thread::sleep(Duration::from_millis(2));
    limiter.forget_idle_keys();

    assert_eq!(limiter.keys_held(), 1, "the key still counting is kept");
}
