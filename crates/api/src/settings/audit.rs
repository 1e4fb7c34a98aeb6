//! The audit log: how long its entries are kept.

use std::time::Duration;

use super::reader::Reader;

#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// `AUDIT_RETENTION_DAYS`: entries older than this are pruned (oldest first, the
    /// pruning itself recorded); 0 keeps them forever. 365 by default.
    pub retention_days: u32,
    /// How often the server prunes: hourly.
    pub prune_interval: Duration,
}

pub(super) fn read(r: &mut Reader<'_>) -> AuditSettings {
    let retention_days = r.parse("AUDIT_RETENTION_DAYS", 365_u32);
    // Beyond 100 years nothing is ever old enough; refusing it catches a unit mistake.
    let retention_days = if retention_days > 36_500 {
        r.fail(
            "AUDIT_RETENTION_DAYS",
            format!("{retention_days} is more than 36500 days; use 0 to keep entries forever"),
        );
        365
    } else {
        retention_days
    };
    AuditSettings {
        retention_days,
        prune_interval: Duration::from_secs(3600),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::Settings;

    fn audit_settings(pairs: &[(&str, &str)]) -> Result<u32, String> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_vars(&vars)
            .map(|s| s.audit.retention_days)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn retention_defaults_to_a_year_and_zero_keeps_forever() {
        assert_eq!(audit_settings(&[]), Ok(365));
        assert_eq!(audit_settings(&[("AUDIT_RETENTION_DAYS", "0")]), Ok(0));
        assert_eq!(audit_settings(&[("AUDIT_RETENTION_DAYS", "30")]), Ok(30));
    }

    #[test]
    fn a_bad_retention_is_reported_by_name() {
        for bad in ["-1", "a year", "99999"] {
            let result = audit_settings(&[("AUDIT_RETENTION_DAYS", bad)]);
            assert!(
                result
                    .as_ref()
                    .is_err_and(|err| err.contains("AUDIT_RETENTION_DAYS")),
                "{bad}: {result:?}"
            );
        }
    }
}
