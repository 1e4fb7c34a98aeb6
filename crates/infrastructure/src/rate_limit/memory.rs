//! Counts in this process's memory, with `governor`'s keyed GCRA limiters: one per quota,
//! each a concurrent map of keys to their theoretical arrival time.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
    time::Duration,
};

use async_trait::async_trait;
use domain::rate_limit::{Quota, RateLimited, RateLimiter, Standing, Verdict};
use governor::{
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};

type KeyedLimiter = governor::RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// One instance's counts. Exact on one instance; with several, each counts only what it
/// serves (use [`super::RedisRateLimiter`] there).
#[derive(Default)]
pub struct InMemoryRateLimiter {
    limiters: RwLock<HashMap<Quota, Arc<KeyedLimiter>>>,
}

impl InMemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets keys that are back to their full quota, and gives their memory back. Run
    /// now and then: a key is otherwise kept forever.
    pub fn forget_idle_keys(&self) {
        let limiters: Vec<Arc<KeyedLimiter>> = self
            .limiters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for limiter in limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys held now, across quotas (for tests and diagnostics).
    pub fn keys_held(&self) -> usize {
        self.limiters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|limiter| limiter.len())
            .sum()
    }

    fn limiter_for(&self, quota: Quota) -> Arc<KeyedLimiter> {
        if let Some(limiter) = self
            .limiters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&quota)
        {
            return limiter.clone();
        }
        let mut limiters = self
            .limiters
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        limiters
            .entry(quota)
            .or_insert_with(|| {
                Arc::new(
                    governor::RateLimiter::keyed(governor_quota(quota))
                        .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    /// The decision, without waiting (it is all in memory).
    pub fn decide(&self, key: &str, quota: Quota) -> Verdict {
        let limiter = self.limiter_for(quota);
        let limit = quota.count();
        match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(limit);
                Verdict::Allowed(Standing {
                    limit,
                    remaining,
                    reset_after: quota.interval() * (limit - remaining),
                })
            }
            Err(not_until) => {
                let retry_after = not_until.wait_time_from(limiter.clock().now());
                Verdict::Limited(RateLimited {
                    limit,
                    retry_after,
                    reset_after: retry_after + quota.interval() * (limit - 1),
                })
            }
        }
    }
}

/// The same quota in `governor`'s terms: the whole count at once, one back per interval.
fn governor_quota(quota: Quota) -> governor::Quota {
    let burst = std::num::NonZeroU32::new(quota.count()).unwrap_or(std::num::NonZeroU32::MIN);
    governor::Quota::with_period(quota.interval().max(Duration::from_nanos(1)))
        .unwrap_or_else(|| governor::Quota::per_second(burst))
        .allow_burst(burst)
}

#[async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn acquire(&self, key: &str, quota: Quota) -> Verdict {
        self.decide(key, quota)
    }
}
