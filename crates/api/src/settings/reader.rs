//! Reading variables one at a time, collecting every bad value instead of stopping at the
//! first, so that an operator fixes a configuration in one pass.

use std::{collections::HashMap, ops::RangeInclusive, str::FromStr, time::Duration};

pub(super) struct Reader<'a> {
    vars: &'a HashMap<String, String>,
    pub(super) errors: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(vars: &'a HashMap<String, String>) -> Self {
        Self {
            vars,
            errors: Vec::new(),
        }
    }

    pub(super) fn fail(&mut self, name: &str, message: String) {
        self.errors.push(format!("{name}: {message}"));
    }

    pub(super) fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn text(&self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_owned())
    }

    /// A comma-separated list, blanks dropped.
    pub(super) fn list(&self, name: &str, default: &str) -> Vec<String> {
        self.text(name, default)
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The variable parsed, or `default` when it is not set.
    pub(super) fn parse<T: FromStr>(&mut self, name: &str, default: T) -> T {
        let Some(raw) = self.optional(name) else {
            return default;
        };
        raw.parse().unwrap_or_else(|_| {
            self.fail(name, format!("cannot read {raw:?}"));
            default
        })
    }

    /// A whole number that must be above zero.
    pub(super) fn positive(&mut self, name: &str, default: usize) -> usize {
        let value = self.parse(name, default);
        if value == 0 {
            self.fail(name, "must be a positive whole number".into());
        }
        value
    }

    /// A number of seconds within `range`.
    pub(super) fn seconds(
        &mut self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Duration {
        let value = self.parse(name, default);
        if !range.contains(&value) {
            self.fail(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            );
        }
        Duration::from_secs(value)
    }

    pub(super) fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.optional(name).as_deref() {
            None => default,
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                self.fail(name, format!("must be true or false, not {other:?}"));
                default
            }
        }
    }

    /// One of `choices`, by its name; after a bad value, the first choice stands in.
    pub(super) fn choice<T: Copy, const N: usize>(
        &mut self,
        name: &str,
        default: &str,
        choices: [(&str, T); N],
    ) -> Option<T> {
        let raw = self.text(name, default);
        let found = choices
            .iter()
            .find(|(key, _)| *key == raw)
            .map(|(_, value)| *value);
        if found.is_none() {
            let names: Vec<&str> = choices.iter().map(|(key, _)| *key).collect();
            self.fail(name, format!("must be {}, not {raw:?}", names.join(" or ")));
        }
        found
    }

    /// The contents of the file a variable names.
    pub(super) fn file_contents(&mut self, name: &str) -> Option<String> {
        let path = self.optional(name)?;
        match std::fs::read_to_string(&path) {
            Ok(contents) => Some(contents),
            Err(err) => {
                self.fail(name, format!("cannot read {path}: {err}"));
                None
            }
        }
    }
}
