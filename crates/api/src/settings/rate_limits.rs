//! Rate limits, the Redis that shares them between instances, and the proxies whose
//! `X-Forwarded-For` names the client.

use std::{net::IpAddr, time::Duration};

use domain::rate_limit::{Quota, RatePolicy};
use ipnet::IpNet;
use secrecy::SecretString;

use super::reader::Reader;

#[derive(Clone, Debug)]
pub struct RateLimitSettings {
    /// The quotas in force; all empty when `RATE_LIMITS_ENABLED=false`.
    pub policy: RatePolicy,
    /// Where the counts live when several instances share them; in memory otherwise.
    pub redis_url: Option<SecretString>,
    /// Put before every key in Redis, so that deployments (or tests) sharing one Redis
    /// keep apart.
    pub key_prefix: String,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
}

/// The reverse proxies in front of this server, by address or CIDR block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(blocks: Vec<IpNet>) -> Self {
        Self(blocks)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|block| block.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub(super) fn read(r: &mut Reader<'_>) -> RateLimitSettings {
    let enabled = r.flag("RATE_LIMITS_ENABLED", true);
    let mut quotas = |name: &str, default: &str| {
        let quotas = quota_list(r, name, default);
        if enabled {
            quotas
        } else {
            Vec::new()
        }
    };
    let policy = RatePolicy {
        per_caller: quotas("RATE_LIMIT_PER_CALLER", "600/minute"),
        per_ip: quotas("RATE_LIMIT_PER_IP", "300/minute"),
        login_per_ip: quotas("LOGIN_RATE_LIMIT_PER_IP", "10/minute,100/hour"),
        login_per_email: quotas("LOGIN_RATE_LIMIT_PER_EMAIL", "5/minute,20/hour"),
        share_password_per_link: quotas("SHARE_PASSWORD_RATE_LIMIT_PER_LINK", "5/minute,20/hour"),
        share_password_per_ip: quotas("SHARE_PASSWORD_RATE_LIMIT_PER_IP", "10/minute,100/hour"),
    };
    RateLimitSettings {
        policy,
        redis_url: redis_url(r),
        key_prefix: r.text("RATE_LIMIT_KEY_PREFIX", "xl:rl:"),
        trusted_proxies: trusted_proxies(r),
    }
}

/// `count/period` quotas, comma-separated (`5/minute,20/hour`); `off` for none.
fn quota_list(r: &mut Reader<'_>, name: &str, default: &str) -> Vec<Quota> {
    let raw = r.text(name, default);
    if raw == "off" {
        return Vec::new();
    }
    let mut quotas = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match parse_quota(item) {
            Some(quota) => quotas.push(quota),
            None => r.fail(
                name,
                format!(
                    "{item:?} is not a quota like 600/minute (a positive count per second, \
                     minute, hour or day), nor off"
                ),
            ),
        }
    }
    quotas
}

fn parse_quota(text: &str) -> Option<Quota> {
    let (count, unit) = text.split_once('/')?;
    let seconds = match unit.trim() {
        "s" | "sec" | "second" => 1,
        "m" | "min" | "minute" => 60,
        "h" | "hour" => 3_600,
        "d" | "day" => 86_400,
        _ => return None,
    };
    Quota::new(count.trim().parse().ok()?, Duration::from_secs(seconds))
}

fn redis_url(r: &mut Reader<'_>) -> Option<SecretString> {
    let url = r.optional("REDIS_URL")?;
    let valid = url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss"));
    if !valid {
        // The value may hold a password: it is not repeated.
        r.fail(
            "REDIS_URL",
            "must be a redis:// or rediss:// URL".to_owned(),
        );
    }
    Some(SecretString::from(url))
}

