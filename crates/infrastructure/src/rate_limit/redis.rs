//! Counts in Redis, shared by every instance that points at it: the GCRA script of
//! `redis-gcra` (`gcra.lua`) runs atomically inside Redis, by `EVALSHA` (`redis::Script`
//! loads it when Redis does not know it yet), so concurrent requests on any instance are
//! counted exactly once and against one clock, Redis's.
//!
//! When Redis cannot be reached the limiter fails open to this instance's own counts (an
//! [`InMemoryRateLimiter`]): limits still hold per instance, nothing is refused for lack
//! of Redis, a warning is logged once per outage, and Redis is tried again after
//! [`RETRY_AFTER_FAILURE`].

use std::{
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::Context;
use async_trait::async_trait;
use domain::rate_limit::{Quota, RateLimited, RateLimiter, Standing, Verdict};
use redis::{
    aio::{ConnectionManager, ConnectionManagerConfig},
    Script,
};
use secrecy::{ExposeSecret, SecretString};

use super::InMemoryRateLimiter;

/// How long the limiter counts in memory after Redis failed, before trying it again.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// A Redis that answers slower than this counts as down for the request.
const TIMEOUT: Duration = Duration::from_millis(500);

pub struct RedisRateLimiter {
    connection: ConnectionManager,
    script: Script,
    prefix: String,
    fallback: InMemoryRateLimiter,
    /// Set while Redis is considered down: until when not to try it.
    down_until: Mutex<Option<Instant>>,
}

impl RedisRateLimiter {
    /// Connects lazily (on the first request), so a Redis that is down at start delays
    /// nothing. Keys are `{prefix}{count}/{period in ms}:{key}`.
    pub fn new(url: &SecretString, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose_secret()).context("invalid REDIS_URL")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .context("cannot set up the Redis connection")?;
        Ok(Self {
            connection,
            script: Script::new(include_str!("gcra.lua")),
            prefix: prefix.to_owned(),
            fallback: InMemoryRateLimiter::new(),
            down_until: Mutex::new(None),
        })
    }

    /// The counts kept while Redis is down (for the housekeeping task).
    pub fn fallback(&self) -> &InMemoryRateLimiter {
        &self.fallback
    }

    async fn in_redis(&self, key: &str, quota: Quota) -> anyhow::Result<Verdict> {
        let full_key = format!(
            "{}{}/{}:{key}",
            self.prefix,
            quota.count(),
            quota.period().as_millis()
        );
        let mut connection = self.connection.clone();
        let (allowed, remaining, retry_after, reset_after): (i64, i64, String, String) = self
            .script
            .key(full_key)
            .arg(quota.count())
            .arg(quota.count())
            .arg(quota.period().as_secs_f64())
            .arg(1)
            .invoke_async(&mut connection)
            .await?;
        let seconds = |text: &str| -> anyhow::Result<Duration> {
            let value: f64 = text.parse().context("a duration from the GCRA script")?;
            Ok(Duration::try_from_secs_f64(value.max(0.0)).unwrap_or_default())
        };
        let limit = quota.count();
        Ok(if allowed > 0 {
            Verdict::Allowed(Standing {
                limit,
                remaining: u32::try_from(remaining.max(0)).unwrap_or(0).min(limit),
                reset_after: seconds(&reset_after)?,
            })
        } else {
            Verdict::Limited(RateLimited {
                limit,
                retry_after: seconds(&retry_after)?,
                reset_after: seconds(&reset_after)?,
            })
        })
    }

    /// Whether to skip Redis for now, having seen it fail a moment ago.
    fn resting(&self) -> bool {
        let down_until = self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        down_until.is_some_and(|until| Instant::now() < until)
    }

    fn went_down(&self, err: &anyhow::Error) {
        let mut down_until = self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if down_until.is_none() {
            tracing::warn!(
                error = %format!("{err:#}"),
                "Redis is unreachable: rate limits are counted per instance until it is back"
            );
        }
        *down_until = Some(Instant::now() + RETRY_AFTER_FAILURE);
    }

    fn answered(&self) {
        let mut down_until = self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if down_until.take().is_some() {
            tracing::info!("Redis is back: rate limits are shared again");
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self, key: &str, quota: Quota) -> Verdict {
        if self.resting() {
            return self.fallback.decide(key, quota);
        }
        match self.in_redis(key, quota).await {
            Ok(verdict) => {
                self.answered();
                verdict
            }
            Err(err) => {
                self.went_down(&err);
                self.fallback.decide(key, quota)
            }
        }
    }
}
