//! Share links over HTTP: the owner (or an ADMIN) makes, lists and revokes them; anybody
//! holding one reads the thread without an account, within its password, expiry and view
//! limit; every failure to open one is the same 404.

use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, data_of, error_fields, json_body, location_of, pages_of, Account, Call, Team,
    TestApp, FORBIDDEN, INVALID, NOT_FOUND, UNAUTHORIZED,
};

const RATE_LIMITED: crate::helpers::Problem =
    crate::helpers::Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited");

fn shares_path(thread: &str) -> String {
    format!("/api/v1/threads/{thread}/shares")
}

fn share_path(thread: &str, share: &str) -> String {
    format!("/api/v1/threads/{thread}/shares/{share}")
}

/// A link as its creator got it.
struct Link {
    id: String,
    token: String,
    data: Value,
}

impl TestApp {
    /// Shares `thread` as `by` with `body`, checking the 201.
    async fn share(&self, by: &Account, thread: &str, body: Value) -> Link {
        let response = self
            .post(&shares_path(thread), Some(&by.access_token), body)
            .await;
        let data = data_of(response, StatusCode::CREATED).await;
        Link {
            id: data["id"].as_str().expect("an id").to_owned(),
            token: data["token"].as_str().expect("a token").to_owned(),
            data,
        }
    }

    /// Opens a link without credentials, with `password` in `X-Share-Password` and
    /// `query` (`""` or `?limit=…`).
    async fn open(&self, token: &str, password: Option<&str>, query: &str) -> Response {
        self.open_from(token, password, query, None).await
    }

    async fn open_from(
        &self,
        token: &str,
        password: Option<&str>,
        query: &str,
        address: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .get(self.url(&format!("/api/v1/shared/{token}{query}")));
        if let Some(password) = password {
            request = request.header("X-Share-Password", password);
        }
        if let Some(address) = address {
            request = request.header("X-Forwarded-For", address);
        }
        request.send().await.expect("the request is sent")
    }

    /// The thread's links as `by` sees them.
    async fn links(&self, by: &Account, thread: &str) -> Vec<Value> {
        let response = self.get(&shares_path(thread), Some(&by.access_token)).await;
        let data = data_of(response, StatusCode::OK).await;
        data.as_array().expect("a list").clone()
    }
}

/// The 404 of a link that does not open, without what differs per request (its time and
/// trace id), after checking it is a `not-found` problem.
async fn link_not_found(response: Response) -> Value {
    let mut body = assert_problem(response, NOT_FOUND).await;
    let error = body["error"].as_object_mut().expect("an error");
    error.remove("trace_id");
    error.remove("timestamp");
    body
}

// ---------------------------------------------------------------------------------------
// making and reading links

api_test!(
    the_owner_shares_a_thread_that_anybody_with_the_link_reads_without_emails,
    |app| async move {
        let team = app.team().await;
        let first = app
            .say(&team.owner.access_token, &team.thread, "The plan")
            .await;
        let second = app
            .say(&team.editor.access_token, &team.thread, "Looks good")
            .await;

        let response = app
            .post(
                &shares_path(&team.thread),
                Some(&team.owner.access_token),
                json!({ "max_views": 10 }),
            )
            .await;
        let location = location_of(&response);
        let link = data_of(response, StatusCode::CREATED).await;
        let token = link["token"].as_str().expect("a token").to_owned();
        let id = link["id"].as_str().expect("an id").to_owned();
        assert!(id.starts_with("shr_"), "{id}");
        assert!(token.starts_with("xs_") && token.len() >= 3 + 43, "{token}");
        assert_eq!(location, share_path(&team.thread, &id));
        assert_eq!(
            link["url"],
            json!(format!("{}/api/v1/shared/{token}", app.address))
        );
        assert_eq!(link["max_views"], json!(10));
        assert_eq!(link["view_count"], json!(0));
        assert_eq!(link["has_password"], json!(false));
        assert_eq!(link["expires_at"], json!(null));

        let response = app.open(&token, None, "").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let raw = response.text().await.expect("a body");
        for member in [
            &team.admin,
            &team.owner,
            &team.editor,
            &team.viewer,
            &team.outsider,
        ] {
            assert!(!raw.contains(&member.email), "{} in {raw}", member.email);
        }
        assert!(!raw.contains('@'), "no email at all: {raw}");
        let body: Value = serde_json::from_str(&raw).expect("JSON");
        let thread = &body["data"]["thread"];
        let mut keys: Vec<_> = thread.as_object().expect("a thread").keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["created_at", "description", "id", "title", "updated_at"]
        );
        assert_eq!(thread["id"], json!(team.thread));
        assert_eq!(thread["title"], json!("Quarterly planning"));
        let messages = body["data"]["messages"].as_array().expect("messages");
        let ids: Vec<_> = messages.iter().map(|m| m["id"].clone()).collect();
        assert_eq!(ids, vec![first["id"].clone(), second["id"].clone()]);
        assert_eq!(messages[0]["content"], json!("The plan"));
        assert_eq!(
            messages[1]["author"],
            json!({ "id": team.editor.id, "name": "Test User", "avatar_url": null })
        );
        assert_eq!(messages[0]["metadata"], json!(null), "no metadata");
        assert_eq!(body["metadata"]["pagination"]["has_more"], json!(false));

        let listed = app.links(&team.owner, &team.thread).await;
        assert_eq!(listed[0]["view_count"], json!(1));
    }
);

