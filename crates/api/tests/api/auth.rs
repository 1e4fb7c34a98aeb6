//! The auth endpoints over HTTP: register, login, refresh, logout, me, verify, sessions,
//! the auth cookies and the browser redirect.

use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, assert_problem_for, claims_of, error_fields, json_body, location_of, pages_of,
    Call, Problem, TestApp, CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, PASSWORD, UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
};

const AUTH_COOKIE: &str = "rpotential_auth";
const REFRESH_COOKIE: &str = "rpotential_auth_refresh";
const LOGIN_PAGE: &str = "https://login.rpotential.dev/signin";
/// What a browser sends when it navigates to a page.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The session id (`sid`) of one of our own access tokens.
fn session_of(token: &str) -> String {
    claims_of(token)["sid"]
        .as_str()
        .expect("a sid claim")
        .to_owned()
}

/// The `Set-Cookie` header setting `name`, if any.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(str::to_owned)
}

/// The value and the lower-cased attributes of a `Set-Cookie` header.
fn cookie_parts(set_cookie: &str) -> (String, Vec<String>) {
    let mut parts = set_cookie.split(';').map(str::trim);
    let value = parts
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    (value, parts.map(str::to_ascii_lowercase).collect())
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> Response {
    app.client
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn refresh_with(app: &TestApp, refresh_token: &str) -> Response {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": refresh_token }),
    )
    .await
}

async fn register_raw(app: &TestApp, body: Value) -> Response {
    app.post("/api/v1/auth/register", None, body).await
}

async fn login_raw(app: &TestApp, email: &str, password: &str) -> Response {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({ "email": email, "password": password }),
    )
    .await
}

/// Registering again works and yields an ADMIN only if nothing was stored before.
async fn assert_no_user_was_created(app: &TestApp) {
    let first = app.register("first@rpotential.ai").await;
    let me = json_body(app.get("/api/v1/auth/me", Some(&first.access_token)).await).await;
    assert_eq!(
        me["data"]["role"],
        json!("ADMIN"),
        "a refused request must not have created a user"
    );
}

// ----- register -------------------------------------------------------------------------

