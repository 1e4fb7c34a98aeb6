//! Users (contract section 3): listing, profiles, administration, access control,
//! `ETag`/`If-Match`, and the legacy aliases.

use std::{collections::HashSet, time::Duration};

use reqwest::{header, Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, json_body, TestApp, PASSWORD};

const UNKNOWN_ID: &str = "usr_00000000000000000000000000000000";

/// Creates a user as `token` (an ADMIN) and returns the `data` of the 201 response.
async fn create_user(app: &TestApp, token: &str, email: &str, name: &str) -> Value {
    let response = app
        .post(
            "/api/v1/users",
            Some(token),
            json!({"email": email, "name": name}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "creating {email}");
    json_body(response).await["data"].clone()
}

/// The caller's own record (`GET /api/v1/users/me`).
async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.get("/api/v1/users/me", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["data"].clone()
}

/// A user as `token` sees them (`GET /api/v1/users/{id}`).
async fn user(app: &TestApp, token: &str, id: &str) -> Value {
    let response = app.get(&format!("/api/v1/users/{id}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["data"].clone()
}

/// The `ETag` of a response, which must be a quoted strong tag.
fn etag(response: &Response) -> String {
    let tag = response
        .headers()
        .get(header::ETAG)
        .expect("an ETag header")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'),
        "ETag {tag} is a quoted strong tag"
    );
    tag
}

/// Sends a request with an `If-Match` header.
async fn send_if_match(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    if_match: &str,
    body: Option<Value>,
) -> Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header(header::IF_MATCH, if_match);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// The ids of a list response's `data`.
fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(|u| u["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// `ETag`s are versions in milliseconds: waiting a little makes the next write's tag new.
async fn let_the_clock_move() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

// ---------------------------------------------------------------------------------------
// GET /api/v1/users
// ---------------------------------------------------------------------------------------

api_test!(
    an_admin_lists_every_user_with_the_full_record,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app.get("/api/v1/users", Some(&admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        assert_eq!(
            sorted(ids(&body)),
            sorted(vec![admin.id.clone(), user.id.clone()])
        );
        for item in body["data"].as_array().unwrap() {
            for key in ["email", "name", "role", "status", "preferences"] {
                assert!(item.get(key).is_some(), "{key} is listed");
            }
        }
        assert_eq!(
            body["metadata"]["pagination"],
            json!({"limit": 20, "has_more": false, "next_cursor": null})
        );
    }
);

api_test!(a_plain_user_may_not_list_users, |app: TestApp| async move {
    let (_, user) = app.admin_and_user().await;
    let response = app.get("/api/v1/users", Some(&user.access_token)).await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
});

api_test!(
    listing_users_without_a_token_is_unauthorized,
    |app: TestApp| async move {
        app.admin_and_user().await;
        let response = app.get("/api/v1/users", None).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

api_test!(
    the_user_list_filters_by_name_or_email_case_insensitively,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let token = admin.access_token.as_str();
        let grace = create_user(&app, token, "grace@rpotential.ai", "Grace Hopper").await;
        let ada = create_user(&app, token, "ada@globant.com", "Ada Lovelace").await;
        let grace_id = grace["id"].as_str().unwrap().to_owned();
        let ada_id = ada["id"].as_str().unwrap().to_owned();

        let cases: [(&str, Vec<String>); 6] = [
            ("hOpPeR", vec![grace_id.clone()]),
            ("GLOBANT", vec![ada_id.clone()]),
            ("lovelace", vec![ada_id.clone()]),
            ("GRACE%40RPOTENTIAL", vec![grace_id.clone()]),
            ("test%20user", vec![admin.id.clone(), user.id.clone()]),
            ("nobody-matches-this", vec![]),
        ];
        for (q, expected) in cases {
            let response = app.get(&format!("/api/v1/users?q={q}"), Some(token)).await;
            assert_eq!(response.status(), StatusCode::OK, "q={q}");
            let body = json_body(response).await;
            assert_eq!(sorted(ids(&body)), sorted(expected), "q={q}");
        }
        // LIKE wildcards are matched literally.
        for q in ["%25", "_"] {
            let response = app.get(&format!("/api/v1/users?q={q}"), Some(token)).await;
            assert_eq!(response.status(), StatusCode::OK, "q={q}");
            assert_eq!(
                ids(&json_body(response).await),
                Vec::<String>::new(),
                "q={q}"
            );
        }
    }
);

api_test!(
    the_user_list_filters_by_role_and_status,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let token = admin.access_token.as_str();
        let response = app
            .post(
                "/api/v1/users",
                Some(token),
                json!({"email": "boss@rpotential.ai", "name": "Boss", "role": "ADMIN"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let boss = json_body(response).await["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let response = app
            .patch(
                &format!("/api/v1/users/{}", user.id),
                Some(token),
                json!({"status": "suspended"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let cases: [(&str, Vec<String>); 5] = [
            ("role=ADMIN", vec![admin.id.clone(), boss.clone()]),
            ("role=USER", vec![user.id.clone()]),
            ("status=suspended", vec![user.id.clone()]),
            ("status=active", vec![admin.id.clone(), boss.clone()]),
            ("role=USER&status=active", vec![]),
        ];
        for (query, expected) in cases {
            let response = app
                .get(&format!("/api/v1/users?{query}"), Some(token))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let body = json_body(response).await;
            assert_eq!(sorted(ids(&body)), sorted(expected), "{query}");
        }
    }
);

api_test!(
    paging_through_the_user_list_returns_every_user_exactly_once,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let token = admin.access_token.as_str();
        let mut expected = vec![admin.id.clone(), user.id.clone()];
        for n in 0..25 {
            let created = create_user(
                &app,
                token,
                &format!("member{n:02}@rpotential.ai"),
                &format!("Member {n:02}"),
            )
            .await;
            expected.push(created["id"].as_str().unwrap().to_owned());
        }

        // The default page size is 20.
        let response = app.get("/api/v1/users", Some(token)).await;
        let body = json_body(response).await;
        assert_eq!(ids(&body).len(), 20);
        assert_eq!(body["metadata"]["pagination"]["limit"], json!(20));
        assert_eq!(body["metadata"]["pagination"]["has_more"], json!(true));

        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut path = "/api/v1/users?limit=10".to_owned();
        for _ in 0..10 {
            let response = app.get(&path, Some(token)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body = json_body(response).await;
            let page = ids(&body);
            sizes.push(page.len());
            seen.extend(page);
            let pagination = &body["metadata"]["pagination"];
            assert_eq!(pagination["limit"], json!(10));
            match pagination["next_cursor"].as_str() {
                Some(cursor) => {
                    assert_eq!(pagination["has_more"], json!(true));
                    path = format!("/api/v1/users?limit=10&cursor={cursor}");
                }
                None => {
                    assert_eq!(pagination["has_more"], json!(false));
                    assert_eq!(pagination["next_cursor"], json!(null));
                    break;
                }
            }
        }
        assert_eq!(sizes, vec![10, 10, 7]);
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no user appears twice");
        assert_eq!(sorted(seen), sorted(expected));
    }
);

api_test!(paging_keeps_the_filters, |app: TestApp| async move {
    let (admin, _) = app.admin_and_user().await;
    let token = admin.access_token.as_str();
    let mut expected = Vec::new();
    for n in 0..5 {
        let created = create_user(
            &app,
            token,
            &format!("member{n}@rpotential.ai"),
            &format!("Member {n}"),
        )
        .await;
        expected.push(created["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?q=member&limit=2".to_owned();
    for _ in 0..5 {
        let body = json_body(app.get(&path, Some(token)).await).await;
        seen.extend(ids(&body));
        match body["metadata"]["pagination"]["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?q=member&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(sorted(seen), sorted(expected));
});

api_test!(
    a_limit_out_of_range_is_a_validation_error_naming_limit,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        for limit in ["0", "101", "-1"] {
            let response = app
                .get(
                    &format!("/api/v1/users?limit={limit}"),
                    Some(&admin.access_token),
                )
                .await;
            let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
            assert!(
                body["error"]["errors"]["limit"].is_array(),
                "limit={limit}: {body}"
            );
        }
        for limit in ["1", "100"] {
            let response = app
                .get(
                    &format!("/api/v1/users?limit={limit}"),
                    Some(&admin.access_token),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "limit={limit}");
        }
    }
);

api_test!(
    a_non_numeric_limit_is_a_validation_error_naming_limit,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .get("/api/v1/users?limit=abc", Some(&admin.access_token))
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["limit"].is_array(), "{body}");
    }
);

api_test!(
    a_garbage_cursor_is_a_validation_error_naming_cursor,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .get(
                "/api/v1/users?cursor=not*a*cursor!",
                Some(&admin.access_token),
            )
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["cursor"].is_array(), "{body}");
        let response = app
            .get("/api/v1/users?cursor=", Some(&admin.access_token))
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["cursor"].is_array(), "{body}");
    }
);

api_test!(
    a_well_encoded_cursor_this_api_never_issued_is_a_validation_error,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        // base64url("garbage"): decodes, but names no user.
        let response = app
            .get("/api/v1/users?cursor=Z2FyYmFnZQ", Some(&admin.access_token))
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["cursor"].is_array(), "{body}");
    }
);

api_test!(
    a_bad_limit_and_a_bad_cursor_are_both_named,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .get(
                "/api/v1/users?limit=0&cursor=not*a*cursor!",
                Some(&admin.access_token),
            )
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["limit"].is_array(), "{body}");
        assert!(body["error"]["errors"]["cursor"].is_array(), "{body}");
    }
);

api_test!(
    an_unknown_query_parameter_is_a_validation_error,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .get("/api/v1/users?sort=name", Some(&admin.access_token))
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
    }
);

api_test!(
    a_too_long_search_is_a_validation_error_naming_q,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let q = "x".repeat(201);
        let response = app
            .get(&format!("/api/v1/users?q={q}"), Some(&admin.access_token))
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["q"].is_array(), "{body}");
    }
);

api_test!(
    an_unknown_role_or_status_filter_is_a_validation_error,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        for query in ["role=OWNER", "role=admin", "status=deleted"] {
            let response = app
                .get(&format!("/api/v1/users?{query}"), Some(&admin.access_token))
                .await;
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// GET /api/v1/users/me and /api/v1/users/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    users_me_returns_the_callers_full_record_with_an_etag,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let response = app.get("/api/v1/users/me", Some(&user.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["id"], json!(user.id));
        assert!(data["id"].as_str().unwrap().starts_with("usr_"));
        assert_eq!(data["email"], json!("user@rpotential.ai"));
        assert_eq!(data["name"], json!("Test User"));
        assert_eq!(data["avatar_url"], json!(null));
        assert_eq!(data["role"], json!("USER"));
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["preferences"], json!({}));
        for key in ["created_at", "updated_at"] {
            let ts = data[key].as_str().expect("a timestamp");
            assert!(ts.ends_with('Z') && ts.len() == 24, "{key} = {ts}");
        }
    }
);

api_test!(
    users_me_without_a_token_is_unauthorized,
    |app: TestApp| async move {
        let response = app.get("/api/v1/users/me", None).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

api_test!(
    a_user_sees_their_own_full_record_by_id,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let response = app
            .get(
                &format!("/api/v1/users/{}", user.id),
                Some(&user.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["id"], json!(user.id));
        assert_eq!(data["email"], json!(user.email));
        assert_eq!(data["role"], json!("USER"));
        assert_eq!(data["status"], json!("active"));
    }
);

api_test!(
    an_admin_sees_anyones_full_record,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .get(
                &format!("/api/v1/users/{}", user.id),
                Some(&admin.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["id"], json!(user.id));
        assert_eq!(data["email"], json!(user.email));
        assert_eq!(data["role"], json!("USER"));
        assert!(data.get("preferences").is_some());
    }
);

api_test!(
    another_user_sees_only_the_public_profile,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .get(
                &format!("/api/v1/users/{}", admin.id),
                Some(&user.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(
            data,
            json!({"id": admin.id, "name": "Test User", "avatar_url": null})
        );
        let object = data.as_object().unwrap();
        for hidden in [
            "email",
            "role",
            "status",
            "preferences",
            "created_at",
            "updated_at",
        ] {
            assert!(!object.contains_key(hidden), "{hidden} is not shown");
        }
    }
);

api_test!(
    an_unknown_or_malformed_user_id_is_404,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        for token in [&admin.access_token, &user.access_token] {
            for id in [
                UNKNOWN_ID,
                "nope",
                "usr_XYZ",
                "thr_00000000000000000000000000000000",
            ] {
                let response = app.get(&format!("/api/v1/users/{id}"), Some(token)).await;
                assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
            }
        }
    }
);

api_test!(
    reading_a_user_without_a_token_is_unauthorized,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app.get(&format!("/api/v1/users/{}", admin.id), None).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

// ---------------------------------------------------------------------------------------
// POST /api/v1/users
// ---------------------------------------------------------------------------------------

api_test!(
    an_admin_creates_a_user_and_gets_its_location,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "  Grace@RPotential.AI ", "name": "Grace Hopper"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let data = json_body(response).await["data"].clone();
        let id = data["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("usr_"));
        assert_eq!(location, format!("/api/v1/users/{id}"));
        assert_eq!(data["email"], json!("grace@rpotential.ai"));
        assert_eq!(data["name"], json!("Grace Hopper"));
        assert_eq!(data["role"], json!("USER"));
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["avatar_url"], json!(null));
        assert_eq!(data["preferences"], json!({}));

        let fetched = user(&app, &admin.access_token, &id).await;
        assert_eq!(fetched, data);
    }
);

api_test!(
    an_admin_can_create_another_admin,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "boss@rpotential.ai", "name": "Boss", "role": "ADMIN"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(json_body(response).await["data"]["role"], json!("ADMIN"));
    }
);

api_test!(
    a_plain_user_may_not_create_users,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                Some(&user.access_token),
                json!({"email": "grace@rpotential.ai", "name": "Grace Hopper"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    creating_a_user_without_a_token_is_unauthorized,
    |app: TestApp| async move {
        app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                None,
                json!({"email": "grace@rpotential.ai", "name": "Grace Hopper"}),
            )
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

api_test!(
    creating_a_user_with_a_taken_email_is_a_conflict,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        for email in ["user@rpotential.ai", "USER@rpotential.ai"] {
            let response = app
                .post(
                    "/api/v1/users",
                    Some(&admin.access_token),
                    json!({"email": email, "name": "Someone Else"}),
                )
                .await;
            assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2);
    }
);

api_test!(
    creating_a_user_with_bad_fields_names_every_one,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "not-an-email", "name": "   ", "password": "short"}),
            )
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        let errors = body["error"]["errors"].as_object().expect("errors");
        for field in ["email", "name", "password"] {
            assert!(errors.contains_key(field), "{field} is named: {body}");
        }

        let response = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "grace@rpotential.ai", "name": "x".repeat(101)}),
            )
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        let errors = body["error"]["errors"].as_object().expect("errors");
        assert_eq!(errors.keys().collect::<Vec<_>>(), vec!["name"]);

        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    creating_a_user_with_an_unknown_field_or_without_a_name_is_rejected,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        for body in [
            json!({"email": "grace@rpotential.ai", "name": "Grace", "nickname": "amazing"}),
            json!({"email": "grace@rpotential.ai", "name": "Grace", "status": "suspended"}),
            json!({"email": "grace@rpotential.ai"}),
            json!({"email": "grace@rpotential.ai", "name": "Grace", "role": "OWNER"}),
            json!(["grace@rpotential.ai"]),
        ] {
            let response = app
                .post("/api/v1/users", Some(&admin.access_token), body.clone())
                .await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    creating_a_user_from_a_body_that_is_not_json_is_unsupported,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .post_raw(
                "/api/v1/users",
                Some(&admin.access_token),
                "text/plain",
                r#"{"email": "grace@rpotential.ai", "name": "Grace"}"#,
            )
            .await;
        assert_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        )
        .await;
        let response = app
            .post_raw(
                "/api/v1/users",
                Some(&admin.access_token),
                "application/json",
                r#"{"email": "grace@rpotential.ai", "#,
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
    }
);

