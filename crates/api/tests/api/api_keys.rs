//! API keys over HTTP: creating, listing, changing, rotating and deleting them, and what a
//! request with `X-API-Key` may do (its owner's rights, limited to the key's scopes).

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{header, Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, assert_problem_for, data_of, error_fields, etag, json_body, location_of,
    pages_of, sizes, validation_errors, Account, TestApp, FORBIDDEN, INVALID, NOT_FOUND,
    UNAUTHORIZED,
};

const KEYS: &str = "/api/v1/api-keys";

fn key_path(id: &str) -> String {
    format!("{KEYS}/{id}")
}

/// A key as its creator got it: its record and its secret.
struct Key {
    id: String,
    secret: String,
}

impl TestApp {
    /// Creates a key for `owner` with `scopes`, checking the 201.
    async fn key(&self, owner: &Account, scopes: &[&str]) -> Key {
        let body = json!({ "name": "agent", "scopes": scopes });
        let response = self.post(KEYS, Some(&owner.access_token), body).await;
        let data = data_of(response, StatusCode::CREATED).await;
        Key {
            id: data["id"].as_str().expect("an id").to_owned(),
            secret: data["secret"].as_str().expect("a secret").to_owned(),
        }
    }

    /// Sends a request authenticated by `X-API-Key: secret` alone.
    async fn with_key(
        &self,
        method: Method,
        path: &str,
        secret: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("X-API-Key", secret);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is sent")
    }

    async fn get_with_key(&self, path: &str, secret: &str) -> Response {
        self.with_key(Method::GET, path, secret, None).await
    }
}

/// The ids in a list answer.
fn listed_ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------
// managing keys

api_test!(
    a_new_key_shows_its_secret_once_and_is_listed_without_it,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = &user.access_token;
        let expires = "2099-01-02T03:04:05.678Z";
        let response = app
        .post(
            KEYS,
            Some(token),
            json!({ "name": "summariser", "scopes": ["threads:read", "messages:read"], "expires_at": expires }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
        let created = json_body(response).await["data"].clone();
        let id = created["id"].as_str().unwrap().to_owned();
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(id.starts_with("key_"));
        assert_eq!(location, key_path(&id));
        assert!(secret.starts_with("xl_"));
        // 256 bits in base64url are 43 characters.
        assert!(secret.len() >= 3 + 43, "{secret}");
        assert_eq!(created["prefix"], json!(&secret[..11]));
        assert_eq!(created["name"], json!("summariser"));
        assert_eq!(created["scopes"], json!(["threads:read", "messages:read"]));
        assert_eq!(created["expires_at"], json!(expires));
        assert_eq!(created["last_used_at"], json!(null));

        let response = app.get(&location, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let one = json_body(response).await["data"].clone();
        assert_eq!(one["id"], json!(id));
        assert!(
            one.get("secret").is_none(),
            "the secret is shown once: {one}"
        );

        let response = app.get(KEYS, Some(token)).await;
        let body = json_body(response).await;
        assert_eq!(listed_ids(&body), vec![id.clone()]);
        assert!(body["data"][0].get("secret").is_none());
        assert_eq!(body["metadata"]["pagination"]["has_more"], json!(false));

        // The key works at once, and its use is recorded.
        let me = app.get_with_key("/api/v1/users/me", &secret).await;
        assert_eq!(data_of(me, StatusCode::OK).await["id"], json!(user.id));
        let used = app.get(&location, Some(token)).await;
        assert!(json_body(used).await["data"]["last_used_at"].is_string());
    }
);

api_test!(
    keys_are_listed_newest_first_in_pages_of_limit,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let mut made = Vec::new();
        for _ in 0..5 {
            made.push(app.key(&user, &["threads:read"]).await.id);
        }
        app.key(&admin, &["threads:read"]).await;
        let pages = pages_of(&app, &user.access_token, &format!("{KEYS}?limit=2"), 2).await;
        assert_eq!(sizes(&pages), vec![2, 2, 1]);
        made.reverse();
        assert_eq!(pages.concat(), made);
        for bad in [
            "limit=0",
            "limit=101",
            "limit=ten",
            "cursor=%21%21",
            "colour=red",
        ] {
            let response = app
                .get(&format!("{KEYS}?{bad}"), Some(&user.access_token))
                .await;
            assert_problem_for(response, INVALID, bad).await;
        }
    }
);

api_test!(
    a_key_without_name_or_scopes_or_with_bad_fields_is_refused_and_none_is_made,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = Some(user.access_token.as_str());
        let cases = [
            (json!({ "scopes": ["threads:read"] }), "name"),
            (json!({ "name": "   ", "scopes": ["threads:read"] }), "name"),
            (
                json!({ "name": "x".repeat(101), "scopes": ["threads:read"] }),
                "name",
            ),
            (json!({ "name": "agent" }), "scopes"),
            (json!({ "name": "agent", "scopes": [] }), "scopes"),
            (
                json!({ "name": "agent", "scopes": ["threads:delete"] }),
                "scopes[0]",
            ),
            (
                json!({ "name": "agent", "scopes": ["threads:read"], "expires_at": "tomorrow" }),
                "expires_at",
            ),
            (
                json!({ "name": "agent", "scopes": ["threads:read"], "expires_at": "2001-01-01T00:00:00Z" }),
                "expires_at",
            ),
            (
                json!({ "name": "agent", "scopes": ["threads:read"], "owner": "me" }),
                "owner",
            ),
        ];
        for (body, field) in cases {
            let response = app.post(KEYS, token, body.clone()).await;
            let errors = validation_errors(response).await;
            assert!(
                errors.get(field).is_some(),
                "{body}: expected an error on {field}, got {errors}"
            );
        }
        let nobody = app
            .post(
                KEYS,
                None,
                json!({ "name": "agent", "scopes": ["threads:read"] }),
            )
            .await;
        assert_problem(nobody, UNAUTHORIZED).await;
        let listed = json_body(app.get(KEYS, token).await).await;
        assert_eq!(listed_ids(&listed), Vec::<String>::new());
    }
);

