//! The rules of rate limiting: which key a request counts against, under which quotas.

use std::{net::IpAddr, sync::Arc};

use super::{
    address_key, Quota, RateLimited, RateLimiter, RatePolicy, Requester, Standing, Verdict,
};
use crate::{DomainError, DomainResult};

/// Holds the quotas and the limiter that counts them. Requests in general are limited per
/// caller (authenticated) or per client address (anyone else); sign-in attempts are
/// limited per client address and per email on top.
pub struct RateLimitService {
    limiter: Arc<dyn RateLimiter>,
    policy: RatePolicy,
}

impl RateLimitService {
    pub fn new(limiter: Arc<dyn RateLimiter>, policy: RatePolicy) -> Self {
        Self { limiter, policy }
    }

    /// Whether requests in general are limited at all (so that a caller need not be
    /// identified for nothing).
    pub fn limits_requests(&self) -> bool {
        !self.policy.per_caller.is_empty() || !self.policy.per_ip.is_empty()
    }

    /// Counts one request. `Ok(None)` when no quota applies; otherwise where the key
    /// stands under its tightest quota. `RateLimited` when any quota is used up.
    pub async fn admit_request(&self, requester: Requester<'_>) -> DomainResult<Option<Standing>> {
        match requester {
            Requester::Caller(id) => {
                self.acquire_all(&format!("caller:{id}"), &self.policy.per_caller)
                    .await
            }
            Requester::Anonymous(ip) => {
                self.acquire_all(&format!("ip:{}", address_key(ip)), &self.policy.per_ip)
                    .await
            }
        }
    }

    /// Counts one sign-in attempt, before the password is checked: per client address,
    /// then per email (trimmed, lower case, as accounts are found). Every attempt counts,
    /// right or wrong: counting only failures would need a check before the password and
    /// a count after it, and concurrent guesses would all pass between the two.
    pub async fn admit_login(&self, email: &str, ip: Option<IpAddr>) -> DomainResult<()> {
        if let Some(ip) = ip {
            let key = format!("login-ip:{}", address_key(ip));
            self.acquire_all(&key, &self.policy.login_per_ip).await?;
        }
        let key = format!("login-email:{}", email.trim().to_lowercase());
        self.acquire_all(&key, &self.policy.login_per_email).await?;
        Ok(())
    }

    /// Counts one password guess on a share link, before the password is checked: per
    /// client address, then per link. Right or wrong, as for sign-in, so that concurrent
    /// guesses cannot slip between a check and a count; a refused guess costs no hashing.
    pub async fn admit_share_password(&self, link: &str, ip: Option<IpAddr>) -> DomainResult<()> {
        if let Some(ip) = ip {
            let key = format!("share-ip:{}", address_key(ip));
            self.acquire_all(&key, &self.policy.share_password_per_ip)
                .await?;
        }
        let key = format!("share-link:{link}");
        self.acquire_all(&key, &self.policy.share_password_per_link)
            .await?;
        Ok(())
    }

    /// Counts against every quota in turn, stopping at the first that is used up.
    async fn acquire_all(&self, key: &str, quotas: &[Quota]) -> DomainResult<Option<Standing>> {
        let mut tightest: Option<Standing> = None;
        for quota in quotas {
            match self.limiter.acquire(key, *quota).await {
                Verdict::Limited(limited) => return Err(DomainError::RateLimited(limited)),
                Verdict::Allowed(standing) => {
                    if tightest.is_none_or(|t| standing.remaining < t.remaining) {
                        tightest = Some(standing);
                    }
                }
            }
        }
        Ok(tightest)
    }
}

impl From<RateLimited> for DomainError {
    fn from(limited: RateLimited) -> Self {
        Self::RateLimited(limited)
    }
}