api_test!(
    a_reader_pages_through_the_messages_each_page_one_view,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Long").await;
        let mut posted = Vec::new();
        for n in 0..5 {
            posted.push(
                app.say(&owner.access_token, &thread, &format!("m{n}"))
                    .await["id"]
                    .clone(),
            );
        }
        let link = app.share(&owner, &thread, json!({})).await;

        let mut seen = Vec::new();
        let mut query = "?limit=2".to_owned();
        for _ in 0..10 {
            let body = json_body(app.open(&link.token, None, &query).await).await;
            let page = body["data"]["messages"].as_array().expect("messages");
            assert!(page.len() <= 2);
            seen.extend(page.iter().map(|m| m["id"].clone()));
            let pagination = &body["metadata"]["pagination"];
            assert_eq!(pagination["limit"], json!(2));
            match pagination["next_cursor"].as_str() {
                Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, posted);

        // A bad page is a 400 and counts no view.
        let errors = assert_problem(app.open(&link.token, None, "?limit=0").await, INVALID).await;
        assert_eq!(error_fields(&errors), ["limit"]);
        let listed = app.links(&owner, &thread).await;
        assert_eq!(listed[0]["view_count"], json!(3));
    }
);

api_test!(
    credentials_are_not_needed_nor_checked_on_a_shared_link,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Open").await;
        let link = app.share(&owner, &thread, json!({})).await;

        let response = app
            .client
            .get(app.url(&format!("/api/v1/shared/{}", link.token)))
            .bearer_auth("not-a-valid-token")
            .send()
            .await
            .expect("sent");

        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test_with!(
    the_url_uses_the_configured_public_base_url,
    &[("PUBLIC_BASE_URL", "https://chat.example.com/xl/")],
    |app| async move {
        let (owner, thread) = app.user_with_thread("Public").await;

        let link = app.share(&owner, &thread, json!({})).await;

        assert_eq!(
            link.data["url"],
            json!(format!(
                "https://chat.example.com/xl/api/v1/shared/{}",
                link.token
            ))
        );
    }
);

api_test!(lists_page_and_never_show_tokens, |app| async move {
    let (owner, thread) = app.user_with_thread("Listed").await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(app.share(&owner, &thread, json!({})).await);
    }

    let pages = pages_of(
        &app,
        &owner.access_token,
        &format!("{}?limit=2", shares_path(&thread)),
        2,
    )
    .await;
    let newest_first: Vec<String> = made.iter().rev().map(|l| l.id.clone()).collect();
    assert_eq!(pages.concat(), newest_first);

    let response = app
        .get(&shares_path(&thread), Some(&owner.access_token))
        .await;
    let raw = response.text().await.expect("a body");
    for link in &made {
        assert!(!raw.contains(&link.token), "a token in the list");
    }
    assert!(
        !raw.contains("\"token\"") && !raw.contains("\"url\""),
        "{raw}"
    );

    let one = app
        .get(&share_path(&thread, &made[0].id), Some(&owner.access_token))
        .await;
    let one = data_of(one, StatusCode::OK).await;
    assert_eq!(one["id"], json!(made[0].id));
    assert_eq!(one.get("token"), None);
});

// ---------------------------------------------------------------------------------------
// who may