api_test!(
    a_user_cannot_create_or_widen_a_key_to_an_admin_only_scope,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let token = Some(user.access_token.as_str());
        for scope in ["messages:assistant", "admin"] {
            let body = json!({ "name": "agent", "scopes": ["messages:write", scope] });
            let response = app.post(KEYS, token, body).await;
            assert_problem_for(response, FORBIDDEN, scope).await;
        }
        assert_eq!(
            listed_ids(&json_body(app.get(KEYS, token).await).await),
            Vec::<String>::new()
        );

        let key = app.key(&user, &["threads:read"]).await;
        for method in [Method::PATCH, Method::PUT] {
            let response = app
                .request(
                    method,
                    &key_path(&key.id),
                    token,
                    Some(json!({ "scopes": ["admin"] })),
                )
                .await;
            assert_problem(response, FORBIDDEN).await;
        }
        let unchanged = app.data(&key_path(&key.id), &user.access_token).await;
        assert_eq!(unchanged["scopes"], json!(["threads:read"]));

        // An ADMIN may.
        let agent = app
            .key(&admin, &["messages:write", "messages:assistant", "admin"])
            .await;
        assert!(agent.secret.starts_with("xl_"));
    }
);

api_test!(
    a_key_is_renamed_and_rescoped_by_patch_or_put_honouring_if_match,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = &user.access_token;
        let key = app.key(&user, &["threads:read"]).await;
        let path = key_path(&key.id);
        let stale = app.current_etag(token, &path).await;

        let response = app
            .patch(&path, Some(token), json!({ "name": "renamed" }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let changed = json_body(response).await["data"].clone();
        assert_eq!(changed["name"], json!("renamed"));
        assert_eq!(changed["scopes"], json!(["threads:read"]));

        let response = app
            .put(
                &path,
                Some(token),
                json!({ "scopes": ["files:read", "threads:write"] }),
            )
            .await;
        let changed = data_of(response, StatusCode::OK).await;
        assert_eq!(changed["name"], json!("renamed"));
        assert_eq!(changed["scopes"], json!(["threads:write", "files:read"]));

        app.stale_writes_refused(&path, token, &stale, json!({ "name": "late" }))
            .await;
        let current = app.current_etag(token, &path).await;
        let response = app
            .patch_if_match(&path, token, &current, json!({ "name": "on time" }))
            .await;
        assert_eq!(
            data_of(response, StatusCode::OK).await["name"],
            json!("on time")
        );

        for (body, field) in [
            (json!({ "name": null }), "name"),
            (json!({ "scopes": [] }), "scopes"),
            (json!({ "scopes": ["nope"] }), "scopes[0]"),
            (
                json!({ "expires_at": "2099-01-01T00:00:00Z" }),
                "expires_at",
            ),
        ] {
            let response = app.patch(&path, Some(token), body.clone()).await;
            let problem = assert_problem(response, INVALID).await;
            assert!(
                error_fields(&problem).iter().any(|f| f == field),
                "{body}: {problem}"
            );
        }
        // The key still works: none of that touched its secret.
        let me = app.get_with_key("/api/v1/users/me", &key.secret).await;
        assert_eq!(me.status(), StatusCode::OK);
    }
);

api_test!(
    rotating_a_key_kills_the_old_secret_at_once,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let key = app.key(&user, &["threads:read"]).await;
        assert_eq!(
            app.get_with_key("/api/v1/users/me", &key.secret)
                .await
                .status(),
            StatusCode::OK
        );

        let response = app
            .post(
                &format!("{}/rotate", key_path(&key.id)),
                Some(&user.access_token),
                json!({}),
            )
            .await;
        let rotated = data_of(response, StatusCode::OK).await;
        let fresh = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(fresh, key.secret);
        assert_eq!(rotated["id"], json!(key.id));
        assert_eq!(rotated["prefix"], json!(&fresh[..11]));
        assert_eq!(rotated["scopes"], json!(["threads:read"]));

        let old = app.get_with_key("/api/v1/users/me", &key.secret).await;
        assert_problem(old, UNAUTHORIZED).await;
        let new = app.get_with_key("/api/v1/users/me", &fresh).await;
        assert_eq!(new.status(), StatusCode::OK);
    }
);

