//! Quotas and what a limiter says about one request.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    time::Duration,
};

/// `count` requests per `period`: up to `count` at once, then one every
/// `period / count` (GCRA, the "generic cell rate algorithm" of a token bucket that refills
/// continuously).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quota {
    count: NonZeroU32,
    period: Duration,
}

impl Quota {
    /// `None` for a zero count or a period under a millisecond.
    pub fn new(count: u32, period: Duration) -> Option<Self> {
        let count = NonZeroU32::new(count)?;
        (period >= Duration::from_millis(1)).then_some(Self { count, period })
    }

    pub fn count(&self) -> u32 {
        self.count.get()
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// How often one request's worth comes back.
    pub fn interval(&self) -> Duration {
        self.period / self.count.get()
    }
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}s", self.count, self.period.as_secs_f64())
    }
}

/// A request that was let through: where its key stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The quota's count (`RateLimit-Limit`).
    pub limit: u32,
    /// Requests still allowed right now (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Until the key is back to its full quota (`RateLimit-Reset`).
    pub reset_after: Duration,
}

/// A request that was refused: it was not counted, and may be retried after `retry_after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimited {
    pub limit: u32,
    /// Until one more request would be allowed (`Retry-After`).
    pub retry_after: Duration,
    /// Until the key is back to its full quota.
    pub reset_after: Duration,
}

/// What a limiter said about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Standing),
    Limited(RateLimited),
}

/// The quotas this server applies; an empty list limits nothing. Several quotas for one
/// key all apply (`5/minute` and `20/hour`): that is how waits grow for a key that keeps
/// going.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RatePolicy {
    /// Every request of an authenticated caller, per caller.
    pub per_caller: Vec<Quota>,
    /// Every request without a (valid) credential, per client address.
    pub per_ip: Vec<Quota>,
    /// Sign-in attempts per client address.
    pub login_per_ip: Vec<Quota>,
    /// Sign-in attempts per email, right or wrong.
    pub login_per_email: Vec<Quota>,
    /// Password guesses on one share link, right or wrong.
    pub share_password_per_link: Vec<Quota>,
    /// Share-link password guesses per client address, right or wrong.
    pub share_password_per_ip: Vec<Quota>,
}

impl RatePolicy {
    /// No limits at all.
    pub fn unlimited() -> Self {
        Self::default()
    }
}

/// Who a request is counted against.
#[derive(Clone, Copy, Debug)]
pub enum Requester<'a> {
    /// An authenticated caller, by a stable id (today the user's; an API key's when keys
    /// land).
    Caller(&'a str),
    /// Anybody else, by client address.
    Anonymous(IpAddr),
}

/// The key a client address is counted under: IPv4 (also mapped into IPv6) as it is, IPv6
/// by its /64, the block one subscriber usually holds (so rotating addresses inside it
/// dodges nothing).
pub fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
        v4 => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_needs_a_count_and_a_period() {
        assert!(Quota::new(0, Duration::from_secs(60)).is_none());
        assert!(Quota::new(5, Duration::ZERO).is_none());
        let quota = Quota::new(5, Duration::from_secs(60));
        assert_eq!(quota.map(|q| q.interval()), Some(Duration::from_secs(12)));
    }

    #[test]
    fn ipv6_addresses_share_a_key_per_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8:1:2:bbbb::9"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(a), "2001:db8:1:2::/64");
        let mapped = IpAddr::V6(std::net::Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(address_key(mapped), "192.0.2.7");
    }
}