api_test!(
    only_the_owner_or_an_admin_manage_links_and_strangers_learn_nothing,
    |app| async move {
        let team = app.team().await;
        let link = app.share(&team.owner, &team.thread, json!({})).await;
        let list = Call::get(shares_path(&team.thread));
        let create = Call::post(shares_path(&team.thread), json!({}));
        let one = Call::get(share_path(&team.thread, &link.id));
        let revoke = Call::delete(share_path(&team.thread, &link.id));

        for call in [&list, &create, &one, &revoke] {
            app.refused(call, Some(&team.editor), FORBIDDEN).await;
            app.refused(call, Some(&team.viewer), FORBIDDEN).await;
            app.refused(call, Some(&team.outsider), NOT_FOUND).await;
            app.refused(call, None, UNAUTHORIZED).await;
        }
        // Nothing was made or revoked.
        assert_eq!(app.links(&team.owner, &team.thread).await.len(), 1);
        assert_eq!(
            app.open(&link.token, None, "").await.status(),
            StatusCode::OK
        );

        // An ADMIN who is not a member manages them too.
        let by_admin = app.share(&team.admin, &team.thread, json!({})).await;
        assert_eq!(app.links(&team.admin, &team.thread).await.len(), 2);
        let response = app
            .delete(
                &share_path(&team.thread, &by_admin.id),
                Some(&team.admin.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    a_link_of_another_thread_or_a_malformed_id_is_not_found,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Mine").await;
        let other = app.new_thread(&owner.access_token, "Other").await;
        let link = app.share(&owner, &other, json!({})).await;

        for path in [
            share_path(&thread, &link.id),
            share_path(&thread, "shr_nope"),
            share_path("thr_nope", &link.id),
        ] {
            app.refused(&Call::get(path.clone()), Some(&owner), NOT_FOUND)
                .await;
            app.refused(&Call::delete(path), Some(&owner), NOT_FOUND)
                .await;
        }
        assert_eq!(
            app.open(&link.token, None, "").await.status(),
            StatusCode::OK
        );
    }
);

api_test!(
    keys_need_threads_write_to_make_and_revoke_and_threads_read_to_list,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Keyed").await;
        let key = |scopes: Value| {
            let app = &app;
            let owner = &owner;
            async move {
                let response = app
                    .post(
                        "/api/v1/api-keys",
                        Some(&owner.access_token),
                        json!({ "name": "agent", "scopes": scopes }),
                    )
                    .await;
                data_of(response, StatusCode::CREATED).await["secret"]
                    .as_str()
                    .expect("a secret")
                    .to_owned()
            }
        };
        let reader = key(json!(["threads:read"])).await;
        let writer = key(json!(["threads:write"])).await;
        let with_key =
            |method: reqwest::Method, path: String, secret: &str, body: Option<Value>| {
                let mut request = app
                    .client
                    .request(method, app.url(&path))
                    .header("X-API-Key", secret);
                if let Some(body) = body {
                    request = request.json(&body);
                }
                request.send()
            };

        let refused = with_key(
            reqwest::Method::POST,
            shares_path(&thread),
            &reader,
            Some(json!({})),
        )
        .await
        .expect("sent");
        assert_problem(refused, FORBIDDEN).await;
        let listed = with_key(reqwest::Method::GET, shares_path(&thread), &reader, None)
            .await
            .expect("sent");
        assert_eq!(data_of(listed, StatusCode::OK).await, json!([]));

        let made = with_key(
            reqwest::Method::POST,
            shares_path(&thread),
            &writer,
            Some(json!({})),
        )
        .await
        .expect("sent");
        let made = data_of(made, StatusCode::CREATED).await;
        let id = made["id"].as_str().expect("an id");
        let refused = with_key(reqwest::Method::GET, shares_path(&thread), &writer, None)
            .await
            .expect("sent");
        assert_problem(refused, FORBIDDEN).await;
        let refused = with_key(
            reqwest::Method::DELETE,
            share_path(&thread, id),
            &reader,
            None,
        )
        .await
        .expect("sent");
        assert_problem(refused, FORBIDDEN).await;
        assert_eq!(app.links(&owner, &thread).await.len(), 1);
        let revoked = with_key(
            reqwest::Method::DELETE,
            share_path(&thread, id),
            &writer,
            None,
        )
        .await
        .expect("sent");
        assert_eq!(revoked.status(), StatusCode::OK);
        assert!(app.links(&owner, &thread).await.is_empty());
    }
);

// ---------------------------------------------------------------------------------------
// bad input

api_test!(
    bad_fields_are_each_named_and_nothing_is_made,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Checked").await;
        let path = shares_path(&thread);

        let response = app
            .post(
                &path,
                Some(&owner.access_token),
                json!({
                    "expires_at": "2001-01-01T00:00:00.000Z",
                    "password": "short",
                    "max_views": 0,
                }),
            )
            .await;
        let body = assert_problem(response, INVALID).await;
        assert_eq!(error_fields(&body), ["expires_at", "max_views", "password"]);

        for (bad, field) in [
            (json!({ "max_views": 1_000_001 }), "max_views"),
            (json!({ "max_views": "five" }), "max_views"),
            (json!({ "expires_at": "tomorrow" }), "expires_at"),
            (json!({ "password": "x".repeat(257) }), "password"),
            (json!({ "password": 12_345_678 }), "password"),
            (json!({ "views": 3 }), "views"),
        ] {
            let response = app
                .post(&path, Some(&owner.access_token), bad.clone())
                .await;
            let body = assert_problem(response, INVALID).await;
            assert_eq!(error_fields(&body), [field], "{bad}");
        }

        assert!(app.links(&owner, &thread).await.is_empty());
    }
);