api_test!(a_deleted_key_stops_working_and_is_gone, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let token = Some(user.access_token.as_str());
    let key = app.key(&user, &["threads:read"]).await;
    let response = app.delete(&key_path(&key.id), token).await;
    assert_eq!(
        data_of(response, StatusCode::OK).await,
        json!({ "id": key.id, "deleted": true })
    );
    assert_problem(
        app.get_with_key("/api/v1/users/me", &key.secret).await,
        UNAUTHORIZED,
    )
    .await;
    assert_problem(app.get(&key_path(&key.id), token).await, NOT_FOUND).await;
    assert_problem(app.delete(&key_path(&key.id), token).await, NOT_FOUND).await;
});

api_test!(
    a_strangers_key_id_is_404_on_every_route_and_changes_nothing,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let theirs = app.key(&user, &["threads:read"]).await;
        let path = key_path(&theirs.id);
        let token = Some(admin.access_token.as_str());
        let calls = [
            (Method::GET, path.clone(), None),
            (Method::PATCH, path.clone(), Some(json!({ "name": "mine" }))),
            (Method::PUT, path.clone(), Some(json!({ "name": "mine" }))),
            (Method::DELETE, path.clone(), None),
            (Method::POST, format!("{path}/rotate"), Some(json!({}))),
            (Method::GET, key_path("key_nope"), None),
            (
                Method::GET,
                key_path(&theirs.id.replace("key_", "usr_")),
                None,
            ),
        ];
        for (method, path, body) in calls {
            let response = app.request(method.clone(), &path, token, body).await;
            assert_problem_for(response, NOT_FOUND, &format!("{method} {path}")).await;
        }
        let still = app.get_with_key("/api/v1/users/me", &theirs.secret).await;
        assert_eq!(
            still.status(),
            StatusCode::OK,
            "the owner's key still works"
        );
        let own = app.data(&path, &user.access_token).await;
        assert_eq!(own["name"], json!("agent"));
    }
);

api_test!(keys_cannot_manage_keys_or_sessions, |app| async move {
    let (admin, _) = app.admin_and_user().await;
    let key = app.key(&admin, &["threads:read", "admin"]).await;
    let calls = [
        (Method::GET, KEYS.to_owned(), None),
        (
            Method::POST,
            KEYS.to_owned(),
            Some(json!({ "name": "child", "scopes": ["admin"] })),
        ),
        (Method::GET, key_path(&key.id), None),
        (
            Method::POST,
            format!("{}/rotate", key_path(&key.id)),
            Some(json!({})),
        ),
        (Method::DELETE, key_path(&key.id), None),
        (Method::GET, "/api/v1/auth/sessions".to_owned(), None),
        (
            Method::POST,
            "/api/v1/auth/logout".to_owned(),
            Some(json!({})),
        ),
    ];
    for (method, path, body) in calls {
        let response = app.with_key(method.clone(), &path, &key.secret, body).await;
        assert_problem_for(response, FORBIDDEN, &format!("{method} {path}")).await;
    }
    let listed = json_body(app.get(KEYS, Some(&admin.access_token)).await).await;
    assert_eq!(listed_ids(&listed), vec![key.id]);
});

