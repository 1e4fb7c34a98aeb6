//! `Idempotency-Key` on create endpoints.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_body, TestApp, CONFLICT, INVALID};

async fn create_user(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/users"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

api_test!(
    a_retried_create_returns_the_original_response_and_creates_once,
    |app| async move {
        let admin = app.register("admin@rpotential.ai").await;
        let body = json!({"email": "grace@rpotential.ai", "name": "Grace"});
        let first = create_user(&app, &admin.access_token, "key-1", &body).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let location = first.headers()["location"].to_str().unwrap().to_owned();
        let first = json_body(first).await;

        let second = create_user(&app, &admin.access_token, "key-1", &body).await;
        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        assert_eq!(second.headers()["location"].to_str().unwrap(), location);
        let second = json_body(second).await;
        assert_eq!(first["data"], second["data"]);

        let list = json_body(
            app.get("/api/v1/users?q=grace", Some(&admin.access_token))
                .await,
        )
        .await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
    }
);

api_test!(
    the_same_key_with_another_body_is_a_conflict,
    |app| async move {
        let admin = app.register("admin@rpotential.ai").await;
        let first = create_user(
            &app,
            &admin.access_token,
            "key-2",
            &json!({"email": "a@rpotential.ai", "name": "A"}),
        )
        .await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let other = create_user(
            &app,
            &admin.access_token,
            "key-2",
            &json!({"email": "b@rpotential.ai", "name": "B"}),
        )
        .await;
        assert_problem(other, CONFLICT).await;
        let list = json_body(
            app.get("/api/v1/users?q=b%40", Some(&admin.access_token))
                .await,
        )
        .await;
        assert_eq!(list["data"].as_array().unwrap().len(), 0);
    }
);

api_test!(keys_are_scoped_to_the_caller, |app| async move {
    let admin = app.register("admin@rpotential.ai").await;
    let body = json!({"email": "c@rpotential.ai", "name": "C"});
    let created = create_user(&app, &admin.access_token, "shared", &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Another admin's same key is a fresh claim: it runs, and the email is taken.
    let promoted = app
        .post("/api/v1/users", Some(&admin.access_token), json!({"email": "root2@rpotential.ai", "name": "R", "role": "ADMIN", "password": crate::helpers::PASSWORD}))
        .await;
    assert_eq!(promoted.status(), StatusCode::CREATED);
    let other_admin = app.login("root2@rpotential.ai").await;
    let again = create_user(&app, &other_admin.access_token, "shared", &body).await;
    assert!(again.headers().get("idempotent-replayed").is_none());
    assert_problem(again, CONFLICT).await;
});

api_test!(a_failed_create_does_not_burn_the_key, |app| async move {
    let admin = app.register("admin@rpotential.ai").await;
    let bad = create_user(
        &app,
        &admin.access_token,
        "key-3",
        &json!({"email": "nope", "name": "X"}),
    )
    .await;
    assert_problem(bad, INVALID).await;
    let good = create_user(
        &app,
        &admin.access_token,
        "key-3",
        &json!({"email": "d@rpotential.ai", "name": "D"}),
    )
    .await;
    assert_eq!(good.status(), StatusCode::CREATED);
    assert!(good.headers().get("idempotent-replayed").is_none());
});

api_test!(an_invalid_key_is_a_validation_error, |app| async move {
    let admin = app.register("admin@rpotential.ai").await;
    let long = "k".repeat(256);
    let response = create_user(
        &app,
        &admin.access_token,
        &long,
        &json!({"email": "e@rpotential.ai", "name": "E"}),
    )
    .await;
    let body = assert_problem(response, INVALID).await;
    assert!(body["error"]["errors"]["Idempotency-Key"].is_array());
});

api_test!(
    registration_stores_no_response_under_a_key,
    |app| async move {
        // A stored register response would keep live tokens in the database: a retry of a
        // registration is answered by the email's uniqueness instead.
        let body =
            json!({"email": "f@rpotential.ai", "password": crate::helpers::PASSWORD, "name": "F"});
        let send = || {
            app.client
                .post(app.url("/api/v1/auth/register"))
                .header("idempotency-key", "register-1")
                .json(&body)
                .send()
        };
        assert_eq!(send().await.unwrap().status(), StatusCode::CREATED);
        let retry = send().await.unwrap();
        assert!(retry.headers().get("idempotent-replayed").is_none());
        assert_problem(retry, CONFLICT).await;
    }
);