api_test!(
    registering_returns_201_a_token_pair_and_the_location_of_the_new_user,
    |app| async move {
        let response = register_raw(
            &app,
            json!({"email": "Ada@RPotential.ai", "password": PASSWORD, "name": "Ada Lovelace"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
        assert!(set_cookie(&response, AUTH_COOKIE).is_some());
        assert!(set_cookie(&response, REFRESH_COOKIE).is_some());
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        let data = &body["data"];
        let id = data["user"]["id"].as_str().unwrap();
        assert!(id.starts_with("usr_"), "{id}");
        assert_eq!(location, format!("/api/v1/users/{id}"));
        assert_eq!(data["token_type"], json!("Bearer"));
        assert_eq!(data["expires_in"], json!(900));
        assert!(data["access_token"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(data["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        assert_eq!(data["user"]["email"], json!("ada@rpotential.ai"));
        assert_eq!(data["user"]["name"], json!("Ada Lovelace"));
        assert_eq!(data["user"]["status"], json!("active"));
        assert!(data["user"].get("password_hash").is_none());

        let fetched = app
            .get(&location, Some(data["access_token"].as_str().unwrap()))
            .await;
        assert_eq!(fetched.status(), StatusCode::OK);
    }
);

api_test!(
    the_first_user_becomes_admin_and_the_next_ones_are_users,
    |app| async move {
        let first = json_body(
            register_raw(
                &app,
                json!({"email": "one@rpotential.ai", "password": PASSWORD, "name": "One"}),
            )
            .await,
        )
        .await;
        let second = json_body(
            register_raw(
                &app,
                json!({"email": "two@globant.com", "password": PASSWORD, "name": "Two"}),
            )
            .await,
        )
        .await;
        assert_eq!(first["data"]["user"]["role"], json!("ADMIN"));
        assert_eq!(second["data"]["user"]["role"], json!("USER"));
        let token = second["data"]["access_token"].as_str().unwrap();
        assert_eq!(claims_of(token)["role"], json!("USER"));
    }
);

/// Registers `RACERS` accounts at once on a fresh app and counts the ADMINs among them.
async fn admins_after_racing_registrations(app: &TestApp) -> usize {
    const RACERS: usize = 8;
    let requests = (0..RACERS).map(|i| {
        register_raw(
            app,
            json!({"email": format!("racer{i}@rpotential.ai"), "password": PASSWORD, "name": "Racer"}),
        )
    });
    let mut admins = 0;
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.status(), StatusCode::CREATED);
        if json_body(response).await["data"]["user"]["role"] == json!("ADMIN") {
            admins += 1;
        }
    }
    admins
}

/// The race is timing dependent, so it is run on several fresh databases.
mod registrations_racing_on_an_empty_database_make_only_one_admin {
    use infrastructure::testing::TestDatabase;

    use super::admins_after_racing_registrations;
    use crate::helpers::spawn_app;

    const ROUNDS: usize = 5;

    #[tokio::test]
    async fn sqlite() {
        for round in 0..ROUNDS {
            let app = spawn_app(TestDatabase::sqlite()).await;
            let admins = admins_after_racing_registrations(&app).await;
            assert_eq!(
                admins, 1,
                "round {round}: exactly one of the first users is ADMIN"
            );
        }
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL: set TEST_POSTGRES_URL and run with --include-ignored"]
    async fn postgres() {
        for round in 0..ROUNDS {
            let app = spawn_app(TestDatabase::postgres().await).await;
            let admins = admins_after_racing_registrations(&app).await;
            assert_eq!(
                admins, 1,
                "round {round}: exactly one of the first users is ADMIN"
            );
        }
    }
}

api_test!(
    registering_a_taken_email_is_409_whatever_its_case,
    |app| async move {
        app.register("taken@rpotential.ai").await;
        for email in ["taken@rpotential.ai", "Taken@RPOTENTIAL.ai"] {
            let response = register_raw(
                &app,
                json!({"email": email, "password": PASSWORD, "name": "Again"}),
            )
            .await;
            assert_problem(response, CONFLICT).await;
        }
    }
);

api_test!(
    registering_with_bad_fields_is_400_naming_exactly_those_fields,
    |app| async move {
        let cases = [
            (
                json!({"email": "not-an-email", "password": "short", "name": "  "}),
                vec!["email", "name", "password"],
            ),
            (
                json!({"email": "ok@rpotential.ai", "password": "1234567", "name": "Ok"}),
                vec!["password"],
            ),
        ];
        for (body, fields) in cases {
            let context = body.to_string();
            let response = register_raw(&app, body).await;
            let problem = assert_problem_for(response, INVALID, &context).await;
            assert_eq!(error_fields(&problem), fields, "{context}");
            for field in fields {
                let messages = problem["error"]["errors"][field].as_array();
                assert!(
                    messages.is_some_and(|m| !m.is_empty()),
                    "{context}: {field} has a message"
                );
            }
        }
        assert_no_user_was_created(&app).await;
    }
);

api_test!(
    a_registration_body_that_is_not_a_complete_json_object_is_refused_and_creates_nothing,
    |app| async move {
        let json = "application/json";
        let plain = json!({"email": "plain@rpotential.ai", "password": PASSWORD, "name": "Plain"});
        let cases: [(&str, &str, String, Problem); 6] = [
            (
                "an unknown field",
                json,
                json!({"email": "sneaky@rpotential.ai", "password": PASSWORD, "name": "Sneaky", "role": "ADMIN"})
                    .to_string(),
                INVALID,
            ),
            (
                "a missing field",
                json,
                json!({"email": "nopass@rpotential.ai", "name": "No Password"}).to_string(),
                INVALID,
            ),
            (
                "malformed JSON",
                json,
                r#"{"email": "broken@rpotential.ai", "password": "#.to_owned(),
                INVALID,
            ),
            // The fields in order, as an array: still not an object.
            (
                "an array of the fields",
                json,
                json!(["array@rpotential.ai", PASSWORD, "Array"]).to_string(),
                INVALID,
            ),
            ("an empty array", json, "[]".to_owned(), INVALID),
            ("a text/plain body", "text/plain", plain.to_string(), UNSUPPORTED_MEDIA_TYPE),
        ];
        for (case, content_type, body, problem) in cases {
            let response = app
                .post_raw("/api/v1/auth/register", None, content_type, &body)
                .await;
            assert_problem_for(response, problem, case).await;
        }
        assert_no_user_was_created(&app).await;
    }
);

api_test!(
    registering_an_email_outside_the_allowed_domains_is_403,
    |app| async move {
        // The second is a look-alike domain, not an allowed one either.
        for email in ["mallory@evil.example", "mallory@notrpotential.ai"] {
            let body = json!({"email": email, "password": PASSWORD, "name": "Mallory"});
            assert_problem_for(register_raw(&app, body).await, FORBIDDEN, email).await;
        }
        assert_no_user_was_created(&app).await;
    }
);

api_test_with!(
    registering_is_403_when_registration_is_disabled,
    &[("ALLOW_REGISTRATION", "false")],
    |app| async move {
        let response = register_raw(
            &app,
            json!({"email": "closed@rpotential.ai", "password": PASSWORD, "name": "Closed"}),
        )
        .await;
        assert_problem(response, FORBIDDEN).await;
    }
);

// ----- login ----------------------------------------------------------------------------

api_test!(
    logging_in_returns_a_token_pair_and_sets_an_http_only_lax_auth_cookie,
    |app| async move {
        let registered = app.register("login@rpotential.ai").await;
        let response = login_raw(&app, "LOGIN@rpotential.ai", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);

        let auth = set_cookie(&response, AUTH_COOKIE).expect("the auth cookie is set");
        let (value, attributes) = cookie_parts(&auth);
        assert!(attributes.contains(&"httponly".to_owned()), "{auth}");
        assert!(attributes.contains(&"samesite=lax".to_owned()), "{auth}");
        assert!(attributes.contains(&"path=/".to_owned()), "{auth}");
        let refresh = set_cookie(&response, REFRESH_COOKIE).expect("the refresh cookie is set");
        let (refresh_value, refresh_attributes) = cookie_parts(&refresh);
        assert!(
            refresh_attributes.contains(&"httponly".to_owned()),
            "{refresh}"
        );

        let body = json_body(response).await;
        let data = &body["data"];
        assert_eq!(data["token_type"], json!("Bearer"));
        assert_eq!(data["expires_in"], json!(900));
        assert_eq!(data["user"]["id"], json!(registered.id));
        assert_eq!(data["access_token"], json!(value));
        assert_eq!(data["refresh_token"], json!(refresh_value));
        assert_ne!(data["refresh_token"], json!(registered.refresh_token));
        let claims = claims_of(data["access_token"].as_str().unwrap());
        assert_eq!(claims["sub"], json!(registered.id));
        assert_ne!(
            claims["sid"],
            json!(session_of(&registered.access_token)),
            "a login starts a new session"
        );
    }
);

api_test!(
    an_unknown_email_and_a_wrong_password_get_the_same_401,
    |app| async move {
        app.register("known@rpotential.ai").await;
        let wrong_password = assert_problem(
            login_raw(&app, "known@rpotential.ai", "not the password").await,
            UNAUTHORIZED,
        )
        .await;
        let unknown_email = assert_problem(
            login_raw(&app, "nobody@rpotential.ai", PASSWORD).await,
            UNAUTHORIZED,
        )
        .await;
        let malformed =
            assert_problem(login_raw(&app, "not an email", "x").await, UNAUTHORIZED).await;
        assert_eq!(
            wrong_password["error"]["detail"],
            unknown_email["error"]["detail"]
        );
        assert_eq!(
            wrong_password["error"]["detail"],
            malformed["error"]["detail"]
        );
        assert!(wrong_password["error"].get("errors").is_none());
    }
);

api_test!(logging_in_with_a_json_array_body_is_400, |app| async move {
    app.register("array-login@rpotential.ai").await;
    let body = json!(["array-login@rpotential.ai", PASSWORD]).to_string();
    let response = app
        .post_raw("/api/v1/auth/login", None, "application/json", &body)
        .await;
    assert_problem(response, INVALID).await;
});

api_test!(logging_in_with_a_text_plain_body_is_415, |app| async move {
    let body = json!({"email": "a@rpotential.ai", "password": PASSWORD}).to_string();
    let response = app
        .post_raw("/api/v1/auth/login", None, "text/plain", &body)
        .await;
    assert_problem(response, UNSUPPORTED_MEDIA_TYPE).await;
});

api_test!(
    a_suspended_user_cannot_log_in_and_their_tokens_stop_working_at_once,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let suspended = app
            .patch(
                &format!("/api/v1/users/{}", user.id),
                Some(&admin.access_token),
                json!({"status": "suspended"}),
            )
            .await;
        assert_eq!(suspended.status(), StatusCode::OK);
        assert_eq!(
            json_body(suspended).await["data"]["status"],
            json!("suspended")
        );

        let response = login_raw(&app, &user.email, PASSWORD).await;
        assert_problem(response, FORBIDDEN).await;
        let call = Call::get("/api/v1/auth/me");
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
        let response = refresh_with(&app, &user.refresh_token).await;
        assert!(
            response.status().is_client_error(),
            "a suspended user cannot refresh: {}",
            response.status()
        );

        let reinstated = app
            .patch(
                &format!("/api/v1/users/{}", user.id),
                Some(&admin.access_token),
                json!({"status": "active"}),
            )
            .await;
        assert_eq!(reinstated.status(), StatusCode::OK);
        app.login(&user.email).await;
    }
);

// ----- me and verify --------------------------------------------------------------------

api_test!(me_and_users_me_work_with_a_bearer_token, |app| async move {
    let account = app.register("bearer@rpotential.ai").await;
    for path in ["/api/v1/auth/me", "/api/v1/users/me"] {
        let response = app.get(path, Some(&account.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = json_body(response).await;
        assert_eq!(body["data"]["id"], json!(account.id), "{path}");
        assert_eq!(body["data"]["email"], json!(account.email), "{path}");
    }
});

api_test!(
    me_and_users_me_work_with_the_auth_cookie_alone,
    |app| async move {
        let account = app.register("cookie@rpotential.ai").await;
        let cookie = format!("{AUTH_COOKIE}={}", account.access_token);
        for path in ["/api/v1/auth/me", "/api/v1/users/me"] {
            let response = get_with_cookie(&app, path, &cookie).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(json_body(response).await["data"]["id"], json!(account.id));
        }
    }
);

api_test!(me_without_credentials_is_401, |app| async move {
    for path in ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/auth/verify"] {
        let call = Call::get(path);
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
    // A browser gets the 401 too when no login page is configured.
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header(header::ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_problem(response, UNAUTHORIZED).await;
});

api_test!(
    a_broken_authorization_header_is_401_even_with_a_valid_cookie,
    |app| async move {
        let account = app.register("broken-header@rpotential.ai").await;
        let response = app
            .client
            .get(app.url("/api/v1/auth/me"))
            .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
            .header(
                header::COOKIE,
                format!("{AUTH_COOKIE}={}", account.access_token),
            )
            .send()
            .await
            .unwrap();
        assert_problem(response, UNAUTHORIZED).await;
        let call = Call::get("/api/v1/auth/me");
        app.refused_with(&call, Some("not-a-jwt"), UNAUTHORIZED)
            .await;
    }
);

api_test!(
    verify_returns_the_user_and_the_claims_of_the_token,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        for (account, role) in [(&admin, "ADMIN"), (&user, "USER")] {
            let response = app
                .get("/api/v1/auth/verify", Some(&account.access_token))
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            let data = json_body(response).await["data"].clone();
            let claims = claims_of(&account.access_token);
            assert_eq!(data["valid"], json!(true));
            assert_eq!(data["user"]["id"], json!(account.id));
            assert_eq!(data["claims"]["sub"], json!(account.id));
            assert_eq!(data["claims"]["email"], json!(account.email));
            assert_eq!(data["claims"]["role"], json!(role));
            assert_eq!(data["claims"]["exp"], claims["exp"]);
            let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
            assert_eq!(lifetime, 900);
        }
        let cookie = format!("{AUTH_COOKIE}={}", user.access_token);
        let response = get_with_cookie(&app, "/api/v1/auth/verify", &cookie).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// ----- refresh --------------------------------------------------------------------------

api_test!(
    refreshing_with_the_body_returns_a_new_pair_and_the_old_refresh_token_stops_working,
    |app| async move {
        let account = app.register("refresh@rpotential.ai").await;
        let response = refresh_with(&app, &account.refresh_token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookie(&response, AUTH_COOKIE).is_some());
        assert!(set_cookie(&response, REFRESH_COOKIE).is_some());
        let data = json_body(response).await["data"].clone();
        let access = data["access_token"].as_str().unwrap();
        let refresh = data["refresh_token"].as_str().unwrap();
        assert_eq!(data["token_type"], json!("Bearer"));
        assert_eq!(data["user"]["id"], json!(account.id));
        assert_ne!(refresh, account.refresh_token);
        assert_eq!(
            session_of(access),
            session_of(&account.access_token),
            "refreshing keeps the session"
        );
        let response = app.get("/api/v1/auth/me", Some(access)).await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = refresh_with(&app, &account.refresh_token).await;
        assert_problem(response, UNAUTHORIZED).await;
    }
);

api_test!(
    refreshing_with_the_refresh_cookie_alone_returns_a_new_pair,
    |app| async move {
        let account = app.register("refresh-cookie@rpotential.ai").await;
        let response = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header(
                header::COOKIE,
                format!("{REFRESH_COOKIE}={}", account.refresh_token),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let new_cookie = set_cookie(&response, REFRESH_COOKIE).expect("a new refresh cookie");
        let (cookie_value, attributes) = cookie_parts(&new_cookie);
        assert!(attributes.contains(&"httponly".to_owned()), "{new_cookie}");
        let data = json_body(response).await["data"].clone();
        let refresh = data["refresh_token"].as_str().unwrap();
        assert_eq!(cookie_value, refresh);
        assert_ne!(refresh, account.refresh_token);
        let response = app
            .get("/api/v1/auth/me", data["access_token"].as_str())
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header(
                header::COOKIE,
                format!("{REFRESH_COOKIE}={}", account.refresh_token),
            )
            .send()
            .await
            .unwrap();
        assert_problem(response, UNAUTHORIZED).await;
    }
);

api_test!(
    reusing_an_old_refresh_token_revokes_the_whole_session,
    |app| async move {
        let account = app.register("reuse@rpotential.ai").await;
        let other_session = app.login(&account.email).await;

        let second =
            json_body(refresh_with(&app, &account.refresh_token).await).await["data"].clone();
        let third = json_body(refresh_with(&app, second["refresh_token"].as_str().unwrap()).await)
            .await["data"]
            .clone();
        let newest_refresh = third["refresh_token"].as_str().unwrap();
        let newest_access = third["access_token"].as_str().unwrap();
        assert_eq!(
            app.get("/api/v1/auth/me", Some(newest_access))
                .await
                .status(),
            StatusCode::OK
        );

        // Someone replays the first refresh token.
        let response = refresh_with(&app, &account.refresh_token).await;
        assert_problem(response, UNAUTHORIZED).await;

        let response = refresh_with(&app, newest_refresh).await;
        assert_problem(response, UNAUTHORIZED).await;
        for access in [
            account.access_token.as_str(),
            second["access_token"].as_str().unwrap(),
            newest_access,
        ] {
            let call = Call::get("/api/v1/auth/me");
            app.refused_with(&call, Some(access), UNAUTHORIZED).await;
        }

        // The user's other session is not touched.
        let response = app
            .get("/api/v1/auth/me", Some(&other_session.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = refresh_with(&app, &other_session.refresh_token).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    refreshing_without_a_token_or_with_an_unknown_one_is_401,
    |app| async move {
        let response = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .send()
            .await
            .unwrap();
        assert_problem(response, UNAUTHORIZED).await;
        let response = refresh_with(&app, "not-a-refresh-token").await;
        assert_problem(response, UNAUTHORIZED).await;
    }
);

api_test!(
    refreshing_with_a_bad_body_is_a_4xx_problem,
    |app| async move {
        let account = app.register("refresh-body@rpotential.ai").await;
        for (content_type, body, problem) in [
            (
                "text/plain",
                account.refresh_token.as_str(),
                UNSUPPORTED_MEDIA_TYPE,
            ),
            ("application/json", "{\"refresh_token\":", INVALID),
        ] {
            let response = app
                .post_raw("/api/v1/auth/refresh", None, content_type, body)
                .await;
            assert_problem_for(response, problem, content_type).await;
        }
        let call = Call::post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": account.refresh_token, "extra": 1}),
        );
        app.refused_with(&call, None, INVALID).await;
        // None of that used up the refresh token.
        let response = refresh_with(&app, &account.refresh_token).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// ----- logout ---------------------------------------------------------------------------

api_test!(
    logging_out_revokes_the_session_and_clears_the_cookies,
    |app| async move {
        let account = app.register("logout@rpotential.ai").await;
        let response = app
            .post(
                "/api/v1/auth/logout",
                Some(&account.access_token),
                json!({}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        for name in [AUTH_COOKIE, REFRESH_COOKIE] {
            let cleared = set_cookie(&response, name)
                .unwrap_or_else(|| panic!("{name} is cleared by a Set-Cookie"));
            let (value, attributes) = cookie_parts(&cleared);
            assert_eq!(value, "", "{cleared}");
            assert!(
                attributes.contains(&"max-age=0".to_owned())
                    || attributes.iter().any(|a| a.starts_with("expires=")),
                "{cleared}"
            );
        }
        let body = json_body(response).await;
        assert_eq!(
            body["data"]["revoked_session_id"],
            json!(session_of(&account.access_token))
        );

        let call = Call::get("/api/v1/auth/me");
        app.refused_with(&call, Some(&account.access_token), UNAUTHORIZED)
            .await;
        let cookie = format!("{AUTH_COOKIE}={}", account.access_token);
        let response = get_with_cookie(&app, "/api/v1/users/me", &cookie).await;
        assert_problem(response, UNAUTHORIZED).await;
        let response = refresh_with(&app, &account.refresh_token).await;
        assert_problem(response, UNAUTHORIZED).await;
        let call = Call::post("/api/v1/auth/logout", json!({}));
        app.refused_with(&call, Some(&account.access_token), UNAUTHORIZED)
            .await;
    }
);

api_test!(logging_out_without_credentials_is_401, |app| async move {
    let call = Call::post("/api/v1/auth/logout", json!({}));
    app.refused_with(&call, None, UNAUTHORIZED).await;
});

// ----- sessions -------------------------------------------------------------------------

api_test!(
    listing_sessions_shows_only_the_callers_and_marks_the_current_one,
    |app| async move {
        let (admin, first) = app.admin_and_user().await;
        let response = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header(header::USER_AGENT, "auth-tests/1.0")
            .json(&json!({"email": first.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let second_token = json_body(response).await["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let second_session = session_of(&second_token);

        let response = app.get("/api/v1/auth/sessions", Some(&second_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let sessions = json_body(response).await["data"]
            .as_array()
            .expect("a list")
            .clone();
        let ids: Vec<&str> = sessions.iter().filter_map(|s| s["id"].as_str()).collect();
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        assert!(ids.contains(&session_of(&first.access_token).as_str()));
        assert!(ids.contains(&second_session.as_str()));
        assert!(!ids.contains(&session_of(&admin.access_token).as_str()));
        for session in &sessions {
            assert!(session["id"].as_str().unwrap().starts_with("ses_"));
            for field in ["created_at", "last_used_at", "expires_at"] {
                assert!(
                    session[field].as_str().is_some_and(|t| t.ends_with('Z')),
                    "{field} in {session}"
                );
            }
            assert!(session.get("user_agent").is_some() && session.get("ip").is_some());
            let is_current = session["id"] == json!(second_session);
            assert_eq!(session["current"], json!(is_current), "{session}");
        }
        let current = sessions
            .iter()
            .find(|s| s["current"] == json!(true))
            .unwrap();
        assert_eq!(current["user_agent"], json!("auth-tests/1.0"));
        assert_eq!(current["ip"], json!("127.0.0.1"));

        // With the first session's token, that one is current instead.
        let response = app
            .get("/api/v1/auth/sessions", Some(&first.access_token))
            .await;
        let sessions = json_body(response).await["data"].clone();
        let current: Vec<&Value> = sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == json!(true))
            .collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["id"], json!(session_of(&first.access_token)));
    }
);

api_test!(
    sessions_page_newest_first_and_a_limit_out_of_range_is_refused,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let second = app.login(&user.email).await;
        let third = app.login(&user.email).await;
        let token = third.access_token.as_str();

        let pages = pages_of(&app, token, "/api/v1/auth/sessions?limit=2", 2).await;
        let newest_first = vec![
            vec![session_of(token), session_of(&second.access_token)],
            vec![session_of(&user.access_token)],
        ];
        assert_eq!(pages, newest_first);
        for limit in ["0", "101", "many"] {
            let call = Call::get(format!("/api/v1/auth/sessions?limit={limit}"));
            let problem = app.refused_with(&call, Some(token), INVALID).await;
            assert_eq!(error_fields(&problem), vec!["limit"], "limit={limit}");
        }
    }
);

api_test!(
    deleting_another_users_session_is_404_and_leaves_it_alone,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let admin_session = session_of(&admin.access_token);
        let call = Call::delete(format!("/api/v1/auth/sessions/{admin_session}"));
        let not_theirs = app
            .refused_with(&call, Some(&user.access_token), NOT_FOUND)
            .await;
        let call = Call::delete("/api/v1/auth/sessions/ses_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e");
        let missing = app
            .refused_with(&call, Some(&user.access_token), NOT_FOUND)
            .await;
        assert_eq!(not_theirs["error"]["detail"], missing["error"]["detail"]);
        let call = Call::delete("/api/v1/auth/sessions/not-a-session-id");
        app.refused_with(&call, Some(&user.access_token), NOT_FOUND)
            .await;

        let response = app.get("/api/v1/auth/me", Some(&admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    deleting_your_other_session_makes_its_tokens_fail,
    |app| async move {
        let old = app.register("two-devices@rpotential.ai").await;
        let current = app.login(&old.email).await;
        let old_session = session_of(&old.access_token);
        let response = app
            .delete(
                &format!("/api/v1/auth/sessions/{old_session}"),
                Some(&current.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["data"], json!({"id": old_session, "deleted": true}));

        let call = Call::get("/api/v1/auth/me");
        app.refused_with(&call, Some(&old.access_token), UNAUTHORIZED)
            .await;
        let response = refresh_with(&app, &old.refresh_token).await;
        assert_problem(response, UNAUTHORIZED).await;

        let response = app
            .get("/api/v1/auth/sessions", Some(&current.access_token))
            .await;
        let sessions = json_body(response).await["data"].clone();
        assert_eq!(sessions.as_array().map(Vec::len), Some(1));
        assert_eq!(sessions[0]["id"], json!(session_of(&current.access_token)));

        // A revoked session cannot be revoked again.
        let call = Call::delete(format!("/api/v1/auth/sessions/{old_session}"));
        app.refused_with(&call, Some(&current.access_token), NOT_FOUND)
            .await;
    }
);

// ----- browser redirect -----------------------------------------------------------------

api_test_with!(
    a_browser_without_credentials_is_redirected_to_the_login_page,
    &[("AUTH_REDIRECT_URL", LOGIN_PAGE)],
    |app| async move {
        let path = "/api/v1/auth/me?tab=profile&x=1";
        let response = app
            .client
            .get(app.url(path))
            .header(header::ACCEPT, BROWSER_ACCEPT)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = location_of(&response);
        let target = url::Url::parse(&location).expect("an absolute Location");
        assert_eq!(
            format!(
                "{}://{}{}",
                target.scheme(),
                target.host_str().unwrap(),
                target.path()
            ),
            LOGIN_PAGE
        );
        let redirect: Vec<String> = target
            .query_pairs()
            .filter(|(k, _)| k == "redirect")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(redirect, [app.url(path)]);
    }
);

api_test_with!(
    an_api_request_without_credentials_still_gets_a_401_when_a_login_page_is_set,
    &[("AUTH_REDIRECT_URL", LOGIN_PAGE)],
    |app| async move {
        let response = app
            .client
            .get(app.url("/api/v1/auth/me"))
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap();
        assert_problem(response, UNAUTHORIZED).await;
        let call = Call::get("/api/v1/users/me");
        app.refused_with(&call, None, UNAUTHORIZED).await;
        // A browser that sends an Authorization header is an API client too.
        let response = app
            .client
            .get(app.url("/api/v1/auth/me"))
            .header(header::ACCEPT, BROWSER_ACCEPT)
            .bearer_auth("not-a-jwt")
            .send()
            .await
            .unwrap();
        assert_problem(response, UNAUTHORIZED).await;
        // Public routes are never redirected.
        let response = app
            .client
            .get(app.url("/api/v1/health"))
            .header(header::ACCEPT, BROWSER_ACCEPT)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
);