// ---------------------------------------------------------------------------------------
// authenticating with a key

api_test!(
    an_unknown_or_malformed_key_is_401_even_beside_a_valid_token,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        for secret in [
            "xl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "nonsense",
            "",
        ] {
            let response = app
                .client
                .get(app.url("/api/v1/users/me"))
                .header("X-API-Key", secret)
                .bearer_auth(&admin.access_token)
                .send()
                .await
                .unwrap();
            assert_problem_for(response, UNAUTHORIZED, secret).await;
        }
    }
);

api_test!(an_expired_key_is_401, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let body = json!({
        "name": "short-lived",
        "scopes": ["threads:read"],
        "expires_at": soon.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    let created = data_of(
        app.post(KEYS, Some(&user.access_token), body).await,
        StatusCode::CREATED,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_with_key("/api/v1/threads", &secret).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let late = app.get_with_key("/api/v1/threads", &secret).await;
    assert_problem(late, UNAUTHORIZED).await;
});

api_test!(
    a_suspended_or_deleted_owners_key_stops_at_once,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let key = app.key(&user, &["threads:read"]).await;
        assert_eq!(
            app.get_with_key("/api/v1/threads", &key.secret)
                .await
                .status(),
            StatusCode::OK
        );

        let user_path = format!("/api/v1/users/{}", user.id);
        let suspend = app
            .patch(
                &user_path,
                Some(&admin.access_token),
                json!({ "status": "suspended" }),
            )
            .await;
        assert_eq!(suspend.status(), StatusCode::OK);
        assert_problem(
            app.get_with_key("/api/v1/threads", &key.secret).await,
            FORBIDDEN,
        )
        .await;

        let restore = app
            .patch(
                &user_path,
                Some(&admin.access_token),
                json!({ "status": "active" }),
            )
            .await;
        assert_eq!(restore.status(), StatusCode::OK);
        assert_eq!(
            app.get_with_key("/api/v1/threads", &key.secret)
                .await
                .status(),
            StatusCode::OK
        );

        let delete = app.delete(&user_path, Some(&admin.access_token)).await;
        assert_eq!(delete.status(), StatusCode::OK);
        assert_problem(
            app.get_with_key("/api/v1/threads", &key.secret).await,
            UNAUTHORIZED,
        )
        .await;
    }
);

// ---------------------------------------------------------------------------------------
// scopes

api_test!(
    a_read_only_key_reads_but_cannot_write_and_nothing_changes,
    |app| async move {
        let team = app.team().await;
        let key = app
            .key(&team.owner, &["threads:read", "messages:read"])
            .await;
        let thread_path = team.path();
        let messages_path = format!("{thread_path}/messages");
        let before = app.thread(&team.owner.access_token, &team.thread).await;

        assert_eq!(
            app.get_with_key(&thread_path, &key.secret).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            app.get_with_key(&messages_path, &key.secret).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            app.get_with_key(&team.members_path(), &key.secret)
                .await
                .status(),
            StatusCode::OK
        );

        let writes = [
            (
                Method::POST,
                "/api/v1/threads".to_owned(),
                Some(json!({ "title": "new" })),
            ),
            (
                Method::PATCH,
                thread_path.clone(),
                Some(json!({ "title": "changed" })),
            ),
            (
                Method::PUT,
                thread_path.clone(),
                Some(json!({ "title": "changed" })),
            ),
            (Method::DELETE, thread_path.clone(), None),
            (
                Method::POST,
                messages_path.clone(),
                Some(json!({ "content": "hi" })),
            ),
            (
                Method::POST,
                team.members_path(),
                Some(json!({ "user_id": team.outsider.id, "role": "viewer" })),
            ),
            (Method::GET, "/api/v1/files".to_owned(), None),
            (
                Method::POST,
                "/api/v1/files".to_owned(),
                Some(json!({
                    "filename": "a.csv", "content_type": "text/csv", "size_bytes": 1,
                    "url": "https://example.com/a.csv"
                })),
            ),
            (Method::GET, "/api/v1/users".to_owned(), None),
        ];
        for (method, path, body) in writes {
            let response = app.with_key(method.clone(), &path, &key.secret, body).await;
            assert_problem_for(response, FORBIDDEN, &format!("{method} {path}")).await;
        }
        let after = app.thread(&team.owner.access_token, &team.thread).await;
        assert_eq!(after, before, "nothing changed");
        let threads = app.list("/api/v1/threads", &team.owner.access_token).await;
        assert_eq!(threads.len(), 1);
        let files = app.list("/api/v1/files", &team.owner.access_token).await;
        assert!(files.is_empty());
    }
);

api_test!(a_key_acts_within_its_owners_rights_too, |app| async move {
    let team = app.team().await;
    // The outsider's key has every USER scope but the outsider cannot see the thread.
    let key = app
        .key(
            &team.outsider,
            &[
                "threads:read",
                "threads:write",
                "messages:read",
                "messages:write",
            ],
        )
        .await;
    let response = app.get_with_key(&team.path(), &key.secret).await;
    assert_problem(response, NOT_FOUND).await;
    // A viewer's writing key still cannot post: the role decides too.
    let viewer = app.key(&team.viewer, &["messages:write"]).await;
    let response = app
        .with_key(
            Method::POST,
            &format!("{}/messages", team.path()),
            &viewer.secret,
            Some(json!({ "content": "hi" })),
        )
        .await;
    assert_problem(response, FORBIDDEN).await;
    // The editor's key writes.
    let editor = app.key(&team.editor, &["messages:write"]).await;
    let response = app
        .with_key(
            Method::POST,
            &format!("{}/messages", team.path()),
            &editor.secret,
            Some(json!({ "content": "hi" })),
        )
        .await;
    let posted = data_of(response, StatusCode::CREATED).await;
    assert_eq!(posted["author_id"], json!(team.editor.id));
});

api_test!(
    posting_as_assistant_needs_the_messages_assistant_scope,
    |app| async move {
        let team = app.team().await;
        let messages = format!("{}/messages", team.path());
        let body = json!({ "content": "Here is a summary.", "role": "assistant" });

        let plain = app.key(&team.admin, &["messages:write"]).await;
        let response = app
            .with_key(Method::POST, &messages, &plain.secret, Some(body.clone()))
            .await;
        assert_problem(response, FORBIDDEN).await;
        assert_eq!(
            app.message_count(&team.owner.access_token, &team.thread)
                .await,
            0
        );

        let agent = app
            .key(&team.admin, &["messages:write", "messages:assistant"])
            .await;
        let response = app
            .with_key(Method::POST, &messages, &agent.secret, Some(body))
            .await;
        let posted = data_of(response, StatusCode::CREATED).await;
        assert_eq!(posted["role"], json!("assistant"));
        assert_eq!(posted["author_id"], json!(team.admin.id));
        assert_eq!(
            app.message_count(&team.owner.access_token, &team.thread)
                .await,
            1
        );
    }
);

api_test!(
    the_admin_scope_opens_user_administration_to_an_admins_key,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let without = app.key(&admin, &["threads:read"]).await;
        assert_problem(
            app.get_with_key("/api/v1/users", &without.secret).await,
            FORBIDDEN,
        )
        .await;
        // Someone else's profile is public only, without the admin scope.
        let other = app
            .get_with_key(&format!("/api/v1/users/{}", user.id), &without.secret)
            .await;
        assert!(data_of(other, StatusCode::OK).await.get("email").is_none());

        let with = app.key(&admin, &["admin"]).await;
        let listed = app.get_with_key("/api/v1/users", &with.secret).await;
        assert_eq!(listed.status(), StatusCode::OK);
        let other = app
            .get_with_key(&format!("/api/v1/users/{}", user.id), &with.secret)
            .await;
        assert_eq!(
            data_of(other, StatusCode::OK).await["email"],
            json!(user.email)
        );
    }
);

