//! Typed request helpers: one call for a request the tests send again and again, checking
//! the status a test relies on and returning the part of the answer it reads.

use std::fmt;

use reqwest::{header, Method, Response, StatusCode};
use serde_json::{json, Value};

use super::{assert_problem_for, etag, id_of, json_body, Account, Problem, TestApp};

/// One request a test sends, perhaps as several callers: method, path and JSON body.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>, body: Option<Value>) -> Self {
        Self {
            method,
            path: path.into(),
            body,
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path, None)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path, None)
    }

    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::POST, path, Some(body))
    }

    pub fn put(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::PUT, path, Some(body))
    }

    pub fn patch(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::PATCH, path, Some(body))
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        match &self.body {
            Some(body) => write!(f, " {body}"),
            None => Ok(()),
        }
    }
}

impl TestApp {
    /// Sends `call` as `token` (none: without a token).
    pub async fn call(&self, call: &Call, token: Option<&str>) -> Response {
        let Call { method, path, body } = call;
        self.request(method.clone(), path, token, body.clone())
            .await
    }

    /// Sends `call` as `caller` (none: without a token), asserts that it is refused with
    /// `problem`, and returns the problem's body. Failures name the call and the caller.
    pub async fn refused(&self, call: &Call, caller: Option<&Account>, problem: Problem) -> Value {
        let token = caller.map(|account| account.access_token.as_str());
        let who = caller.map_or("no token", |account| account.email.as_str());
        let response = self.call(call, token).await;
        assert_problem_for(response, problem, &format!("for {call} as {who}")).await
    }

    /// `refused`, for a caller known by their token only.
    pub async fn refused_with(&self, call: &Call, token: Option<&str>, problem: Problem) -> Value {
        let response = self.call(call, token).await;
        assert_problem_for(response, problem, &format!("for {call}")).await
    }

    /// `refused` for each `(call, caller, problem)` case, in order.
    pub async fn refuses(&self, cases: &[(Call, Option<&Account>, Problem)]) {
        for (call, caller, problem) in cases {
            self.refused(call, *caller, *problem).await;
        }
    }

    /// `refused_with` for `body` sent both ways a resource is changed: `PATCH` and `PUT`.
    pub async fn edits_refused(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
        problem: Problem,
    ) {
        for method in [Method::PATCH, Method::PUT] {
            let call = Call::new(method, path, Some(body.clone()));
            self.refused_with(&call, token, problem).await;
        }
    }

    /// Asserts that `PATCH` and `PUT` of `body` with `If-Match: tag` (a stale tag) both
    /// fail with 412.
    pub async fn stale_edits_refused(&self, path: &str, token: &str, tag: &str, body: Value) {
        for method in [Method::PATCH, Method::PUT] {
            let response = self
                .send_if_match(method.clone(), path, token, tag, Some(body.clone()))
                .await;
            let context = format!("for {method} {path} with If-Match {tag}");
            assert_problem_for(response, super::PRECONDITION_FAILED, &context).await;
        }
    }

    /// `stale_edits_refused`, and a `DELETE` with `If-Match: tag` fails with 412 too.
    pub async fn stale_writes_refused(&self, path: &str, token: &str, tag: &str, body: Value) {
        self.stale_edits_refused(path, token, tag, body).await;
        let response = self.delete_if_match(path, token, tag).await;
        let context = format!("for DELETE {path} with If-Match {tag}");
        assert_problem_for(response, super::PRECONDITION_FAILED, &context).await;
    }

    /// Sends `call` as `token`, checks that it answers `status`, and returns the `data`.
    pub async fn expect(&self, call: &Call, token: &str, status: StatusCode) -> Value {
        let response = self.call(call, Some(token)).await;
        assert_eq!(response.status(), status, "{call}");
        json_body(response).await["data"].clone()
    }

