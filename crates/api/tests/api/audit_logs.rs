//! The audit log over HTTP: security-relevant actions are recorded with who did them,
//! from which address (the client's, behind a trusted proxy) and user agent, on what,
//! and whether it worked; ADMINs read them with filters; a failed write records no
//! success; the operator's `audit verify` names a tampered entry.

use std::process::Command;

use reqwest::{Method, Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, data_of, error_fields, json_body, Account, TestApp, CONFLICT, FORBIDDEN,
    INVALID, PASSWORD, UNAUTHORIZED,
};

const LOG: &str = "/api/v1/admin/audit-logs";
/// The client as the tests' trusted proxy (127.0.0.1) reports it.
const CLIENT_IP: &str = "198.51.100.23";
const AGENT: &str = "audit-test/1.0";
/// 127.0.0.1, where the tests connect from, is a trusted proxy.
const BEHIND_PROXY: &[(&str, &str)] = &[("TRUSTED_PROXIES", "127.0.0.1")];

impl TestApp {
    /// A request from `CLIENT_IP` through the trusted proxy, with the test's user agent.
    async fn send_as_client(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("X-Forwarded-For", CLIENT_IP)
            .header("User-Agent", AGENT);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is sent")
    }

    /// The audit entries `query` selects, as `admin` reads them (one page of 100).
    async fn audit(&self, admin: &Account, query: &str) -> Vec<Value> {
        let path = format!("{LOG}?limit=100&{query}");
        let data = data_of(
            self.get(&path, Some(&admin.access_token)).await,
            StatusCode::OK,
        )
        .await;
        data.as_array().expect("a list").clone()
    }

    /// The one entry of `action`, checking that there is exactly one.
    async fn only_entry(&self, admin: &Account, action: &str) -> Value {
        let entries = self.audit(admin, &format!("action={action}")).await;
        assert_eq!(entries.len(), 1, "{action}: {entries:?}");
        entries[0].clone()
    }
}

/// Asserts that `entry` came from the test's client and says `outcome`.
fn assert_from_client(entry: &Value, outcome: &str) {
    assert_eq!(entry["ip"], CLIENT_IP, "{entry}");
    assert_eq!(entry["user_agent"], AGENT, "{entry}");
    assert_eq!(entry["outcome"], outcome, "{entry}");
    assert!(entry["seq"].as_i64().is_some_and(|seq| seq > 0), "{entry}");
    assert_eq!(entry["hash"].as_str().map(str::len), Some(64), "{entry}");
}