api_test_with!(
    a_refused_key_is_never_redirected_to_the_login_page,
    &[("AUTH_REDIRECT_URL", "https://login.example.com/")],
    |app| async move {
        let response = app
            .client
            .get(app.url("/api/v1/users/me"))
            .header("X-API-Key", "xl_wrong")
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        assert_problem(response, UNAUTHORIZED).await;
    }
);

api_test_with!(
    a_key_is_rate_limited_as_a_caller_of_its_own,
    &[
        ("RATE_LIMITS_ENABLED", "true"),
        ("RATE_LIMIT_PER_CALLER", "3/hour")
    ],
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let key = app.key(&user, &["threads:read"]).await;
        for _ in 0..2 {
            let response = app.get("/api/v1/users/me", Some(&user.access_token)).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        let spent = app.get("/api/v1/users/me", Some(&user.access_token)).await;
        assert_eq!(
            spent.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "the owner's quota is spent"
        );

        for n in 0..3 {
            let response = app
                .with_key(Method::GET, "/api/v1/users/me", &key.secret, None)
                .await;
            assert_eq!(response.status(), StatusCode::OK, "key request {n}");
        }
        let response = app
            .with_key(Method::GET, "/api/v1/users/me", &key.secret, None)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "then the key's is"
        );
    }
);