api_test!(
    creating_a_user_in_a_disallowed_domain_is_forbidden,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        for email in ["mallory@evil.com", "mallory@sub.rpotential.ai"] {
            let response = app
                .post(
                    "/api/v1/users",
                    Some(&admin.access_token),
                    json!({"email": email, "name": "Mallory"}),
                )
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    a_user_created_with_a_password_can_sign_in,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "grace@rpotential.ai", "name": "Grace Hopper", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body = json_body(response).await;
        let id = body["data"]["id"].as_str().unwrap().to_owned();
        assert!(
            body["data"].get("password").is_none() && body["data"].get("password_hash").is_none(),
            "no password is echoed: {body}"
        );

        let grace = app.login("grace@rpotential.ai").await;
        assert_eq!(grace.id, id);
        let data = me(&app, &grace.access_token).await;
        assert_eq!(data["id"], json!(id));
        assert_eq!(data["role"], json!("USER"));

        let response = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "grace@rpotential.ai", "password": "not the password"}),
            )
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

api_test!(
    a_user_created_without_a_password_cannot_sign_in_with_one,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        create_user(&app, &admin.access_token, "grace@rpotential.ai", "Grace").await;
        let response = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "grace@rpotential.ai", "password": PASSWORD}),
            )
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

// ---------------------------------------------------------------------------------------
// PUT / PATCH /api/v1/users/{id}
// ---------------------------------------------------------------------------------------