api_test_with!(
    security_actions_are_recorded_with_actor_client_and_resource,
    BEHIND_PROXY,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;

        // A wrong password, then a right one.
        let wrong = json!({ "email": user.email, "password": "not the password" });
        let refused = app
            .send_as_client(Method::POST, "/api/v1/auth/login", None, Some(wrong))
            .await;
        assert_problem(refused, UNAUTHORIZED).await;
        let right = json!({ "email": user.email, "password": PASSWORD });
        let signed_in = app
            .send_as_client(Method::POST, "/api/v1/auth/login", None, Some(right))
            .await;
        let signed_in = data_of(signed_in, StatusCode::OK).await;
        let session_token = signed_in["access_token"].as_str().unwrap().to_owned();

        let failed = app.only_entry(&admin, "auth.login.failed").await;
        assert_from_client(&failed, "failure");
        assert_eq!(failed["actor_email"], user.email.as_str());
        assert_eq!(failed["actor_id"], Value::Null);

        let logins = app
            .audit(
                &admin,
                &format!("action=auth.login.succeeded&actor_id={}", user.id),
            )
            .await;
        // Registering signed in too (from the test client itself); the last is ours.
        let login = &logins[0];
        assert_from_client(login, "success");
        assert_eq!(login["resource_type"], "session");
        assert!(login["resource_id"].as_str().unwrap().starts_with("ses_"));

        // A role change, by the ADMIN.
        let user_path = format!("/api/v1/users/{}", user.id);
        let promoted = app
            .send_as_client(
                Method::PATCH,
                &user_path,
                Some(&admin.access_token),
                Some(json!({ "role": "ADMIN" })),
            )
            .await;
        assert_eq!(promoted.status(), StatusCode::OK);
        let role = app.only_entry(&admin, "user.role_changed").await;
        assert_from_client(&role, "success");
        assert_eq!(role["actor_id"], admin.id.as_str());
        assert_eq!(role["actor_email"], admin.email.as_str());
        assert_eq!(role["resource_type"], "user");
        assert_eq!(role["resource_id"], user.id.as_str());
        assert_eq!(role["details"], json!({ "from": "USER", "to": "ADMIN" }));

        // A member added to the ADMIN's thread.
        let thread = app.new_thread(&admin.access_token, "Plans").await;
        let added = app
            .send_as_client(
                Method::POST,
                &format!("/api/v1/threads/{thread}/members"),
                Some(&admin.access_token),
                Some(json!({ "user_id": user.id, "role": "editor" })),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
        let member = app.only_entry(&admin, "member.added").await;
        assert_from_client(&member, "success");
        assert_eq!(member["actor_id"], admin.id.as_str());
        assert_eq!(
            (&member["resource_type"], &member["resource_id"]),
            (&json!("thread"), &json!(thread))
        );
        assert_eq!(
            member["details"],
            json!({ "user_id": user.id, "role": "editor" })
        );

        // An API key made by the user.
        let key = app
            .send_as_client(
                Method::POST,
                "/api/v1/api-keys",
                Some(&session_token),
                Some(json!({ "name": "agent", "scopes": ["threads:read"] })),
            )
            .await;
        let key = data_of(key, StatusCode::CREATED).await;
        let created = app.only_entry(&admin, "api_key.created").await;
        assert_from_client(&created, "success");
        assert_eq!(created["actor_id"], user.id.as_str());
        assert_eq!(created["resource_type"], "api_key");
        assert_eq!(created["resource_id"], key["id"]);
        assert!(!created
            .to_string()
            .contains(key["secret"].as_str().unwrap()));

        // The user signs out of the session they opened.
        let out = app
            .send_as_client(
                Method::POST,
                "/api/v1/auth/logout",
                Some(&session_token),
                None,
            )
            .await;
        assert!(out.status().is_success(), "{}", out.status());
        let logout = app.only_entry(&admin, "auth.logout").await;
        assert_from_client(&logout, "success");
        assert_eq!(logout["actor_id"], user.id.as_str());
        assert_eq!(logout["resource_id"], login["resource_id"]);

        // Newest first, in one unbroken order.
        let all = app.audit(&admin, "").await;
        let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        let expected: Vec<i64> = (1..=seqs.len() as i64).rev().collect();
        assert_eq!(seqs, expected);
    }
);

