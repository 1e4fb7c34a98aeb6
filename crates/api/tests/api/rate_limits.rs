//! Rate limits over HTTP: sign-in attempts per address and per email, requests per caller
//! and per address, the `RateLimit-*` headers, `X-Forwarded-For` believed only from
//! trusted proxies, and limits shared by instances through Redis. Quotas are per hour, so
//! nothing comes back while a test runs and no test waits on the clock.

use api::{settings::Settings, startup::Application};
use infrastructure::{database::DatabaseSettings, testing};
use reqwest::{Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{
    assert_problem, data_of, Problem, TestApp, JWT_SECRET, PASSWORD, UNAUTHORIZED,
};

const RATE_LIMITED: Problem = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
const VICTIM: &str = "victim@rpotential.ai";

/// Limits on, 127.0.0.1 (the tests) trusted as a proxy, so `X-Forwarded-For` names the
/// client; sign-in limited to 5 attempts an hour per address and generously per email.
const BY_ADDRESS: &[(&str, &str)] = &[
    ("RATE_LIMITS_ENABLED", "true"),
    ("TRUSTED_PROXIES", "127.0.0.1"),
    ("LOGIN_RATE_LIMIT_PER_IP", "5/hour"),
    ("LOGIN_RATE_LIMIT_PER_EMAIL", "100/hour"),
];

/// A sign-in as `email` with `password`, from `address` (by `X-Forwarded-For`).
async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> Response {
    login_at(&app.address, &app.client, address, email, password).await
}

async fn login_at(
    base: &str,
    client: &reqwest::Client,
    address: &str,
    email: &str,
    password: &str,
) -> Response {
    client
        .post(format!("{base}/api/v1/auth/login"))
        .header("X-Forwarded-For", address)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("the request is sent")
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Asserts a 429 `rate-limited` problem with a `Retry-After` of whole seconds.
async fn assert_rate_limited(response: Response) {
    let retry_after = header(&response, "retry-after").and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry_after.is_some_and(|s| s >= 1),
        "Retry-After {retry_after:?}"
    );
    assert_eq!(
        header(&response, "ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert_problem(response, RATE_LIMITED).await;
}

/// Five wrong passwords from `address` are each a 401; the sixth attempt is refused.
async fn guess_until_limited(app: &TestApp, address: &str) {
    for _ in 0..5 {
        let response = login_from(app, address, VICTIM, "wrong password guess").await;
        assert_problem(response, UNAUTHORIZED).await;
    }
    assert_rate_limited(login_from(app, address, VICTIM, "yet another guess").await).await;
}

api_test_with!(
    a_login_brute_force_from_one_address_is_limited_while_another_address_signs_in,
    BY_ADDRESS,
    |app| async move {
        app.register(VICTIM).await;

        guess_until_limited(&app, "203.0.113.1").await;

        // Even the right password is refused from there now...
        assert_rate_limited(login_from(&app, "203.0.113.1", VICTIM, PASSWORD).await).await;
        // ...while the owner, elsewhere, signs in.
        let elsewhere = login_from(&app, "198.51.100.7", VICTIM, PASSWORD).await;
        assert_eq!(elsewhere.status(), StatusCode::OK);
    }
);

api_test_with!(
    a_forwarded_for_from_an_untrusted_peer_changes_nothing,
    &[
        ("RATE_LIMITS_ENABLED", "true"),
        ("LOGIN_RATE_LIMIT_PER_IP", "5/hour"),
        ("LOGIN_RATE_LIMIT_PER_EMAIL", "100/hour"),
    ],
    |app| async move {
        app.register(VICTIM).await;
        for n in 0..5 {
            let spoofed = format!("203.0.113.{n}");
            let response = login_from(&app, &spoofed, VICTIM, "wrong password guess").await;
            assert_problem(response, UNAUTHORIZED).await;
        }

        // A new address in the header each time: still the same peer, still limited.
        assert_rate_limited(login_from(&app, "198.51.100.7", VICTIM, PASSWORD).await).await;
    }
);

api_test_with!(
    guesses_at_one_email_are_limited_from_any_address,
    &[
        ("RATE_LIMITS_ENABLED", "true"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("LOGIN_RATE_LIMIT_PER_IP", "100/hour"),
        ("LOGIN_RATE_LIMIT_PER_EMAIL", "3/hour"),
    ],
    |app| async move {
        app.register(VICTIM).await;
        app.register("bystander@rpotential.ai").await;
        for n in 0..3 {
            let address = format!("203.0.113.{n}");
            let response = login_from(&app, &address, VICTIM, "wrong password guess").await;
            assert_problem(response, UNAUTHORIZED).await;
        }

        // A fresh address does not help a guesser (nor, for now, the owner)...
        assert_rate_limited(login_from(&app, "198.51.100.7", VICTIM, PASSWORD).await).await;
        // ...and other accounts are untouched.
        let other = login_from(&app, "203.0.113.1", "bystander@rpotential.ai", PASSWORD).await;
        assert_eq!(other.status(), StatusCode::OK);
    }
);

api_test_with!(
    a_refused_login_starts_no_session,
    BY_ADDRESS,
    |app| async move {
        let account = app.register(VICTIM).await;
        guess_until_limited(&app, "203.0.113.1").await;
        assert_rate_limited(login_from(&app, "203.0.113.1", VICTIM, PASSWORD).await).await;

        let sessions = app
            .get("/api/v1/auth/sessions", Some(&account.access_token))
            .await;
        let sessions = data_of(sessions, StatusCode::OK).await;

        // Only the registration's session.
        assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");
    }
);

api_test_with!(
    a_request_refused_for_its_address_creates_nothing,
    &[
        ("RATE_LIMITS_ENABLED", "true"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_LIMIT_PER_IP", "2/hour"),
    ],
    |app| async move {
        let register = |email: &'static str| {
            app.client
                .post(app.url("/api/v1/auth/register"))
                .header("X-Forwarded-For", "203.0.113.1")
                .json(&json!({"email": email, "password": PASSWORD, "name": "Someone"}))
                .send()
        };
        assert_eq!(
            register("a@rpotential.ai").await.unwrap().status(),
            StatusCode::CREATED
        );
        assert_eq!(
            register("b@rpotential.ai").await.unwrap().status(),
            StatusCode::CREATED
        );

        assert_rate_limited(register("c@rpotential.ai").await.unwrap()).await;

        // From elsewhere: the refused account does not exist.
        let response = login_from(&app, "198.51.100.7", "c@rpotential.ai", PASSWORD).await;
        assert_problem(response, UNAUTHORIZED).await;
    }
);

api_test_with!(
    ratelimit_headers_count_down_on_limited_routes_and_a_caller_is_refused_past_the_quota,
    &[
        ("RATE_LIMITS_ENABLED", "true"),
        ("RATE_LIMIT_PER_CALLER", "4/hour"),
    ],
    |app| async move {
        let account = app.register(VICTIM).await;
        let token = Some(account.access_token.as_str());

        let mut remaining = Vec::new();
        for _ in 0..4 {
            let response = app.get("/api/v1/users/me", token).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(header(&response, "ratelimit-limit").as_deref(), Some("4"));
            let reset = header(&response, "ratelimit-reset").and_then(|v| v.parse::<u64>().ok());
            assert!(reset.is_some_and(|s| (1..=3_600).contains(&s)), "{reset:?}");
            remaining.push(header(&response, "ratelimit-remaining"));
        }
        assert_eq!(
            remaining,
            ["3", "2", "1", "0"].map(|s| Some(s.to_owned())).to_vec()
        );

        assert_rate_limited(app.get("/api/v1/users/me", token).await).await;
        // The health check is never limited and says nothing of limits.
        let health = app.get("/health", None).await;
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(header(&health, "ratelimit-limit"), None);
    }
);

/// Another instance of the app over the same database, with `vars`: its address, and its
/// file storage (removed when dropped).
async fn spawn_instance(
    database: DatabaseSettings,
    vars: &[(&str, &str)],
) -> (String, tempfile::TempDir) {
    let files = tempfile::tempdir().expect("a folder for files");
    let mut env: std::collections::HashMap<String, String> = [
        ("BIND_ADDR", "127.0.0.1:0"),
        ("JWT_SECRET", JWT_SECRET),
        ("WORKERS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.insert("DATABASE_URL".into(), database.url.clone());
    env.insert(
        "FILE_STORAGE_URL".into(),
        files.path().display().to_string(),
    );
    for (k, v) in vars {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut settings = Settings::from_vars(&env).expect("test settings are valid");
    settings.database = database;
    let app = Application::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, files)
}

mod two_instances_sharing_redis_enforce_one_limit {
    use super::*;

    #[tokio::test]
    #[ignore = "needs Redis: set TEST_REDIS_URL and run with --include-ignored"]
    async fn redis() {
        let url = testing::redis_url().await;
        let prefix = testing::unique_prefix();
        let vars = [
            ("RATE_LIMITS_ENABLED", "true"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
            ("LOGIN_RATE_LIMIT_PER_IP", "4/hour"),
            ("LOGIN_RATE_LIMIT_PER_EMAIL", "100/hour"),
            ("REDIS_URL", url.expose_secret()),
            ("RATE_LIMIT_KEY_PREFIX", prefix.as_str()),
        ];
        let db = testing::TestDatabase::sqlite();
        let database = db.settings.clone();
        let first = crate::helpers::spawn_app_with(db, &vars).await;
        let (second, _files) = spawn_instance(database, &vars).await;
        first.register(VICTIM).await;

        // Two guesses on each instance: four in all, the quota.
        for base in [&first.address, &second, &first.address, &second] {
            let response =
                login_at(base, &first.client, "203.0.113.1", VICTIM, "wrong guess").await;
            assert_problem(response, UNAUTHORIZED).await;
        }

        // Each instance alone has seen two; together they refuse the fifth.
        for base in [&first.address, &second] {
            let response = login_at(base, &first.client, "203.0.113.1", VICTIM, PASSWORD).await;
            assert_rate_limited(response).await;
        }
        let elsewhere = login_at(&second, &first.client, "198.51.100.7", VICTIM, PASSWORD).await;
        assert_eq!(elsewhere.status(), StatusCode::OK);
    }
}

api_test_with!(
    an_idempotent_create_is_replayed_with_limits_on,
    &[("RATE_LIMITS_ENABLED", "true")],
    |app| async move {
        let account = app.register(VICTIM).await;
        let create = || {
            app.client
                .post(app.url("/api/v1/threads"))
                .bearer_auth(&account.access_token)
                .header("Idempotency-Key", "one-thread")
                .json(&json!({"title": "Once"}))
                .send()
        };

        let first = data_of(create().await.unwrap(), StatusCode::CREATED).await;
        let again = create().await.unwrap();
        assert!(header(&again, "ratelimit-remaining").is_some());
        let again = data_of(again, StatusCode::CREATED).await;

        assert_eq!(first["id"], again["id"]);
    }
);