// ---------------------------------------------------------------------------------------
// limits, passwords and the one 404

api_test!(
    a_password_protected_link_opens_only_with_it,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Secret").await;
        let link = app
            .share(&owner, &thread, json!({ "password": "open sesame 1" }))
            .await;
        assert_eq!(link.data["has_password"], json!(true));
        assert!(!link.data.to_string().contains("open sesame"));

        link_not_found(app.open(&link.token, None, "").await).await;
        link_not_found(app.open(&link.token, Some("wrong guess"), "").await).await;
        let response = app.open(&link.token, Some("open sesame 1"), "").await;
        assert_eq!(response.status(), StatusCode::OK);

        // The failed tries counted no view.
        assert_eq!(app.links(&owner, &thread).await[0]["view_count"], json!(1));
    }
);

api_test!(
    every_link_that_does_not_open_answers_the_same_404,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Gone").await;
        let doomed_thread = app.new_thread(&owner.access_token, "Doomed").await;
        let expires = (chrono::Utc::now() + chrono::Duration::milliseconds(1_500))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let expiring = app
            .share(&owner, &thread, json!({ "expires_at": expires }))
            .await;
        let once = app.share(&owner, &thread, json!({ "max_views": 1 })).await;
        let revoked = app.share(&owner, &thread, json!({})).await;
        let protected = app
            .share(&owner, &thread, json!({ "password": "open sesame 1" }))
            .await;
        let orphaned = app.share(&owner, &doomed_thread, json!({})).await;

        assert_eq!(
            app.open(&once.token, None, "").await.status(),
            StatusCode::OK
        );
        let response = app
            .delete(&share_path(&thread, &revoked.id), Some(&owner.access_token))
            .await;
        assert_eq!(
            data_of(response, StatusCode::OK).await,
            json!({ "id": revoked.id, "deleted": true })
        );
        let response = app
            .delete(
                &format!("/api/v1/threads/{doomed_thread}"),
                Some(&owner.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            app.open(&expiring.token, None, "").await.status(),
            StatusCode::OK
        );
        tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;

        let reference = link_not_found(app.open("xs_unknown", None, "").await).await;
        assert_eq!(
            reference["error"]["detail"]
                .as_str()
                .map(|d| d.contains("shared")),
            Some(true)
        );
        for (case, response) in [
            ("malformed", app.open("abc", None, "").await),
            ("expired", app.open(&expiring.token, None, "").await),
            ("used up", app.open(&once.token, None, "").await),
            ("revoked", app.open(&revoked.token, None, "").await),
            ("no password", app.open(&protected.token, None, "").await),
            (
                "wrong password",
                app.open(&protected.token, Some("not the one"), "").await,
            ),
            ("thread deleted", app.open(&orphaned.token, None, "").await),
        ] {
            assert_eq!(link_not_found(response).await, reference, "{case}");
        }

        // Revoking twice: the second finds nothing.
        let response = app
            .delete(&share_path(&thread, &revoked.id), Some(&owner.access_token))
            .await;
        assert_problem(response, NOT_FOUND).await;
    }
);

api_test!(
    fifty_concurrent_opens_of_a_five_view_link_serve_exactly_five,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Popular").await;
        app.say(&owner.access_token, &thread, "Hello").await;
        let link = app.share(&owner, &thread, json!({ "max_views": 5 })).await;

        let opens = (0..50).map(|_| app.open(&link.token, None, ""));
        let statuses: Vec<StatusCode> = futures_util::future::join_all(opens)
            .await
            .iter()
            .map(Response::status)
            .collect();

        let served = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::NOT_FOUND)
            .count();
        assert_eq!((served, refused), (5, 45), "{statuses:?}");
        assert_eq!(app.links(&owner, &thread).await[0]["view_count"], json!(5));
    }
);