api_test!(a_user_edits_their_own_profile, |app: TestApp| async move {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let before = me(&app, &user.access_token).await;
    let_the_clock_move().await;
    let response = app
        .patch(
            &path,
            Some(&user.access_token),
            json!({
                "name": "  Ada Lovelace ",
                "avatar_url": "https://cdn.example.com/ada.png",
                "preferences": {"theme": "dark", "density": {"compact": true}}
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tag = etag(&response);
    let data = json_body(response).await["data"].clone();
    assert_eq!(data["name"], json!("Ada Lovelace"));
    assert_eq!(data["avatar_url"], json!("https://cdn.example.com/ada.png"));
    assert_eq!(
        data["preferences"],
        json!({"theme": "dark", "density": {"compact": true}})
    );
    assert_eq!(data["email"], before["email"]);
    assert_eq!(data["role"], json!("USER"));
    assert_eq!(data["created_at"], before["created_at"]);
    assert_ne!(data["updated_at"], before["updated_at"]);

    let response = app.get("/api/v1/users/me", Some(&user.access_token)).await;
    assert_eq!(etag(&response), tag, "the write's ETag is the new version");
    assert_eq!(json_body(response).await["data"], data);
});

api_test!(
    put_applies_only_the_fields_present,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let token = Some(user.access_token.as_str());
        let response = app
            .put(
                &path,
                token,
                json!({
                    "name": "Ada",
                    "avatar_url": "https://cdn.example.com/ada.png",
                    "preferences": {"theme": "dark"}
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app.put(&path, token, json!({"name": "Ada Lovelace"})).await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["name"], json!("Ada Lovelace"));
        assert_eq!(data["avatar_url"], json!("https://cdn.example.com/ada.png"));
        assert_eq!(data["preferences"], json!({"theme": "dark"}));

        let response = app
            .put(&path, token, json!({"preferences": {"theme": "light"}}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = me(&app, &user.access_token).await;
        assert_eq!(data["name"], json!("Ada Lovelace"));
        assert_eq!(data["avatar_url"], json!("https://cdn.example.com/ada.png"));
        assert_eq!(data["preferences"], json!({"theme": "light"}));

        let response = app.put(&path, token, json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            data,
            "an empty PUT changes nothing"
        );
    }
);

api_test!(
    patch_applies_only_the_fields_present,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let token = Some(user.access_token.as_str());
        let response = app
            .patch(
                &path,
                token,
                json!({
                    "name": "Ada",
                    "avatar_url": "https://cdn.example.com/ada.png",
                    "preferences": {"theme": "dark"}
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app
            .patch(
                &path,
                token,
                json!({"avatar_url": "https://cdn.example.com/new.png"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = me(&app, &user.access_token).await;
        assert_eq!(data["name"], json!("Ada"));
        assert_eq!(data["avatar_url"], json!("https://cdn.example.com/new.png"));
        assert_eq!(data["preferences"], json!({"theme": "dark"}));
    }
);

api_test!(
    a_null_avatar_url_clears_the_avatar,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let token = Some(user.access_token.as_str());
        for method in [Method::PATCH, Method::PUT] {
            let response = app
                .request(
                    method.clone(),
                    &path,
                    token,
                    Some(json!({"avatar_url": "https://cdn.example.com/ada.png", "name": "Ada"})),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            let response = app
                .request(
                    method.clone(),
                    &path,
                    token,
                    Some(json!({"avatar_url": null})),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{method}");
            let data = json_body(response).await["data"].clone();
            assert_eq!(data["avatar_url"], json!(null), "{method}");
            assert_eq!(data["name"], json!("Ada"), "{method}");
            assert_eq!(
                me(&app, &user.access_token).await["avatar_url"],
                json!(null)
            );
        }
    }
);

api_test!(
    a_user_cannot_change_their_own_role,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        for method in [Method::PATCH, Method::PUT] {
            let response = app
                .request(
                    method.clone(),
                    &path,
                    Some(&user.access_token),
                    Some(json!({"role": "ADMIN", "name": "Sneaky"})),
                )
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let data = me(&app, &user.access_token).await;
        assert_eq!(data["role"], json!("USER"));
        assert_eq!(data["name"], json!("Test User"), "nothing changed");
        // Not even with a fresh token.
        let fresh = app.login(&user.email).await;
        let response = app.get("/api/v1/users", Some(&fresh.access_token)).await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
);

api_test!(
    a_user_cannot_change_their_own_status,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app
            .patch(
                &path,
                Some(&user.access_token),
                json!({"status": "suspended"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(
            me(&app, &user.access_token).await["status"],
            json!("active")
        );
    }
);

api_test!(a_user_cannot_edit_another_user, |app: TestApp| async move {
    let (admin, user) = app.admin_and_user().await;
    let other = create_user(&app, &admin.access_token, "other@rpotential.ai", "Other").await;
    let other_id = other["id"].as_str().unwrap();
    for target in [admin.id.as_str(), other_id] {
        let path = format!("/api/v1/users/{target}");
        for method in [Method::PATCH, Method::PUT] {
            let response = app
                .request(
                    method.clone(),
                    &path,
                    Some(&user.access_token),
                    Some(json!({"name": "Hacked"})),
                )
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let response = app
            .patch(
                &path,
                Some(&user.access_token),
                json!({"status": "suspended"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let seen = user_full(&app, &admin.access_token, target).await;
        assert_ne!(seen["name"], json!("Hacked"));
        assert_eq!(seen["status"], json!("active"));
    }
});

/// The full record, as an ADMIN reads it.
async fn user_full(app: &TestApp, admin_token: &str, id: &str) -> Value {
    let data = user(app, admin_token, id).await;
    assert!(data.get("email").is_some(), "the full record");
    data
}

api_test!(
    an_admin_changes_another_users_role_status_and_profile,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app
            .patch(
                &path,
                Some(&admin.access_token),
                json!({"role": "ADMIN", "status": "suspended", "name": "Renamed"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["id"], json!(user.id));
        assert_eq!(data["role"], json!("ADMIN"));
        assert_eq!(data["status"], json!("suspended"));
        assert_eq!(data["name"], json!("Renamed"));
        assert_eq!(user_full(&app, &admin.access_token, &user.id).await, data);

        let response = app
            .put(
                &path,
                Some(&admin.access_token),
                json!({"role": "USER", "status": "active"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["role"], json!("USER"));
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["name"], json!("Renamed"));
    }
);

api_test!(
    an_admin_cannot_change_their_own_role_or_status,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", admin.id);
        // Sending back the current values is no change (see
        // sending_back_your_own_unchanged_role_and_status_is_no_change).
        for body in [json!({"role": "USER"}), json!({"status": "suspended"})] {
            let response = app
                .patch(&path, Some(&admin.access_token), body.clone())
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let data = me(&app, &admin.access_token).await;
        assert_eq!(data["role"], json!("ADMIN"));
        assert_eq!(data["status"], json!("active"));
        // The profile fields are still theirs to edit.
        let response = app
            .patch(&path, Some(&admin.access_token), json!({"name": "Chief"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    invalid_profile_fields_are_validation_errors_naming_each_field,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let token = Some(user.access_token.as_str());
        let before = me(&app, &user.access_token).await;

        let response = app
            .patch(
                &path,
                token,
                json!({
                    "name": "x".repeat(101),
                    "avatar_url": "javascript:alert(1)",
                    "preferences": ["not", "an", "object"]
                }),
            )
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        let errors = body["error"]["errors"].as_object().expect("errors");
        for field in ["name", "avatar_url", "preferences"] {
            assert!(errors.contains_key(field), "{field} is named: {body}");
        }

        for (field, value) in [
            ("avatar_url", json!("/relative.png")),
            ("avatar_url", json!("ftp://cdn.example.com/a.png")),
            ("name", json!("   ")),
            ("name", json!("x".repeat(101))),
            ("preferences", json!("dark")),
            ("preferences", json!(42)),
        ] {
            let response = app.put(&path, token, json!({ field: value.clone() })).await;
            let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
            assert!(
                body["error"]["errors"][field].is_array(),
                "{field} = {value}: {body}"
            );
        }
        assert_eq!(
            me(&app, &user.access_token).await,
            before,
            "nothing changed"
        );
    }
);

api_test!(
    a_null_name_or_null_preferences_is_a_validation_error_not_ignored,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let before = me(&app, &user.access_token).await;
        // Only `avatar_url` can be cleared; a null name or preferences is not an object or a
        // name, so it is bad input rather than "absent".
        for field in ["name", "preferences"] {
            for method in [Method::PATCH, Method::PUT] {
                let response = app
                    .request(
                        method.clone(),
                        &path,
                        Some(&user.access_token),
                        Some(json!({ field: null })),
                    )
                    .await;
                let body =
                    assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
                assert!(
                    body["error"]["errors"][field].is_array(),
                    "{method} {field}: null: {body}"
                );
            }
        }
        assert_eq!(
            me(&app, &user.access_token).await,
            before,
            "nothing changed"
        );
    }
);

api_test!(
    an_unknown_field_in_an_update_is_rejected,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let before = me(&app, &user.access_token).await;
        for body in [
            json!({"email": "new@rpotential.ai"}),
            json!({"name": "Ada", "nickname": "ada"}),
            json!({"role": "OWNER"}),
            json!("a string"),
        ] {
            let response = app
                .patch(&path, Some(&user.access_token), body.clone())
                .await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
        assert_eq!(
            me(&app, &user.access_token).await,
            before,
            "nothing changed"
        );
    }
);

api_test!(
    an_update_with_the_current_etag_applies,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app.get(&path, Some(&user.access_token)).await;
        let tag = etag(&response);
        let_the_clock_move().await;
        let response = send_if_match(
            &app,
            Method::PATCH,
            &path,
            &user.access_token,
            &tag,
            Some(json!({"name": "Ada"})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let new_tag = etag(&response);
        assert_ne!(new_tag, tag, "a change moves the version");

        let_the_clock_move().await;
        let response = send_if_match(
            &app,
            Method::PUT,
            &path,
            &admin.access_token,
            &new_tag,
            Some(json!({"name": "Ada Lovelace"})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = send_if_match(
            &app,
            Method::PATCH,
            &path,
            &user.access_token,
            "*",
            Some(json!({"name": "Any Version"})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    an_update_with_a_stale_etag_is_412_and_changes_nothing,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app.get(&path, Some(&user.access_token)).await;
        let stale = etag(&response);
        let_the_clock_move().await;
        let response = app
            .patch(&path, Some(&user.access_token), json!({"name": "First"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        for method in [Method::PATCH, Method::PUT] {
            let response = send_if_match(
                &app,
                method,
                &path,
                &user.access_token,
                &stale,
                Some(json!({"name": "Second", "preferences": {"lost": "update"}})),
            )
            .await;
            assert_problem(
                response,
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
            )
            .await;
        }
        let data = me(&app, &user.access_token).await;
        assert_eq!(data["name"], json!("First"));
        assert_eq!(data["preferences"], json!({}));
    }
);

api_test!(
    concurrent_updates_without_if_match_all_go_ahead,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        // No `If-Match` means no precondition: racing writes must not fail with 412.
        let requests = (0..16).map(|n| {
            app.patch(
                &path,
                Some(&user.access_token),
                json!({ "preferences": { "n": n } }),
            )
        });
        let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
            .await
            .iter()
            .map(Response::status)
            .collect();
        assert_eq!(statuses, vec![StatusCode::OK; 16]);
    }
);

api_test!(
    updating_an_unknown_or_malformed_user_id_is_404,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        for token in [&admin.access_token, &user.access_token] {
            for id in [UNKNOWN_ID, "nope"] {
                for method in [Method::PATCH, Method::PUT] {
                    let response = app
                        .request(
                            method,
                            &format!("/api/v1/users/{id}"),
                            Some(token),
                            Some(json!({"name": "Ghost"})),
                        )
                        .await;
                    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
                }
            }
        }
    }
);

api_test!(
    updating_a_user_without_a_token_is_unauthorized,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        for method in [Method::PATCH, Method::PUT] {
            let response = app
                .request(method, &path, None, Some(json!({"name": "Ghost"})))
                .await;
            assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
);

api_test!(
    suspending_a_user_takes_effect_at_once,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        assert_eq!(
            me(&app, &user.access_token).await["status"],
            json!("active")
        );
        let response = app
            .patch(
                &path,
                Some(&admin.access_token),
                json!({"status": "suspended"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app.get("/api/v1/users/me", Some(&user.access_token)).await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app
            .patch(
                &path,
                Some(&user.access_token),
                json!({"name": "Still Here"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;

        let response = app
            .patch(
                &path,
                Some(&admin.access_token),
                json!({"status": "active"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            me(&app, &user.access_token).await["name"],
            json!("Test User")
        );
    }
);

api_test!(
    a_role_change_takes_effect_with_the_next_token,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .patch(
                &format!("/api/v1/users/{}", user.id),
                Some(&admin.access_token),
                json!({"role": "ADMIN"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app.get("/api/v1/users", Some(&user.access_token)).await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;

        let fresh = app.login(&user.email).await;
        let response = app.get("/api/v1/users", Some(&fresh.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// ---------------------------------------------------------------------------------------
// DELETE /api/v1/users/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    an_admin_deletes_a_user_whose_token_then_stops_working,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app.delete(&path, Some(&admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        assert_eq!(body["data"], json!({"id": user.id, "deleted": true}));

        let response = app.get("/api/v1/users/me", Some(&user.access_token)).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let response = app.get(&path, Some(&admin.access_token)).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": user.refresh_token}),
            )
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list), vec![admin.id.clone()]);
    }
);

api_test!(
    a_plain_user_may_not_delete_users,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        for target in [&admin.id, &user.id] {
            let response = app
                .delete(&format!("/api/v1/users/{target}"), Some(&user.access_token))
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was deleted");
    }
);

api_test!(
    an_admin_cannot_delete_themselves,
    |app: TestApp| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .delete(
                &format!("/api/v1/users/{}", admin.id),
                Some(&admin.access_token),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(me(&app, &admin.access_token).await["id"], json!(admin.id));
    }
);

api_test!(deleting_an_unknown_user_is_404, |app: TestApp| async move {
    let (admin, user) = app.admin_and_user().await;
    for id in [UNKNOWN_ID, "nope"] {
        let response = app
            .delete(&format!("/api/v1/users/{id}"), Some(&admin.access_token))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
    let path = format!("/api/v1/users/{}", user.id);
    let response = app.delete(&path, Some(&admin.access_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.delete(&path, Some(&admin.access_token)).await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
});

api_test!(
    deleting_a_user_without_a_token_is_unauthorized,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let response = app
            .delete(&format!("/api/v1/users/{}", user.id), None)
            .await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

api_test!(
    deleting_with_a_stale_etag_is_412_and_deletes_nothing,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let stale = etag(&app.get(&path, Some(&admin.access_token)).await);
        let_the_clock_move().await;
        let response = app
            .patch(&path, Some(&user.access_token), json!({"name": "Moved On"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let current = etag(&response);

        let response = send_if_match(
            &app,
            Method::DELETE,
            &path,
            &admin.access_token,
            &stale,
            None,
        )
        .await;
        assert_problem(
            response,
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
        )
        .await;
        assert_eq!(
            me(&app, &user.access_token).await["name"],
            json!("Moved On")
        );

        let response = send_if_match(
            &app,
            Method::DELETE,
            &path,
            &admin.access_token,
            &current,
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// ---------------------------------------------------------------------------------------
// Legacy aliases
// ---------------------------------------------------------------------------------------

api_test!(
    the_legacy_user_list_behaves_like_the_v1_one,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app.get("/users?limit=1", Some(&admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let legacy = json_body(response).await;
        let current = json_body(
            app.get("/api/v1/users?limit=1", Some(&admin.access_token))
                .await,
        )
        .await;
        assert_eq!(legacy["data"], current["data"]);
        assert_eq!(
            legacy["metadata"]["pagination"],
            current["metadata"]["pagination"]
        );
        assert_eq!(legacy["metadata"]["pagination"]["has_more"], json!(true));

        let response = app.get("/users", Some(&user.access_token)).await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app.get("/users", None).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let response = app.get("/users?limit=0", Some(&admin.access_token)).await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["limit"].is_array());
    }
);

api_test!(
    the_legacy_create_behaves_like_the_v1_one,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .post(
                "/users",
                Some(&admin.access_token),
                json!({"email": "grace@rpotential.ai", "name": "Grace Hopper"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let data = json_body(response).await["data"].clone();
        assert_eq!(
            location,
            format!("/api/v1/users/{}", data["id"].as_str().unwrap())
        );
        assert_eq!(data["email"], json!("grace@rpotential.ai"));
        assert_eq!(data["role"], json!("USER"));

        let response = app
            .post(
                "/users",
                Some(&admin.access_token),
                json!({"email": "grace@rpotential.ai", "name": "Again"}),
            )
            .await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        let response = app
            .post(
                "/users",
                Some(&user.access_token),
                json!({"email": "ada@rpotential.ai", "name": "Ada"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app
            .post(
                "/users",
                Some(&admin.access_token),
                json!({"email": "ada@rpotential.ai", "name": "Ada", "extra": 1}),
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
    }
);

api_test!(
    sending_back_your_own_unchanged_role_and_status_is_no_change,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app
            .put(
                &path,
                Some(&user.access_token),
                json!({"name": "Renamed", "role": "USER", "status": "active"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_body(response).await["data"]["name"], json!("Renamed"));
        let promote = app
            .patch(&path, Some(&user.access_token), json!({"role": "ADMIN"}))
            .await;
        assert_problem(promote, StatusCode::FORBIDDEN, "forbidden").await;
    }
);

api_test!(
    a_null_role_or_status_is_refused_by_name,
    |app: TestApp| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app
            .patch(
                &path,
                Some(&admin.access_token),
                json!({"role": null, "status": null}),
            )
            .await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        assert!(body["error"]["errors"]["role"].is_array());
        assert!(body["error"]["errors"]["status"].is_array());
    }
);