api_test!(
    filters_narrow_the_log_and_bad_ones_name_the_field,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let mine = app.audit(&admin, &format!("actor_id={}", user.id)).await;
        assert!(!mine.is_empty());
        assert!(
            mine.iter().all(|e| e["actor_id"] == user.id.as_str()),
            "{mine:?}"
        );
        let created = app
            .audit(
                &admin,
                &format!("resource_type=user&resource_id={}", user.id),
            )
            .await;
        assert!(
            created.iter().any(|e| e["action"] == "user.created"),
            "{created:?}"
        );
        let later = app.audit(&admin, "from=2999-01-01T00:00:00Z").await;
        assert!(later.is_empty());
        let earlier = app.audit(&admin, "to=2000-01-01T00:00:00Z").await;
        assert!(earlier.is_empty());
        let all = app
            .audit(&admin, "from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z")
            .await;
        assert_eq!(all.len(), app.audit(&admin, "").await.len());

        // A page of one, then the next by its cursor.
        let first = json_body(
            app.get(&format!("{LOG}?limit=1"), Some(&admin.access_token))
                .await,
        )
        .await;
        let cursor = first["metadata"]["pagination"]["next_cursor"]
            .as_str()
            .expect("a next cursor");
        let second = json_body(
            app.get(
                &format!("{LOG}?limit=1&cursor={cursor}"),
                Some(&admin.access_token),
            )
            .await,
        )
        .await;
        assert!(first["data"][0]["seq"].as_i64() > second["data"][0]["seq"].as_i64());

        for (query, field) in [
            ("action=auth.nope", "action"),
            ("actor_id=someone", "actor_id"),
            ("from=yesterday", "from"),
            ("to=2024-13-01T00:00:00Z", "to"),
            ("limit=0", "limit"),
            ("cursor=%21%21", "cursor"),
            ("from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "from"),
        ] {
            let response = app
                .get(&format!("{LOG}?{query}"), Some(&admin.access_token))
                .await;
            let body = assert_problem(response, INVALID).await;
            assert_eq!(error_fields(&body), [field], "{query}");
        }
    }
);

api_test!(only_an_admin_reads_the_log, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    assert_problem(app.get(LOG, Some(&user.access_token)).await, FORBIDDEN).await;
    assert_problem(app.get(LOG, None).await, UNAUTHORIZED).await;
    // An ADMIN's key without the `admin` scope is refused too.
    let key = data_of(
        app.post(
            "/api/v1/api-keys",
            Some(&admin.access_token),
            json!({ "name": "reader", "scopes": ["threads:read"] }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let with_key = app
        .client
        .get(app.url(LOG))
        .header("X-API-Key", key["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(with_key, FORBIDDEN).await;
});

api_test!(a_failed_write_records_no_success, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let thread = app.new_thread(&admin.access_token, "Plans").await;
    app.add_member(&admin.access_token, &thread, &user.id, "editor")
        .await;
    let again = app
        .post(
            &format!("/api/v1/threads/{thread}/members"),
            Some(&admin.access_token),
            json!({ "user_id": user.id, "role": "viewer" }),
        )
        .await;
    assert_problem(again, CONFLICT).await;
    let added = app.audit(&admin, "action=member.added").await;
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["details"]["role"], "editor");
});

// ---------------------------------------------------------------------------------------
// the operator's command

/// `experience-layer audit verify` against `db`: its exit code and what it printed.
fn verify(db: &infrastructure::database::DatabaseSettings) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_experience-layer"));
    command
        .args(["audit", "verify"])
        .env_clear()
        .env("DATABASE_URL", &db.url);
    if let Some(schema) = &db.schema {
        command.env("DATABASE_SCHEMA", schema);
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

infrastructure::backend_test!(
    audit_verify_names_a_changed_entry,
    |db: infrastructure::testing::TestDatabase| async move {
        let settings = db.settings.clone();
        let app = crate::helpers::spawn_app(db).await;
        let (admin, _) = app.admin_and_user().await;
        let entries = app.audit(&admin, "").await;
        let (code, out) = verify(&settings);
        assert_eq!(
            (code, out.trim().to_owned()),
            (0, format!("audit log intact: {} entries", entries.len()))
        );

        // Someone rewrites where the second entry came from.
        let second = entries
            .iter()
            .find(|e| e["seq"] == 2)
            .expect("entry 2")
            .clone();
        let conn = infrastructure::database::connect(&settings).await.unwrap();
        conn.execute_unprepared("UPDATE audit_log SET ip = '203.0.113.66' WHERE seq = 2")
            .await
            .unwrap();
        let (code, out) = verify(&settings);
        assert_eq!(code, 3, "{out}");
        assert!(out.contains("seq 2"), "{out}");
        assert!(out.contains(second["id"].as_str().unwrap()), "{out}");
        assert!(out.contains("changed"), "{out}");
    }
);