    /// Sends a request as `token` with extra headers and an optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is sent")
    }

    /// Sends a request with `If-Match: tag`.
    pub async fn send_if_match(
        &self,
        method: Method,
        path: &str,
        token: &str,
        tag: &str,
        body: Option<Value>,
    ) -> Response {
        let headers = [(header::IF_MATCH.as_str(), tag)];
        self.send(method, path, token, &headers, body).await
    }

    /// `PATCH` with `If-Match: tag`.
    pub async fn patch_if_match(
        &self,
        path: &str,
        token: &str,
        tag: &str,
        body: Value,
    ) -> Response {
        self.send_if_match(Method::PATCH, path, token, tag, Some(body))
            .await
    }

    /// `PUT` with `If-Match: tag`.
    pub async fn put_if_match(&self, path: &str, token: &str, tag: &str, body: Value) -> Response {
        self.send_if_match(Method::PUT, path, token, tag, Some(body))
            .await
    }

    /// `DELETE` with `If-Match: tag`.
    pub async fn delete_if_match(&self, path: &str, token: &str, tag: &str) -> Response {
        self.send_if_match(Method::DELETE, path, token, tag, None)
            .await
    }

    /// The `data` of a `GET` as `token`, after checking the 200.
    pub async fn data(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        json_body(response).await["data"].clone()
    }

    /// `data`, for a `GET` that must also carry an `ETag`.
    pub async fn tagged_data(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        etag(&response);
        json_body(response).await["data"].clone()
    }

    /// The `data` array of a `GET` as `token`, after checking the 200.
    pub async fn list(&self, path: &str, token: &str) -> Vec<Value> {
        self.data(path, token)
            .await
            .as_array()
            .expect("data is an array")
            .clone()
    }

    /// The current `ETag` of what `path` names, as `token` sees it.
    pub async fn current_etag(&self, token: &str, path: &str) -> String {
        let response = self.get(path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        etag(&response)
    }

    /// Creates a thread as `token` and returns the `data` of the 201 response.
    pub async fn create_thread(&self, token: &str, title: &str) -> Value {
        let response = self
            .post("/api/v1/threads", Some(token), json!({"title": title}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {title}");
        json_body(response).await["data"].clone()
    }

    /// Creates a thread as `token` (who becomes its owner) and returns its id.
    pub async fn new_thread(&self, token: &str, title: &str) -> String {
        id_of(&self.create_thread(token, title).await)
    }

    /// A plain user (registered after the ADMIN) and the id of a thread they own.
    pub async fn user_with_thread(&self, title: &str) -> (Account, String) {
        let (_, user) = self.admin_and_user().await;
        let thread = self.new_thread(&user.access_token, title).await;
        (user, thread)
    }

    /// A thread as `token` sees it.
    pub async fn thread(&self, token: &str, id: &str) -> Value {
        self.data(&format!("/api/v1/threads/{id}"), token).await
    }

    /// How many messages a thread counts, as `token` sees it.
    pub async fn message_count(&self, token: &str, thread: &str) -> i64 {
        let count = &self.thread(token, thread).await["message_count"];
        count.as_i64().expect("message_count is a number")
    }

    /// Adds `user_id` to a thread with `role` as `token` (an owner of it) and returns the
    /// `data` of the 201 response.
    pub async fn add_member(&self, token: &str, thread: &str, user_id: &str, role: &str) -> Value {
        let response = self
            .post(
                &format!("/api/v1/threads/{thread}/members"),
                Some(token),
                json!({"user_id": user_id, "role": role}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "adding {user_id}");
        json_body(response).await["data"].clone()
    }

    /// The members of a thread as `token` sees them: `(user_id, role)`, sorted.
    pub async fn members(&self, token: &str, thread: &str) -> Vec<(String, String)> {
        let path = format!("/api/v1/threads/{thread}/members");
        let mut members: Vec<(String, String)> = self
            .list(&path, token)
            .await
            .iter()
            .map(|m| {
                (
                    m["user_id"].as_str().expect("user_id").to_owned(),
                    m["role"].as_str().expect("role").to_owned(),
                )
            })
            .collect();
        members.sort();
        members
    }

    /// Sends `POST /threads/{thread}/messages`.
    pub async fn post_message(&self, token: &str, thread: &str, body: Value) -> Response {
        let path = format!("/api/v1/threads/{thread}/messages");
        self.post(&path, Some(token), body).await
    }

    /// Posts `content` and returns the new message's `data`, after checking the 201.
    pub async fn say(&self, token: &str, thread: &str, content: &str) -> Value {
        let response = self
            .post_message(token, thread, json!({ "content": content }))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "posting {content:?} to {thread}"
        );
        json_body(response).await["data"].clone()
    }

    /// A message as `token` sees it.
    pub async fn message(&self, token: &str, id: &str) -> Value {
        self.data(&format!("/api/v1/messages/{id}"), token).await
    }
}
