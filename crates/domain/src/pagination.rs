//! Cursor pagination, the one way every list endpoint pages.
//!
//! A cursor is the sort key of the last item a page returned, base64url-encoded so that
//! clients treat it as opaque. Repositories fetch `limit + 1` rows to learn whether another
//! page exists without counting.
//!
//! A page is also bounded by bytes: items are taken in order until their [`Weigh`]t would
//! pass [`PAGE_BUDGET_BYTES`] (always at least one item); a page cut short says more exist
//! and its cursor continues right after its last item, so following cursors still returns
//! every item exactly once. A client asking for 100 messages of 199,000 characters gets 5
//! per page instead of a 19 MiB response.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::DomainError;

/// How many items a page holds: 1 to 100, 20 when not given. Out of range is refused,
/// never clamped, so a client learns its mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// How much item weight one page may carry: 1 MiB. Large enough that ordinary pages (100
/// chat messages of a few KiB, 20 threads with their memory) are never cut, small enough
/// that a response stays around a megabyte whatever its items hold.
pub const PAGE_BUDGET_BYTES: usize = 1024 * 1024;

/// What an item adds to a response, roughly in bytes: its variable-length text and JSON,
/// plus a fixed allowance for the rest. Every type that is paged says it, so that every
/// list obeys the page budget.
pub trait Weigh {
    fn weight(&self) -> usize;
}

/// An opaque position in a list: the sort key of the last item already seen.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
    /// The page ends early when its items' weight would pass [`PAGE_BUDGET_BYTES`].
    pub fn from_overfetch(rows: Vec<T>, limit: Limit, key: impl Fn(&T) -> String) -> Self
    where
        T: Weigh,
    {
        Self::from_overfetch_within(rows, limit, PAGE_BUDGET_BYTES, key)
    }

    /// [`Self::from_overfetch`] with another byte budget: items are taken in order while
    /// their summed weight stays within `budget`, and the first item always.
    pub fn from_overfetch_within(
        mut rows: Vec<T>,
        limit: Limit,
        budget: usize,
        key: impl Fn(&T) -> String,
    ) -> Self
    where
        T: Weigh,
    {
        let fitting = items_within(&rows, limit, budget);
        let has_more = rows.len() > fitting;
        rows.truncate(fitting);
        let next = if has_more {
            rows.last().map(|last| Cursor::after(&key(last)))
        } else {
            None
        };
        Self { items: rows, next }
    }

    /// Builds a page of ranked results, which have no sort key of their own: the cursor
    /// holds the position after this page (`offset` rows came before it).
    pub fn from_overfetch_at(rows: Vec<T>, limit: Limit, offset: u64) -> Self
    where
        T: Weigh,
    {
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

/// How many of `rows`, in order, fit in a page: at most `limit`, and no more than stay
/// within `budget` bytes of weight, but at least one.
fn items_within<T: Weigh>(rows: &[T], limit: Limit, budget: usize) -> usize {
    let mut total = 0_usize;
    let mut taken = 0_usize;
    for row in rows.iter().take(limit.get() as usize) {
        total = total.saturating_add(row.weight());
        if taken > 0 && total > budget {
            break;
        }
        taken += 1;
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number weighs as many bytes as it says.
    impl Weigh for u32 {
        fn weight(&self) -> usize {
            *self as usize
        }
    }

    fn limit(n: i64) -> Limit {
        Limit::parse(Some(n)).unwrap_or(Limit::DEFAULT)
    }

    #[test]
    fn a_page_ends_before_the_item_that_would_pass_the_budget() {
        let page =
            Page::from_overfetch_within(vec![40, 40, 40, 40], limit(3), 100, |n| n.to_string());
        assert_eq!(page.items, vec![40, 40]);
        assert_eq!(page.next.map(|c| c.key().to_owned()), Some("40".to_owned()));
        let exact = Page::from_overfetch_within(vec![50, 50], limit(5), 100, |n| n.to_string());
        assert_eq!((exact.items.len(), exact.next), (2, None));
    }

    #[test]
    fn a_page_holds_one_item_even_when_it_alone_passes_the_budget() {
        let page = Page::from_overfetch_within(vec![500, 1], limit(10), 100, |n| n.to_string());
        assert_eq!(page.items, vec![500]);
        assert!(page.next.is_some());
        let last = Page::from_overfetch_within(vec![500], limit(10), 100, |n| n.to_string());
        assert_eq!((last.items, last.next), (vec![500], None));
    }

    #[test]
    fn following_cursors_of_cut_pages_returns_every_item_once() {
        let items: Vec<u32> = (1..=30).map(|i| 10_000 + i).collect();
        let mut seen = Vec::new();
        let mut after: Option<Cursor> = None;
        for _ in 0..30 {
            // What a repository would fetch: `limit + 1` rows after the cursor.
            let start = after
                .as_ref()
                .and_then(|c| items.iter().position(|n| n.to_string() == c.key()))
                .map_or(0, |i| i + 1);
            let rows: Vec<u32> = items.iter().skip(start).take(11).copied().collect();
            let page = Page::from_overfetch_within(rows, limit(10), 35_000, |n| n.to_string());
            assert!(page.items.len() <= 3, "{} items", page.items.len());
            seen.extend(page.items);
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn ordinary_pages_are_never_cut_by_the_default_budget() {
        let rows = vec![4_096_u32; 101];
        let page = Page::from_overfetch(
            rows,
            Limit::parse(Some(100)).unwrap_or(Limit::DEFAULT),
            |n| n.to_string(),
        );
        assert_eq!(page.items.len(), 100);
    }

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
        let page = Page::from_overfetch(vec![1_u32, 2, 3], limit, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.map(|c| c.key().to_owned()), Some("2".to_owned()));
        let last = Page::from_overfetch(vec![1_u32, 2], limit, |n| n.to_string());
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
