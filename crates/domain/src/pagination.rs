//! Cursor pagination, the one way every list endpoint pages.
//!
//! A cursor is the sort key of the last item a page returned, base64url-encoded so that
//! clients treat it as opaque. Repositories fetch `limit + 1` rows to learn whether another
//! page exists without counting.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::DomainError;

/// How many items a page holds: 1 to 100, 20 when not given. Out of range is refused,
/// never clamped, so a client learns its mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(u64);

impl Limit {
    pub const MAX: u64 = 100;
    pub const DEFAULT: Limit = Limit(20);

    pub fn parse(value: Option<i64>) -> Result<Self, DomainError> {
        match value {
            None => Ok(Self::DEFAULT),
            Some(n) if (1..=Self::MAX as i64).contains(&n) => Ok(Self(n as u64)),
            Some(_) => Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// An opaque position in a list: the sort key of the last item already seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn after(key: &str) -> Self {
        Self(key.to_owned())
    }

    pub fn key(&self) -> &str {
        &self.0
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    pub fn decode(raw: &str) -> Result<Self, DomainError> {
        URL_SAFE_NO_PAD
            .decode(raw.as_bytes())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|key| !key.is_empty() && key.len() <= 512)
            .map(Self)
            .ok_or_else(|| DomainError::invalid("cursor", "is not a cursor this API returned"))
    }
}

/// Which page to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Limit,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Parses the `limit` and `cursor` query parameters as sent, reporting both if both
    /// are bad.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        let number = match limit.map(str::parse::<i64>) {
            None => Ok(None),
            Some(Ok(n)) => Ok(Some(n)),
            Some(Err(_)) => Err(DomainError::invalid("limit", "must be a whole number")),
        };
        let limit = v.check("limit", number.and_then(Limit::parse));
        let after = v.check("cursor", cursor.map(Cursor::decode).transpose());
        v.finish()?;
        match (limit, after) {
            (Some(limit), Some(after)) => Ok(Self { limit, after }),
            _ => Err(DomainError::invalid("", "invalid page request")),
        }
    }

    pub fn first(limit: Limit) -> Self {
        Self { limit, after: None }
    }
}

/// One page of results and where the next one starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says that more exist.
    pub fn from_overfetch(mut rows: Vec<T>, limit: Limit, key: impl Fn(&T) -> String) -> Self {
        let has_more = rows.len() as u64 > limit.get();
        rows.truncate(limit.get() as usize);
        let next = if has_more {
            rows.last().map(|last| Cursor::after(&key(last)))
        } else {
            None
        };
        Self { items: rows, next }
    }

    /// Builds a page of ranked results, which have no sort key of their own: the cursor
    /// holds the position after this page (`offset` rows came before it).
    pub fn from_overfetch_at(rows: Vec<T>, limit: Limit, offset: u64) -> Self {
        let mut page = Self::from_overfetch(rows, limit, |_| String::new());
        let shown = offset + page.items.len() as u64;
        page.next = page.next.map(|_| Cursor::after(&shown.to_string()));
        page
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_twenty_and_refuses_out_of_range() {
        assert_eq!(Limit::parse(None).map(Limit::get).ok(), Some(20));
        assert_eq!(Limit::parse(Some(100)).map(Limit::get).ok(), Some(100));
        assert!(Limit::parse(Some(0)).is_err());
        assert!(Limit::parse(Some(101)).is_err());
        assert!(Limit::parse(Some(-1)).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor::after("usr_123");
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        assert!(Cursor::decode("%%%").is_err());
        assert!(Cursor::decode("").is_err());
    }

    #[test]
    fn a_page_built_from_an_extra_row_says_more_exist() {
        let limit = Limit::parse(Some(2)).unwrap_or(Limit::DEFAULT);
        let page = Page::from_overfetch(vec![1, 2, 3], limit, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.map(|c| c.key().to_owned()), Some("2".to_owned()));
        let last = Page::from_overfetch(vec![1, 2], limit, |n| n.to_string());
        assert_eq!(last.next, None);
    }

    #[test]
    fn a_limit_that_is_no_number_is_refused() {
        let Err(DomainError::Validation(errors)) = PageRequest::parse(Some("abc"), None) else {
            panic!("expected validation error");
        };
        assert!(errors.contains_key("limit"));
        assert_eq!(
            PageRequest::parse(Some("7"), None)
                .map(|p| p.limit.get())
                .ok(),
            Some(7)
        );
    }

    #[test]
    fn page_request_reports_limit_and_cursor_together() {
        let Err(DomainError::Validation(errors)) = PageRequest::parse(Some("0"), Some("%")) else {
            panic!("expected validation error");
        };
        assert!(errors.contains_key("limit") && errors.contains_key("cursor"));
    }
}