api_test!(
    a_key_whose_scopes_cover_no_route_is_refused_on_every_route_and_changes_nothing,
    |app| async move {
        let team = app.team().await;
        let owner = &team.owner;
        let message =
            crate::helpers::id_of(&app.say(&owner.access_token, &team.thread, "hello").await);
        // `artifacts:read` grants nothing that exists yet: every route below needs a
        // scope this key does not have, so each must be refused before it reads or writes.
        let key = app.key(owner, &["artifacts:read"]).await;
        let thread = team.path();
        let message_path = format!("/api/v1/messages/{message}");
        let calls = [
            (Method::GET, "/api/v1/threads".to_owned(), None),
            (
                Method::POST,
                "/api/v1/threads".to_owned(),
                Some(json!({"title": "t"})),
            ),
            (Method::GET, thread.clone(), None),
            (Method::PATCH, thread.clone(), Some(json!({"title": "t"}))),
            (Method::DELETE, thread.clone(), None),
            (Method::GET, team.members_path(), None),
            (Method::GET, format!("{thread}/messages"), None),
            (
                Method::POST,
                format!("{thread}/messages"),
                Some(json!({"content": "c"})),
            ),
            (Method::GET, message_path.clone(), None),
            (
                Method::PATCH,
                message_path.clone(),
                Some(json!({"content": "c"})),
            ),
            (Method::DELETE, message_path.clone(), None),
            (Method::GET, format!("{message_path}/revisions"), None),
            (Method::GET, format!("{message_path}/reactions"), None),
            (
                Method::POST,
                format!("{message_path}/reactions"),
                Some(json!({"emoji": "tada"})),
            ),
            (Method::GET, "/api/v1/search?q=hello".to_owned(), None),
            (Method::GET, "/api/v1/files".to_owned(), None),
            (Method::GET, "/api/v1/users".to_owned(), None),
        ];
        for (method, path, body) in calls {
            let call = format!("{method} {path}");
            let response = app.with_key(method, &path, &key.secret, body).await;
            assert_problem_for(response, FORBIDDEN, &call).await;
        }
        let token = owner.access_token.as_str();
        assert_eq!(
            app.message(token, &message).await["content"],
            json!("hello")
        );
        assert_eq!(app.message_count(token, &team.thread).await, 1);
    }
);

api_test!(
    a_key_without_files_write_is_refused_before_the_upload_is_read,
    |app| async move {
        let owner = app.register("agent-owner@rpotential.ai").await;
        let key = app.key(&owner, &["files:read"]).await;
        // The file part starts and then never ends: only a refusal that comes before the
        // body is read can answer at all.
        let first = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"the first bytes"))
        });
        let body = reqwest::Body::wrap_stream(first.chain(futures_util::stream::pending()));
        let part = reqwest::multipart::Part::stream(body).file_name("stalled.bin");
        let upload = app
            .client
            .post(app.url("/api/v1/files"))
            .header("X-API-Key", &key.secret)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .timeout(Duration::from_secs(10))
            .send();

        assert_problem(upload.await.expect("an answer"), FORBIDDEN).await;
        let files = app.get_with_key("/api/v1/files", &key.secret).await;
        assert_eq!(data_of(files, StatusCode::OK).await, json!([]));
    }
);
