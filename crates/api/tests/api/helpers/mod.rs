//! The harness every HTTP test shares: `spawn_app`, the `api_test!` macros, accounts, and
//! the checks on responses. Typed request helpers are in `requests`, the thread-with-members
//! fixture in `team`, cursor paging in `paging`, and small readers of JSON values and headers
//! in `values`.

mod paging;
mod requests;
mod team;
mod values;

use std::collections::HashMap;

use api::{settings::Settings, startup::Application};
use infrastructure::testing::TestDatabase;
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

pub use paging::{pages_of, sizes};
pub use requests::Call;
pub use team::Team;
pub use values::{
    error_fields, etag, id_of, ids, let_the_clock_move, location_of, roles, sorted,
    validation_errors,
};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "correct horse battery";

/// Defines `name::sqlite` and `name::postgres`, each running the body against a freshly
/// spawned app: `api_test!(name, |app| async move { ... });`
macro_rules! api_test {
    ($name:ident, |$app:ident| $body:expr) => {
        infrastructure::backend_test!(
            $name,
            |db: infrastructure::testing::TestDatabase| async move {
                let $app: crate::helpers::TestApp = crate::helpers::spawn_app(db).await;
                $body.await;
            }
        );
    };
}

/// `api_test!` with extra settings: `api_test_with!(name, &[("VAR", "value")], |app| ...)`.
macro_rules! api_test_with {
    ($name:ident, $vars:expr, |$app:ident| $body:expr) => {
        infrastructure::backend_test!(
            $name,
            |db: infrastructure::testing::TestDatabase| async move {
                let $app: crate::helpers::TestApp = crate::helpers::spawn_app_with(db, $vars).await;
                $body.await;
            }
        );
    };
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The app's local file storage (`FILE_STORAGE_URL`), removed with the app.
    pub files_dir: tempfile::TempDir,
    /// Kept so that the database lives as long as the app.
    _db: TestDatabase,
}

/// A signed-in user as a test sees them.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub async fn spawn_app(db: TestDatabase) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// Spawns the app with extra environment variables on top of the test defaults.
pub async fn spawn_app_with(db: TestDatabase, vars: &[(&str, &str)]) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        api::telemetry::init(api::settings::LogFormat::Pretty);
    }
    let mut env: HashMap<String, String> = [
        ("BIND_ADDR", "127.0.0.1:0"),
        ("JWT_SECRET", JWT_SECRET),
        ("WORKERS", "1"),
        ("DATABASE_MAX_CONNECTIONS", "4"),
        // Off unless a test turns them on (`rate_limits.rs`): tests sign in far more often
        // than people do, all from 127.0.0.1.
        ("RATE_LIMITS_ENABLED", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.insert("DATABASE_URL".into(), db.settings.url.clone());
    let files_dir = tempfile::tempdir().expect("a folder for files");
    env.insert(
        "FILE_STORAGE_URL".into(),
        files_dir.path().display().to_string(),
    );
    for (k, v) in vars {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut settings = Settings::from_vars(&env).expect("test settings are valid");
    settings.database = db.settings.clone();
    let app = Application::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    TestApp {
        address,
        client,
        files_dir,
        _db: db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(reqwest::Method::PUT, path, token, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(reqwest::Method::DELETE, path, token, None)
            .await
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is sent")
    }

    /// Sends a raw body with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::CONTENT_TYPE, content_type)
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the request is sent")
    }

    /// Registers an account and returns its tokens. The first one is ADMIN.
    pub async fn register(&self, email: &str) -> Account {
        let response = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "name": "Test User"}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering {email}"
        );
        account(response).await
    }

    pub async fn login(&self, email: &str) -> Account {
        let response = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "logging in {email}");
        account(response).await
    }

    /// An ADMIN (registered first) and a plain user.
    pub async fn admin_and_user(&self) -> (Account, Account) {
        let admin = self.register("admin@rpotential.ai").await;
        let user = self.register("user@rpotential.ai").await;
        (admin, user)
    }
}

async fn account(response: Response) -> Account {
    let body: Value = response.json().await.expect("a JSON body");
    let data = &body["data"];
    Account {
        id: data["user"]["id"].as_str().expect("user id").to_owned(),
        email: data["user"]["email"].as_str().expect("email").to_owned(),
        access_token: data["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh_token: data["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// The JSON body, for assertions.
pub async fn json_body(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// A problem response as the contract names it: its status and the slug of its `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    pub slug: &'static str,
}

pub const INVALID: Problem = Problem::new(StatusCode::BAD_REQUEST, "validation-error");
pub const UNAUTHORIZED: Problem = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized");
pub const FORBIDDEN: Problem = Problem::new(StatusCode::FORBIDDEN, "forbidden");
pub const NOT_FOUND: Problem = Problem::new(StatusCode::NOT_FOUND, "not-found");
pub const METHOD_NOT_ALLOWED: Problem =
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
pub const CONFLICT: Problem = Problem::new(StatusCode::CONFLICT, "conflict");
/// An `If-Match` that is stale.
pub const PRECONDITION_FAILED: Problem =
    Problem::new(StatusCode::PRECONDITION_FAILED, "precondition-failed");
pub const TOO_LARGE: Problem = Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
pub const UNSUPPORTED_MEDIA_TYPE: Problem =
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");

impl Problem {
    pub const fn new(status: StatusCode, slug: &'static str) -> Self {
        Self { status, slug }
    }
}

/// Asserts a problem response of the given status and slug, and returns its body.
pub async fn assert_problem(response: Response, problem: Problem) -> Value {
    assert_problem_for(response, problem, "").await
}

/// `assert_problem`, with `context` (the case a table-driven test is at) in every message.
pub async fn assert_problem_for(response: Response, problem: Problem, context: &str) -> Value {
    let Problem { status, slug } = problem;
    assert_eq!(response.status(), status, "status {context}");
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json", "{context}");
    let body = json_body(response).await;
    assert_eq!(body["success"], json!(false), "{context}");
    assert_eq!(
        body["error"]["type"],
        json!(format!("https://experience.rpotential.dev/problems/{slug}")),
        "{context}"
    );
    assert_eq!(body["error"]["status"], json!(status.as_u16()), "{context}");
    assert!(
        body["error"]["trace_id"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "a trace id {context}"
    );
    body
}

/// Asserts a 412 `precondition-failed` problem: an `If-Match` that is stale.
pub async fn assert_precondition_failed(response: Response) {
    assert_problem(response, PRECONDITION_FAILED).await;
}

/// Asserts the status of a response and returns its `data`.
pub async fn data_of(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "status");
    json_body(response).await["data"].clone()
}

/// The verified claims of an access token the test server signed.
pub fn claims_of(token: &str) -> Value {
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256),
    )
    .expect("a token signed by the server")
    .claims
}