/// Addresses (`10.0.0.1`) and CIDR blocks (`10.0.0.0/8`, `fd00::/8`), comma-separated.
fn trusted_proxies(r: &mut Reader<'_>) -> TrustedProxies {
    let mut blocks = Vec::new();
    for item in r.list("TRUSTED_PROXIES", "") {
        let parsed = item
            .parse::<IpNet>()
            .or_else(|_| item.parse::<IpAddr>().map(IpNet::from));
        match parsed {
            Ok(block) => blocks.push(block),
            Err(_) => r.fail(
                "TRUSTED_PROXIES",
                format!("{item:?} is not an IP address or CIDR block"),
            ),
        }
    }
    TrustedProxies::new(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_read_as_a_count_per_unit() {
        let minute = parse_quota("600/minute");
        assert_eq!(
            minute.map(|q| (q.count(), q.period())),
            Some((600, Duration::from_secs(60)))
        );
        assert_eq!(
            parse_quota(" 5 / h").map(|q| q.period()),
            Some(Duration::from_secs(3_600))
        );
        for bad in ["0/minute", "ten/minute", "5/fortnight", "5", "-1/s"] {
            assert_eq!(parse_quota(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_trusted_block_contains_its_addresses_also_when_mapped_into_ipv6() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8"
            .parse()
            .unwrap_or_else(|_| IpNet::default())]);
        assert!(proxies.contains("10.1.2.3".parse().unwrap_or(IpAddr::from([0; 4]))));
        assert!(proxies.contains("::ffff:10.1.2.3".parse().unwrap_or(IpAddr::from([0; 4]))));
        assert!(!proxies.contains("192.0.2.1".parse().unwrap_or(IpAddr::from([0; 4]))));
    }
}

#[cfg(test)]
mod section_tests {
    use std::collections::HashMap;

    use super::super::Settings;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, Vec<String>> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_vars(&vars).map_err(|e| e.0)
    }

    #[test]
    fn limits_are_on_by_default_and_generous() {
        let settings = read(&[]).map(|s| s.rate_limits);
        let counts = |quotas: &[domain::rate_limit::Quota]| -> Vec<u32> {
            quotas.iter().map(|q| q.count()).collect()
        };
        let limits = settings.as_ref().map(|s| {
            (
                counts(&s.policy.per_caller),
                counts(&s.policy.per_ip),
                counts(&s.policy.login_per_ip),
                counts(&s.policy.login_per_email),
                s.redis_url.is_some(),
                s.trusted_proxies.is_empty(),
            )
        });
        assert_eq!(
            limits,
            Ok((
                vec![600],
                vec![300],
                vec![10, 100],
                vec![5, 20],
                false,
                true
            ))
        );
    }

    #[test]
    fn limits_can_be_turned_off() {
        let settings = read(&[("RATE_LIMITS_ENABLED", "false")]);
        assert_eq!(
            settings.map(|s| s.rate_limits.policy),
            Ok(domain::rate_limit::RatePolicy::unlimited())
        );
        let one_off = read(&[("RATE_LIMIT_PER_CALLER", "off")]);
        assert_eq!(
            one_off.map(|s| s.rate_limits.policy.per_caller.len()),
            Ok(0)
        );
    }

    #[test]
    fn every_bad_value_is_reported_by_name() {
        let err = read(&[
            ("RATE_LIMITS_ENABLED", "maybe"),
            ("RATE_LIMIT_PER_CALLER", "lots"),
            ("RATE_LIMIT_PER_IP", "0/minute"),
            ("LOGIN_RATE_LIMIT_PER_IP", "10/minute,5/fortnight"),
            ("LOGIN_RATE_LIMIT_PER_EMAIL", "5"),
            ("REDIS_URL", "http://secret@example"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"),
        ])
        .err()
        .unwrap_or_default();
        for name in [
            "RATE_LIMITS_ENABLED:",
            "RATE_LIMIT_PER_CALLER:",
            "RATE_LIMIT_PER_IP:",
            "LOGIN_RATE_LIMIT_PER_IP:",
            "LOGIN_RATE_LIMIT_PER_EMAIL:",
            "REDIS_URL:",
            "TRUSTED_PROXIES:",
        ] {
            assert!(
                err.iter().any(|m| m.starts_with(name)),
                "{name} not in {err:?}"
            );
        }
        assert!(!err.iter().any(|m| m.contains("secret")), "{err:?}");
    }
}
