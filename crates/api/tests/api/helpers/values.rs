//! Small readers of what responses carry: ids, `ETag`s, validation errors.

use std::time::Duration;

use reqwest::{header, Response};
use serde_json::Value;

use super::assert_problem;

/// The `id` of a JSON object.
pub fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// The ids of a list response's `data`, in order.
pub fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(id_of)
        .collect()
}

pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// `(user_id, role)` pairs, sorted, as `TestApp::members` returns them.
pub fn roles<S: AsRef<str>>(pairs: &[(S, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(id, role)| (id.as_ref().to_owned(), (*role).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// The `Location` of a response.
pub fn location_of(response: &Response) -> String {
    let location = response.headers().get(header::LOCATION);
    let location = location.expect("a Location header").to_str();
    location.expect("an ASCII Location").to_owned()
}

/// The `ETag` of a response, which must be a quoted strong tag.
pub fn etag(response: &Response) -> String {
    let tag = response
        .headers()
        .get(header::ETAG)
        .expect("an ETag header")
        .to_str()
        .expect("an ASCII ETag")
        .to_owned();
    assert!(
        tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'),
        "ETag {tag} is a quoted strong tag"
    );
    tag
}

/// The `errors` of a validation problem, after checking it is one.
pub async fn validation_errors(response: Response) -> Value {
    let body = assert_problem(response, super::INVALID).await;
    body["error"]["errors"].clone()
}

/// The `errors` keys of a validation problem, sorted.
pub fn error_fields(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["error"]["errors"]
        .as_object()
        .expect("errors is an object")
        .keys()
        .cloned()
        .collect();
    fields.sort();
    fields
}

/// Versions, `ETag`s and sort keys are milliseconds: waiting a little makes the next
/// write's tag new and orders it after the last.
pub async fn let_the_clock_move() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}