api_test!(links_die_with_their_thread, |app| async move {
    let team: Team = app.team().await;
    let link = app.share(&team.owner, &team.thread, json!({})).await;

    let response = app
        .delete(&team.path(), Some(&team.owner.access_token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    link_not_found(app.open(&link.token, None, "").await).await;
    app.refused(
        &Call::get(shares_path(&team.thread)),
        Some(&team.owner),
        NOT_FOUND,
    )
    .await;
});

/// Limits on, 127.0.0.1 trusted as a proxy so `X-Forwarded-For` names the reader; three
/// password guesses an hour per link, plenty per address and for requests in general.
const GUESSES_PER_LINK: &[(&str, &str)] = &[
    ("RATE_LIMITS_ENABLED", "true"),
    ("TRUSTED_PROXIES", "127.0.0.1"),
    ("RATE_LIMIT_PER_IP", "10000/minute"),
    ("RATE_LIMIT_PER_CALLER", "10000/minute"),
    ("SHARE_PASSWORD_RATE_LIMIT_PER_LINK", "3/hour"),
    ("SHARE_PASSWORD_RATE_LIMIT_PER_IP", "100/hour"),
];

api_test_with!(
    password_guesses_on_one_link_are_limited_from_any_address,
    GUESSES_PER_LINK,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Guarded").await;
        let link = app
            .share(&owner, &thread, json!({ "password": "open sesame 1" }))
            .await;
        let open = app.share(&owner, &thread, json!({})).await;

        for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            let response = app
                .open_from(&link.token, Some("a wrong guess"), "", Some(address))
                .await;
            link_not_found(response).await;
        }
        // The right password, from a fourth address: still over the link's limit.
        let response = app
            .open_from(&link.token, Some("open sesame 1"), "", Some("198.51.100.9"))
            .await;
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        assert_problem(response, RATE_LIMITED).await;
        assert_eq!(app.links(&owner, &thread).await[1]["view_count"], json!(0));

        // A link without a password takes no guesses and is not limited by them.
        let response = app
            .open_from(&open.token, None, "", Some("203.0.113.1"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

const GUESSES_PER_ADDRESS: &[(&str, &str)] = &[
    ("RATE_LIMITS_ENABLED", "true"),
    ("TRUSTED_PROXIES", "127.0.0.1"),
    ("RATE_LIMIT_PER_IP", "10000/minute"),
    ("RATE_LIMIT_PER_CALLER", "10000/minute"),
    ("SHARE_PASSWORD_RATE_LIMIT_PER_LINK", "100/hour"),
    ("SHARE_PASSWORD_RATE_LIMIT_PER_IP", "2/hour"),
];

api_test_with!(
    password_guesses_from_one_address_are_limited_across_links,
    GUESSES_PER_ADDRESS,
    |app| async move {
        let (owner, thread) = app.user_with_thread("Guarded").await;
        let first = app
            .share(&owner, &thread, json!({ "password": "open sesame 1" }))
            .await;
        let second = app
            .share(&owner, &thread, json!({ "password": "open sesame 2" }))
            .await;
        let guesser = "203.0.113.7";

        link_not_found(
            app.open_from(&first.token, Some("guess one"), "", Some(guesser))
                .await,
        )
        .await;
        link_not_found(
            app.open_from(&second.token, Some("guess two"), "", Some(guesser))
                .await,
        )
        .await;
        let response = app
            .open_from(&second.token, Some("open sesame 2"), "", Some(guesser))
            .await;
        assert_problem(response, RATE_LIMITED).await;

        // Another reader with the password is let in.
        let response = app
            .open_from(
                &second.token,
                Some("open sesame 2"),
                "",
                Some("198.51.100.9"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    making_and_revoking_a_link_are_in_the_audit_log,
    |app| async move {
        let (admin, owner) = app.admin_and_user().await;
        let thread = app.new_thread(&owner.access_token, "Audited").await;
        let link = app.share(&owner, &thread, json!({ "max_views": 3 })).await;
        let revoke = app
            .delete(&share_path(&thread, &link.id), Some(&owner.access_token))
            .await;
        assert_eq!(revoke.status(), StatusCode::OK);

        let log = app
            .get(
                "/api/v1/admin/audit-logs?resource_type=share_link",
                Some(&admin.access_token),
            )
            .await;
        let entries = data_of(log, StatusCode::OK).await;
        let seen: Vec<[&str; 3]> = entries
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| {
                ["action", "resource_id", "actor_id"].map(|f| e[f].as_str().unwrap_or_default())
            })
            .collect();
        assert_eq!(
            seen,
            [
                ["share_link.deleted", link.id.as_str(), owner.id.as_str()],
                ["share_link.created", link.id.as_str(), owner.id.as_str()],
            ]
        );
        assert_eq!(entries[1]["details"]["thread_id"], json!(thread));
        assert_eq!(entries[1]["details"]["max_views"], json!(3));
    }
);
