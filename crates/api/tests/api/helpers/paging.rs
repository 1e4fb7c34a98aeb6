//! Following a list's `next_cursor` from its first page to its last.

use reqwest::StatusCode;
use serde_json::json;

use super::{ids, json_body, TestApp};

/// Follows `next_cursor` from `first` (a list path whose query sets `limit`) to the last
/// page as `token`, checking every page's pagination, and returns the ids page by page.
pub async fn pages_of(app: &TestApp, token: &str, first: &str, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut path = first.to_owned();
    // A bound, so that a cursor that never ends fails the test instead of hanging it.
    for _ in 0..100 {
        let response = app.get(&path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = json_body(response).await;
        let page = ids(&body);
        assert!(
            page.len() <= limit,
            "{path}: a page holds at most the limit"
        );
        pages.push(page);
        let pagination = &body["metadata"]["pagination"];
        assert_eq!(pagination["limit"], json!(limit), "{path}");
        match pagination["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(pagination["has_more"], json!(true), "{path}");
                path = format!("{first}&cursor={cursor}");
            }
            None => {
                assert_eq!(pagination["has_more"], json!(false), "{path}");
                assert_eq!(pagination["next_cursor"], json!(null), "{path}");
                return pages;
            }
        }
    }
    panic!("paging {first} did not end within 100 pages");
}

/// How many ids each page held.
pub fn sizes(pages: &[Vec<String>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}
