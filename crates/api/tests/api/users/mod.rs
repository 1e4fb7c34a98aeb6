//! Users (contract section 3): listing, profiles, creation and access control. Changes,
//! deletion and the legacy aliases are tested in `changes`.

use std::collections::HashSet;

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_precondition_failed, assert_problem_for, etag, ids, json_body, let_the_clock_move,
    location_of, pages_of, sizes, sorted, Account, Call, TestApp, CONFLICT, FORBIDDEN, INVALID,
    NOT_FOUND, PASSWORD, UNAUTHORIZED, UNSUPPORTED_MEDIA_TYPE,
};

const UNKNOWN_ID: &str = "usr_00000000000000000000000000000000";

mod changes;

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
    app.data("/api/v1/users/me", token).await
}

/// A user as `token` sees them (`GET /api/v1/users/{id}`).
async fn user(app: &TestApp, token: &str, id: &str) -> Value {
    app.data(&format!("/api/v1/users/{id}"), token).await
}

// ---------------------------------------------------------------------------------------
// GET /api/v1/users
// ---------------------------------------------------------------------------------------

api_test!(
    an_admin_lists_every_user_with_the_full_record,
    |app| async move {
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

api_test!(a_plain_user_may_not_list_users, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let call = Call::get("/api/v1/users");
    app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
        .await;
});

api_test!(
    listing_users_without_a_token_is_unauthorized,
    |app| async move {
        app.admin_and_user().await;
        let call = Call::get("/api/v1/users");
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    the_user_list_filters_by_name_or_email_case_insensitively,
    |app| async move {
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

api_test!(the_user_list_filters_by_role_and_status, |app| async move {
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
});

api_test!(
    paging_through_the_user_list_returns_every_user_exactly_once,
    |app| async move {
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

        let pages = pages_of(&app, token, "/api/v1/users?limit=10", 10).await;
        assert_eq!(sizes(&pages), vec![10, 10, 7]);
        let seen = pages.concat();
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no user appears twice");
        assert_eq!(sorted(seen), sorted(expected));
    }
);

api_test!(paging_keeps_the_filters, |app| async move {
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
    bad_user_list_parameters_are_validation_errors_naming_them,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        let long_q = format!("q={}", "x".repeat(201));
        let cases: [(&str, &[&str]); 13] = [
            ("limit=0", &["limit"]),
            ("limit=101", &["limit"]),
            ("limit=-1", &["limit"]),
            ("limit=abc", &["limit"]),
            ("cursor=not*a*cursor!", &["cursor"]),
            ("cursor=", &["cursor"]),
            // base64url("garbage"): decodes, but names no user.
            ("cursor=Z2FyYmFnZQ", &["cursor"]),
            ("limit=0&cursor=not*a*cursor!", &["limit", "cursor"]),
            (&long_q, &["q"]),
            // Unknown parameters and filter values: refused, whatever they name.
            ("sort=name", &[]),
            ("role=OWNER", &[]),
            ("role=admin", &[]),
            ("status=deleted", &[]),
        ];
        for (query, fields) in cases {
            let call = Call::get(format!("/api/v1/users?{query}"));
            let body = app.refused(&call, Some(&admin), INVALID).await;
            for field in fields {
                assert!(body["error"]["errors"][field].is_array(), "{query}: {body}");
            }
        }
        for limit in ["1", "100"] {
            let path = format!("/api/v1/users?limit={limit}");
            app.data(&path, &admin.access_token).await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// GET /api/v1/users/me and /api/v1/users/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    users_me_returns_the_callers_full_record_with_an_etag,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let data = app
            .tagged_data("/api/v1/users/me", &user.access_token)
            .await;
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

api_test!(users_me_without_a_token_is_unauthorized, |app| async move {
    let call = Call::get("/api/v1/users/me");
    app.refused_with(&call, None, UNAUTHORIZED).await;
});

api_test!(a_user_sees_their_own_full_record_by_id, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let data = app.tagged_data(&path, &user.access_token).await;
    assert_eq!(data["id"], json!(user.id));
    assert_eq!(data["email"], json!(user.email));
    assert_eq!(data["role"], json!("USER"));
    assert_eq!(data["status"], json!("active"));
});

api_test!(an_admin_sees_anyones_full_record, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let data = app.tagged_data(&path, &admin.access_token).await;
    assert_eq!(data["id"], json!(user.id));
    assert_eq!(data["email"], json!(user.email));
    assert_eq!(data["role"], json!("USER"));
    assert!(data.get("preferences").is_some());
});

api_test!(
    another_user_sees_only_the_public_profile,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", admin.id);
        let data = app.tagged_data(&path, &user.access_token).await;
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

api_test!(an_unknown_or_malformed_user_id_is_404, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    for token in [&admin.access_token, &user.access_token] {
        for id in [
            UNKNOWN_ID,
            "nope",
            "usr_XYZ",
            "thr_00000000000000000000000000000000",
        ] {
            let call = Call::get(format!("/api/v1/users/{id}"));
            app.refused_with(&call, Some(token), NOT_FOUND).await;
        }
    }
});

api_test!(
    reading_a_user_without_a_token_is_unauthorized,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        let call = Call::get(format!("/api/v1/users/{}", admin.id));
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

// ---------------------------------------------------------------------------------------
// POST /api/v1/users
// ---------------------------------------------------------------------------------------

api_test!(
    an_admin_creates_a_user_and_gets_its_location,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "  Grace@RPotential.AI ", "name": "Grace Hopper"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
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

api_test!(an_admin_can_create_another_admin, |app| async move {
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
});

api_test!(a_plain_user_may_not_create_users, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let call = Call::post(
        "/api/v1/users",
        json!({"email": "grace@rpotential.ai", "name": "Grace Hopper"}),
    );
    app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
        .await;
    let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
    assert_eq!(ids(&list).len(), 2, "nobody was created");
});

api_test!(
    creating_a_user_without_a_token_is_unauthorized,
    |app| async move {
        app.admin_and_user().await;
        let call = Call::post(
            "/api/v1/users",
            json!({"email": "grace@rpotential.ai", "name": "Grace Hopper"}),
        );
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    creating_a_user_with_a_taken_email_is_a_conflict,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        for email in ["user@rpotential.ai", "USER@rpotential.ai"] {
            let call = Call::post(
                "/api/v1/users",
                json!({"email": email, "name": "Someone Else"}),
            );
            app.refused_with(&call, Some(&admin.access_token), CONFLICT)
                .await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2);
    }
);

api_test!(
    creating_a_user_with_bad_fields_names_every_one,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        let call = Call::post(
            "/api/v1/users",
            json!({"email": "not-an-email", "name": "   ", "password": "short"}),
        );
        let body = app
            .refused_with(&call, Some(&admin.access_token), INVALID)
            .await;
        let errors = body["error"]["errors"].as_object().expect("errors");
        for field in ["email", "name", "password"] {
            assert!(errors.contains_key(field), "{field} is named: {body}");
        }

        let call = Call::post(
            "/api/v1/users",
            json!({"email": "grace@rpotential.ai", "name": "x".repeat(101)}),
        );
        let body = app
            .refused_with(&call, Some(&admin.access_token), INVALID)
            .await;
        let errors = body["error"]["errors"].as_object().expect("errors");
        assert_eq!(errors.keys().collect::<Vec<_>>(), vec!["name"]);

        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    creating_a_user_with_an_unknown_field_or_without_a_name_is_rejected,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        for body in [
            json!({"email": "grace@rpotential.ai", "name": "Grace", "nickname": "amazing"}),
            json!({"email": "grace@rpotential.ai", "name": "Grace", "status": "suspended"}),
            json!({"email": "grace@rpotential.ai"}),
            json!({"email": "grace@rpotential.ai", "name": "Grace", "role": "OWNER"}),
            json!(["grace@rpotential.ai"]),
        ] {
            let call = Call::post("/api/v1/users", body);
            app.refused_with(&call, Some(&admin.access_token), INVALID)
                .await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    creating_a_user_from_a_body_that_is_not_json_is_unsupported,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        let token = Some(admin.access_token.as_str());
        for (content_type, body, problem) in [
            (
                "text/plain",
                r#"{"email": "grace@rpotential.ai", "name": "Grace"}"#,
                UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                "application/json",
                r#"{"email": "grace@rpotential.ai", "#,
                INVALID,
            ),
        ] {
            let response = app
                .post_raw("/api/v1/users", token, content_type, body)
                .await;
            assert_problem_for(response, problem, content_type).await;
        }
    }
);

api_test!(
    creating_a_user_in_a_disallowed_domain_is_forbidden,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        for email in ["mallory@evil.com", "mallory@sub.rpotential.ai"] {
            let call = Call::post("/api/v1/users", json!({"email": email, "name": "Mallory"}));
            app.refused_with(&call, Some(&admin.access_token), FORBIDDEN)
                .await;
        }
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list).len(), 2, "nobody was created");
    }
);

api_test!(
    a_user_created_with_a_password_can_sign_in,
    |app| async move {
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

        let call = Call::post(
            "/api/v1/auth/login",
            json!({"email": "grace@rpotential.ai", "password": "not the password"}),
        );
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    a_user_created_without_a_password_cannot_sign_in_with_one,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        create_user(&app, &admin.access_token, "grace@rpotential.ai", "Grace").await;
        let call = Call::post(
            "/api/v1/auth/login",
            json!({"email": "grace@rpotential.ai", "password": PASSWORD}),
        );
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);
