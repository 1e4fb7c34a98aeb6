//! Threads (contract section 4): create, list, read, change, delete, `ETag`/`If-Match`,
//! `Idempotency-Key`, and who may do what. Their members are tested in `members`.

use std::collections::HashSet;

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::helpers::{
    assert_precondition_failed, assert_problem, assert_problem_for, data_of, error_fields, etag,
    id_of, ids, json_body, let_the_clock_move, location_of, pages_of, roles, sizes, sorted,
    Account, Call, Team, TestApp, CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
};

const UNKNOWN_THREAD: &str = "thr_00000000000000000000000000000000";
const UNKNOWN_USER: &str = "usr_00000000000000000000000000000000";

mod members;

/// The caller's thread list for a query string, in order.
async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let response = app
        .get(&format!("/api/v1/threads{query}"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "GET /threads{query}");
    ids(&json_body(response).await)
}

/// Creates a thread from `body` as `token`, which must be refused as invalid, and returns
/// the fields the problem names.
async fn fields_refused(app: &TestApp, token: &str, body: Value) -> Vec<String> {
    let call = Call::post("/api/v1/threads", body);
    error_fields(&app.refused_with(&call, Some(token), INVALID).await)
}

/// Whether a timestamp looks like `2026-11-22T10:15:30.123Z`.
fn is_utc_millis(timestamp: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    timestamp.len() == shape.len()
        && timestamp.chars().zip(shape.chars()).all(|(c, s)| {
            if s == 'd' {
                c.is_ascii_digit()
            } else {
                c == s
            }
        })
}

/// A JSON object with `n` keys.
fn object_with_keys(n: usize) -> Value {
    Value::Object(
        (0..n)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect::<Map<_, _>>(),
    )
}

// ---------------------------------------------------------------------------------------
// POST /api/v1/threads
// ---------------------------------------------------------------------------------------

api_test!(
    creating_a_thread_answers_201_with_its_location_and_makes_the_caller_owner,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let response = app
            .post(
                "/api/v1/threads",
                Some(&user.access_token),
                json!({
                    "title": "Quarterly planning",
                    "description": "Q3 goals\nand risks",
                    "metadata": {"source": "slack", "n": 1},
                    "memory": {"summary": "nothing yet", "facts": ["a"]},
                    "pinned": true
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        let data = &body["data"];
        let id = id_of(data);
        assert!(id.starts_with("thr_"), "{id}");
        assert_eq!(location, format!("/api/v1/threads/{id}"));
        assert_eq!(data["title"], json!("Quarterly planning"));
        assert_eq!(data["description"], json!("Q3 goals\nand risks"));
        assert_eq!(data["metadata"], json!({"source": "slack", "n": 1}));
        assert_eq!(
            data["memory"],
            json!({"summary": "nothing yet", "facts": ["a"]})
        );
        assert_eq!(data["pinned"], json!(true));
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["owner_id"], json!(user.id));
        assert_eq!(data["my_role"], json!("owner"));

        // The Location names the same thread, and the creator is its one member.
        let read = app.get(&location, Some(&user.access_token)).await;
        assert_eq!(read.status(), StatusCode::OK);
        assert_eq!(json_body(read).await["data"], *data);
        assert_eq!(
            app.members(&user.access_token, &id).await,
            roles(&[(&user.id, "owner")])
        );
    }
);

api_test!(
    a_thread_created_from_an_empty_body_gets_the_defaults,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let response = app
            .post("/api/v1/threads", Some(&user.access_token), json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["title"], json!(""));
        assert_eq!(data["description"], json!(""));
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["pinned"], json!(false));
        assert_eq!(data["metadata"], json!({}));
        assert_eq!(data["memory"], json!({}));
        assert_eq!(data["message_count"], json!(0));
        assert_eq!(data["last_message_at"], json!(null));
        assert_eq!(data["my_role"], json!("owner"));
        let created_at = data["created_at"].as_str().expect("created_at");
        assert!(
            is_utc_millis(created_at),
            "created_at {created_at} is RFC 3339 UTC with milliseconds"
        );
        assert_eq!(data["updated_at"], data["created_at"]);
    }
);

api_test!(
    titles_and_descriptions_at_their_limits_are_accepted_and_past_them_refused,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let response = app
            .post(
                "/api/v1/threads",
                Some(token),
                json!({"title": "t".repeat(200), "description": "d".repeat(2000)}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "at the limits");

        let past_the_limits = json!({"title": "t".repeat(201), "description": "d".repeat(2001)});
        assert_eq!(
            fields_refused(&app, token, past_the_limits).await,
            vec!["description", "title"]
        );
        let two_lines = json!({"title": "two\nlines"});
        assert_eq!(fields_refused(&app, token, two_lines).await, vec!["title"]);
        assert_eq!(
            listed(&app, token, "").await.len(),
            1,
            "nothing more was created"
        );
    }
);

api_test!(
    a_new_thread_with_every_field_bad_names_every_field,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let body = json!({
            "title": "t".repeat(201),
            "description": "d".repeat(2001),
            "metadata": ["not", "an", "object"],
            "memory": {"big": "m".repeat(64 * 1024)}
        });
        assert_eq!(
            fields_refused(&app, token, body).await,
            vec!["description", "memory", "metadata", "title"]
        );
        assert!(
            listed(&app, token, "").await.is_empty(),
            "nothing was created"
        );
    }
);

api_test!(
    metadata_and_memory_must_be_json_objects_within_their_limits,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let refused: [(&str, Value); 7] = [
            ("metadata", json!({"metadata": "text"})),
            ("metadata", json!({"metadata": 42})),
            ("metadata", json!({"metadata": object_with_keys(65)})),
            (
                "metadata",
                json!({"metadata": {"big": "x".repeat(16 * 1024)}}),
            ),
            ("memory", json!({"memory": [1, 2]})),
            ("memory", json!({"memory": "text"})),
            ("memory", json!({"memory": {"big": "x".repeat(64 * 1024)}})),
        ];
        for (field, body) in refused {
            let context = body.to_string();
            let fields = fields_refused(&app, token, body).await;
            assert_eq!(fields, vec![field.to_owned()], "{context:.80}");
        }
        assert!(
            listed(&app, token, "").await.is_empty(),
            "nothing was created"
        );

        // Just inside the limits.
        let accepted: [Value; 3] = [
            json!({"metadata": object_with_keys(64)}),
            json!({"metadata": {"big": "x".repeat(15 * 1024)}}),
            json!({"memory": {"big": "x".repeat(60 * 1024)}}),
        ];
        for body in accepted {
            let response = app.post("/api/v1/threads", Some(token), body).await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    }
);

api_test!(
    a_new_thread_that_is_not_a_plain_json_object_of_known_fields_is_refused,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let json = "application/json";
        let unknown_field = json!({"title": "Plans", "owner_id": user.id}).to_string();
        let cases = [
            (json, unknown_field.as_str(), INVALID),
            (json, "{\"title\": ", INVALID),
            (json, "[]", INVALID),
            (json, "\"title\"", INVALID),
            (
                "text/plain",
                r#"{"title": "Plans"}"#,
                UNSUPPORTED_MEDIA_TYPE,
            ),
        ];
        for (content_type, body, problem) in cases {
            let response = app
                .post_raw("/api/v1/threads", Some(token), content_type, body)
                .await;
            assert_problem_for(response, problem, &format!("{content_type} {body}")).await;
        }
        assert!(listed(&app, token, "").await.is_empty());
    }
);

api_test!(
    creating_a_thread_without_a_token_is_unauthorized,
    |app| async move {
        let call = Call::post("/api/v1/threads", json!({"title": "Plans"}));
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    a_create_retried_with_the_same_idempotency_key_returns_the_same_thread_and_creates_one,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let body = json!({"title": "Retry me"});
        let key = [("idempotency-key", "thread-key-1")];
        let first = app
            .send(
                Method::POST,
                "/api/v1/threads",
                token,
                &key,
                Some(body.clone()),
            )
            .await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let location = location_of(&first);
        let first = json_body(first).await;

        let second = app
            .send(Method::POST, "/api/v1/threads", token, &key, Some(body))
            .await;
        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        assert_eq!(location_of(&second), location);
        let second = json_body(second).await;
        assert_eq!(second["data"]["id"], first["data"]["id"]);
        assert_eq!(second["data"], first["data"]);
        assert_eq!(listed(&app, token, "").await.len(), 1, "one thread only");

        // The same key with another body is a conflict, and creates nothing.
        let other = app
            .send(
                Method::POST,
                "/api/v1/threads",
                token,
                &key,
                Some(json!({"title": "Something else"})),
            )
            .await;
        assert_problem(other, CONFLICT).await;
        assert_eq!(listed(&app, token, "").await.len(), 1);
    }
);

// ---------------------------------------------------------------------------------------
// GET /api/v1/threads
// ---------------------------------------------------------------------------------------

api_test!(
    the_thread_list_shows_only_threads_the_caller_owns_or_joined,
    |app| async move {
        let (admin, alice) = app.admin_and_user().await;
        let bob = app.register("bob@rpotential.ai").await;
        let a1 = id_of(&app.create_thread(&alice.access_token, "Alice one").await);
        let a2 = id_of(&app.create_thread(&alice.access_token, "Alice two").await);
        let b1 = id_of(&app.create_thread(&bob.access_token, "Bob one").await);

        assert_eq!(
            sorted(listed(&app, &alice.access_token, "").await),
            sorted(vec![a1.clone(), a2.clone()])
        );
        assert_eq!(listed(&app, &bob.access_token, "").await, vec![b1.clone()]);
        // ADMINs read any thread by id, but their list holds only their own.
        assert!(listed(&app, &admin.access_token, "").await.is_empty());

        app.add_member(&alice.access_token, &a1, &bob.id, "viewer")
            .await;
        let response = app.get("/api/v1/threads", Some(&bob.access_token)).await;
        let body = json_body(response).await;
        assert_eq!(sorted(ids(&body)), sorted(vec![a1.clone(), b1.clone()]));
        for item in body["data"].as_array().unwrap() {
            let expected = if item["id"] == json!(a1) {
                "viewer"
            } else {
                "owner"
            };
            assert_eq!(item["my_role"], json!(expected), "{}", item["id"]);
        }
        assert_eq!(
            body["metadata"]["pagination"],
            json!({"limit": 20, "has_more": false, "next_cursor": null})
        );
    }
);

api_test!(
    listing_threads_without_a_token_is_unauthorized,
    |app| async move {
        let call = Call::get("/api/v1/threads");
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    threads_are_listed_newest_activity_first_and_a_new_message_moves_one_to_the_top,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let mut created = Vec::new();
        for title in ["first", "second", "third"] {
            created.push(id_of(&app.create_thread(token, title).await));
            let_the_clock_move().await;
        }
        let (first, second, third) = (created[0].clone(), created[1].clone(), created[2].clone());
        assert_eq!(
            listed(&app, token, "").await,
            vec![third.clone(), second.clone(), first.clone()]
        );

        app.say(token, &first, "hi").await;
        assert_eq!(
            listed(&app, token, "").await,
            vec![first.clone(), third.clone(), second.clone()]
        );
        let moved = app.thread(token, &first).await;
        assert_eq!(moved["message_count"], json!(1));
        assert!(moved["last_message_at"].is_string());

        let_the_clock_move().await;
        app.say(token, &second, "hi").await;
        assert_eq!(listed(&app, token, "").await, vec![second, first, third]);
    }
);

api_test!(
    the_thread_list_filters_by_status_pinned_and_title,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let planning = id_of(
            &json_body(
                app.post(
                    "/api/v1/threads",
                    Some(token),
                    json!({"title": "Quarterly PLANNING", "pinned": true}),
                )
                .await,
            )
            .await["data"],
        );
        let budget = id_of(&app.create_thread(token, "Budget review").await);
        let archive = id_of(&app.create_thread(token, "Old planning 100%").await);
        let response = app
            .patch(
                &format!("/api/v1/threads/{archive}"),
                Some(token),
                json!({"status": "archived"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let cases: [(&str, Vec<String>); 11] = [
            ("status=active", vec![planning.clone(), budget.clone()]),
            ("status=archived", vec![archive.clone()]),
            ("pinned=true", vec![planning.clone()]),
            ("pinned=false", vec![budget.clone(), archive.clone()]),
            ("q=planning", vec![planning.clone(), archive.clone()]),
            ("q=pLaNnInG", vec![planning.clone(), archive.clone()]),
            ("q=BUDGET%20rev", vec![budget.clone()]),
            ("q=planning&status=archived", vec![archive.clone()]),
            (
                "q=planning&pinned=true&status=active",
                vec![planning.clone()],
            ),
            ("q=100%25", vec![archive.clone()]),
            ("q=nothing-matches", vec![]),
        ];
        for (query, expected) in cases {
            assert_eq!(
                sorted(listed(&app, token, &format!("?{query}")).await),
                sorted(expected),
                "{query}"
            );
        }
        // LIKE wildcards are matched literally.
        assert_eq!(listed(&app, token, "?q=%25").await, vec![archive.clone()]);
        assert!(listed(&app, token, "?q=_").await.is_empty());
    }
);

api_test!(
    bad_thread_list_parameters_are_refused_naming_the_parameter,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        app.create_thread(token, "Plans").await;
        let cases = [
            ("status=deleted", "status"),
            ("status=ACTIVE", "status"),
            ("pinned=yes", "pinned"),
            ("pinned=1", "pinned"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=-1", "limit"),
            ("limit=x", "limit"),
            ("cursor=%25%25%25", "cursor"),
            // Base64 of "garbage": well encoded, but not a position this API made.
            ("cursor=Z2FyYmFnZQ", "cursor"),
        ];
        for (query, field) in cases {
            let call = Call::get(format!("/api/v1/threads?{query}"));
            let problem = app.refused_with(&call, Some(token), INVALID).await;
            assert!(
                problem["error"]["errors"].get(field).is_some(),
                "{query}: errors name {field}: {problem}"
            );
        }
        // The bounds themselves are fine.
        for query in ["limit=1", "limit=100", "status=active", "pinned=false"] {
            assert_eq!(listed(&app, token, &format!("?{query}")).await.len(), 1);
        }
    }
);

api_test!(
    paging_through_five_threads_two_at_a_time_returns_each_exactly_once,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let mut expected = Vec::new();
        for n in 0..5 {
            expected.push(id_of(
                &app.create_thread(token, &format!("thread {n}")).await,
            ));
            let_the_clock_move().await;
        }
        // Newest first.
        expected.reverse();

        let pages = pages_of(&app, token, "/api/v1/threads?limit=2", 2).await;
        assert_eq!(sizes(&pages), vec![2, 2, 1]);
        let seen = pages.concat();
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no thread appears twice");
        assert_eq!(seen, expected, "every thread once, newest first");
    }
);

// ---------------------------------------------------------------------------------------
// GET /api/v1/threads/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    members_read_a_thread_with_an_etag_and_their_role,
    |app| async move {
        let team = app.team().await;
        for (account, role) in [
            (&team.owner, "owner"),
            (&team.editor, "editor"),
            (&team.viewer, "viewer"),
        ] {
            let response = app.get(&team.path(), Some(&account.access_token)).await;
            assert_eq!(response.status(), StatusCode::OK, "{role}");
            etag(&response);
            let data = json_body(response).await["data"].clone();
            assert_eq!(data["id"], json!(team.thread));
            assert_eq!(data["title"], json!("Quarterly planning"));
            assert_eq!(data["owner_id"], json!(team.owner.id));
            assert_eq!(data["my_role"], json!(role));
        }
    }
);

api_test!(
    another_users_thread_is_not_found_exactly_like_a_missing_one,
    |app| async move {
        let team = app.team().await;
        let token = team.outsider.access_token.as_str();
        let hidden = assert_problem(app.get(&team.path(), Some(token)).await, NOT_FOUND).await;
        let missing = assert_problem(
            app.get(&format!("/api/v1/threads/{UNKNOWN_THREAD}"), Some(token))
                .await,
            NOT_FOUND,
        )
        .await;
        assert_eq!(hidden["error"]["title"], missing["error"]["title"]);
        assert_eq!(hidden["error"]["detail"], missing["error"]["detail"]);
        // Malformed ids name nothing either.
        for bad in ["nope", "usr_00000000000000000000000000000000", "thr_XYZ"] {
            let call = Call::get(format!("/api/v1/threads/{bad}"));
            app.refused_with(&call, Some(token), NOT_FOUND).await;
        }
    }
);

api_test!(
    an_admin_reads_a_thread_they_are_not_a_member_of_with_no_role,
    |app| async move {
        let team = app.team().await;
        let response = app.get(&team.path(), Some(&team.admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["id"], json!(team.thread));
        assert_eq!(data["my_role"], json!(null));
    }
);

api_test!(
    reading_a_thread_without_a_token_is_unauthorized,
    |app| async move {
        let team = app.team().await;
        let call = Call::get(team.path());
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

// ---------------------------------------------------------------------------------------
// PUT and PATCH /api/v1/threads/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_changes_every_field_of_a_thread,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let before = app.get(&team.path(), Some(token)).await;
        let old_tag = etag(&before);
        let before = json_body(before).await["data"].clone();
        let response = app
            .patch(
                &team.path(),
                Some(token),
                json!({
                    "title": "Renamed",
                    "description": "A new description",
                    "metadata": {"team": "core"},
                    "memory": {"summary": "we agreed"},
                    "status": "archived",
                    "pinned": true
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let new_tag = etag(&response);
        assert_ne!(new_tag, old_tag, "the ETag moves with a change");
        let data = json_body(response).await["data"].clone();
        let expected = json!({
            "title": "Renamed",
            "description": "A new description",
            "metadata": {"team": "core"},
            "memory": {"summary": "we agreed"},
            "status": "archived",
            "pinned": true,
            "my_role": "owner"
        });
        for (key, value) in expected.as_object().unwrap() {
            assert_eq!(data[key], *value, "{key}");
        }
        assert!(data["updated_at"].as_str() > before["updated_at"].as_str());
        assert_eq!(data["created_at"], before["created_at"]);

        // And it is stored.
        let stored = app.get(&team.path(), Some(token)).await;
        assert_eq!(etag(&stored), new_tag);
        assert_eq!(json_body(stored).await["data"], data);
    }
);

api_test!(
    put_and_patch_change_only_the_fields_present,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let response = app
            .patch(
                &team.path(),
                Some(token),
                json!({"description": "kept", "metadata": {"keep": true}, "pinned": true}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app
            .put(
                &team.path(),
                Some(token),
                json!({"title": "Only the title"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["title"], json!("Only the title"));
        assert_eq!(data["description"], json!("kept"));
        assert_eq!(data["metadata"], json!({"keep": true}));
        assert_eq!(data["pinned"], json!(true));
        assert_eq!(data["status"], json!("active"));

        // metadata and memory are replaced whole, not merged.
        let response = app
            .patch(&team.path(), Some(token), json!({"metadata": {"other": 1}}))
            .await;
        assert_eq!(
            json_body(response).await["data"]["metadata"],
            json!({"other": 1})
        );
    }
);

api_test!(
    an_editor_changes_a_thread_and_archives_and_unarchives_it,
    |app| async move {
        let team = app.team().await;
        let token = team.editor.access_token.as_str();
        for method in [Method::PUT, Method::PATCH] {
            let title = format!("Edited with {method}");
            let response = app
                .request(
                    method.clone(),
                    &team.path(),
                    Some(token),
                    Some(json!({"title": title, "memory": {"by": "editor"}, "pinned": true})),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{method}");
            let data = json_body(response).await["data"].clone();
            assert_eq!(data["title"], json!(title));
            assert_eq!(data["memory"], json!({"by": "editor"}));
            assert_eq!(data["my_role"], json!("editor"));
        }

        let response = app
            .patch(&team.path(), Some(token), json!({"status": "archived"}))
            .await;
        assert_eq!(
            json_body(response).await["data"]["status"],
            json!("archived")
        );
        assert_eq!(
            app.thread(&team.owner.access_token, &team.thread).await["status"],
            json!("archived")
        );
        let response = app
            .put(
                &team.path(),
                Some(token),
                json!({"status": "active", "pinned": false}),
            )
            .await;
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["pinned"], json!(false));
        let stored = app.thread(&team.owner.access_token, &team.thread).await;
        assert_eq!(stored["status"], json!("active"));
        assert_eq!(stored["pinned"], json!(false));
    }
);

api_test!(a_viewer_may_not_change_a_thread, |app| async move {
    let team = app.team().await;
    for method in [Method::PUT, Method::PATCH] {
        let response = app
            .request(
                method,
                &team.path(),
                Some(&team.viewer.access_token),
                Some(json!({"title": "Hijacked", "status": "archived"})),
            )
            .await;
        assert_problem(response, FORBIDDEN).await;
    }
    let stored = app.thread(&team.owner.access_token, &team.thread).await;
    assert_eq!(stored["title"], json!("Quarterly planning"));
    assert_eq!(stored["status"], json!("active"));
});

api_test!(
    a_non_member_changing_a_thread_gets_404_and_an_admin_non_member_403,
    |app| async move {
        let team = app.team().await;
        for method in [Method::PUT, Method::PATCH] {
            let response = app
                .request(
                    method.clone(),
                    &team.path(),
                    Some(&team.outsider.access_token),
                    Some(json!({"title": "Hijacked"})),
                )
                .await;
            assert_problem(response, NOT_FOUND).await;
            let response = app
                .request(
                    method,
                    &team.path(),
                    Some(&team.admin.access_token),
                    Some(json!({"title": "Hijacked"})),
                )
                .await;
            assert_problem(response, FORBIDDEN).await;
        }
        let call = Call::patch(
            format!("/api/v1/threads/{UNKNOWN_THREAD}"),
            json!({"title": "Nothing"}),
        );
        app.refused_with(&call, Some(&team.owner.access_token), NOT_FOUND)
            .await;
        assert_eq!(
            app.thread(&team.owner.access_token, &team.thread).await["title"],
            json!("Quarterly planning")
        );
    }
);

api_test!(
    bad_changes_to_a_thread_are_refused_and_change_nothing,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let before = app.thread(token, &team.thread).await;
        let named: [(Value, Vec<&str>); 6] = [
            (json!({"title": null}), vec!["title"]),
            (json!({"status": null}), vec!["status"]),
            (json!({"pinned": null}), vec!["pinned"]),
            (json!({"title": "t".repeat(201)}), vec!["title"]),
            (
                json!({"metadata": [1], "memory": "x", "description": "d".repeat(2001)}),
                vec!["description", "memory", "metadata"],
            ),
            (json!({"metadata": object_with_keys(65)}), vec!["metadata"]),
        ];
        for (body, fields) in named {
            let call = Call::patch(team.path(), body.clone());
            let problem = app.refused_with(&call, Some(token), INVALID).await;
            assert_eq!(error_fields(&problem), fields, "{body}");
        }
        for body in [
            json!({"status": "deleted"}),
            json!({"pinned": "yes"}),
            json!({"owner_id": team.editor.id}),
            json!({"title": "ok", "unknown": 1}),
        ] {
            let call = Call::put(team.path(), body.clone());
            app.refused_with(&call, Some(token), INVALID).await;
        }
        let response = app
            .client
            .patch(app.url(&team.path()))
            .bearer_auth(token)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(r#"{"title": "x"}"#)
            .send()
            .await
            .unwrap();
        assert_problem(response, UNSUPPORTED_MEDIA_TYPE).await;
        assert_eq!(app.thread(token, &team.thread).await, before);
    }
);

api_test!(
    a_change_with_a_stale_if_match_is_412_and_changes_nothing,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let path = team.path();
        let stale = app.current_etag(token, &path).await;
        let response = app
            .patch(&path, Some(token), json!({"title": "First change"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let current = etag(&response);
        assert_ne!(current, stale);

        app.stale_edits_refused(&path, token, &stale, json!({"title": "Lost update"}))
            .await;
        let stored = app.get(&path, Some(token)).await;
        assert_eq!(etag(&stored), current, "the version did not move");
        assert_eq!(
            json_body(stored).await["data"]["title"],
            json!("First change")
        );

        let response = app
            .patch_if_match(&path, token, &current, json!({"title": "Second change"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_ne!(etag(&response), current);
        assert_eq!(
            json_body(response).await["data"]["title"],
            json!("Second change")
        );
    }
);

api_test!(
    an_archived_thread_takes_no_messages_until_it_is_unarchived,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let messages = format!("{}/messages", team.path());
        let response = app
            .patch(&team.path(), Some(token), json!({"status": "archived"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        for account in [&team.owner, &team.editor] {
            let call = Call::post(&messages, json!({"content": "hi"}));
            app.refused_with(&call, Some(&account.access_token), CONFLICT)
                .await;
        }
        assert_eq!(app.message_count(token, &team.thread).await, 0);

        let response = app
            .patch(&team.path(), Some(token), json!({"status": "active"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        app.say(&team.editor.access_token, &team.thread, "hi").await;
        assert_eq!(app.message_count(token, &team.thread).await, 1);
    }
);

// ---------------------------------------------------------------------------------------
// DELETE /api/v1/threads/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_deletes_a_thread_and_its_messages_go_with_it,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let message = id_of(&app.say(token, &team.thread, "hi").await);
        let other = id_of(&app.create_thread(token, "Survivor").await);
        let response = app
            .get(&format!("/api/v1/messages/{message}"), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app.delete(&team.path(), Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        assert_eq!(body["data"], json!({"id": team.thread, "deleted": true}));

        // Gone for everyone, ADMINs included, and so are its messages and members.
        for account in [&team.owner, &team.editor, &team.admin] {
            let token = account.access_token.as_str();
            let call = Call::get(team.path());
            app.refused_with(&call, Some(token), NOT_FOUND).await;
            let call = Call::get(format!("/api/v1/messages/{message}"));
            app.refused_with(&call, Some(token), NOT_FOUND).await;
            let call = Call::get(team.members_path());
            app.refused_with(&call, Some(token), NOT_FOUND).await;
        }
        assert_eq!(listed(&app, token, "").await, vec![other]);
        assert!(listed(&app, &team.editor.access_token, "").await.is_empty());

        // Deleting it again: it is not there.
        let call = Call::delete(team.path());
        app.refused_with(&call, Some(token), NOT_FOUND).await;
    }
);

api_test!(
    editors_and_viewers_may_not_delete_a_thread,
    |app| async move {
        let team = app.team().await;
        for account in [&team.editor, &team.viewer] {
            let call = Call::delete(team.path());
            app.refused_with(&call, Some(&account.access_token), FORBIDDEN)
                .await;
        }
        app.thread(&team.owner.access_token, &team.thread).await;
    }
);

api_test!(a_non_member_deleting_a_thread_gets_404, |app| async move {
    let team = app.team().await;
    let call = Call::delete(team.path());
    app.refused_with(&call, Some(&team.outsider.access_token), NOT_FOUND)
        .await;
    for bad in [UNKNOWN_THREAD, "nope"] {
        let call = Call::delete(format!("/api/v1/threads/{bad}"));
        app.refused_with(&call, Some(&team.owner.access_token), NOT_FOUND)
            .await;
    }
    app.thread(&team.owner.access_token, &team.thread).await;
});

api_test!(
    an_admin_deletes_a_thread_they_are_not_a_member_of,
    |app| async move {
        let team = app.team().await;
        let response = app
            .delete(&team.path(), Some(&team.admin.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": team.thread, "deleted": true})
        );
        let call = Call::get(team.path());
        app.refused_with(&call, Some(&team.owner.access_token), NOT_FOUND)
            .await;
    }
);

api_test!(
    deleting_with_a_stale_if_match_is_412_and_keeps_the_thread,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let path = team.path();
        let stale = app.current_etag(token, &path).await;
        let response = app
            .patch(&path, Some(token), json!({"title": "Changed"}))
            .await;
        let current = etag(&response);

        let response = app.delete_if_match(&path, token, &stale).await;
        assert_precondition_failed(response).await;
        assert_eq!(
            app.thread(token, &team.thread).await["title"],
            json!("Changed")
        );

        let response = app.delete_if_match(&path, token, &current).await;
        assert_eq!(response.status(), StatusCode::OK);
        let call = Call::get(&path);
        app.refused_with(&call, Some(token), NOT_FOUND).await;
    }
);

// ---------------------------------------------------------------------------------------
// More edges: cursors, `ETag`s, `If-Match` and the title filter
// ---------------------------------------------------------------------------------------

api_test!(
    thread_list_cursors_with_times_no_database_stores_are_400_naming_the_cursor,
    |app| async move {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        app.create_thread(token, "Plans").await;
        // Well-formed keys (`<millis>:<id>`) but for times before 1970 and after 9999:
        // the databases cannot compare them (PostgreSQL failed with 500).
        for key in [
            "-8000000000000000:thr_x",
            "-1:thr_x",
            "253402300800000:thr_x",
            "9223372036854775807:thr_x",
        ] {
            let cursor = URL_SAFE_NO_PAD.encode(key);
            let call = Call::get(format!("/api/v1/threads?cursor={cursor}"));
            let problem = app.refused_with(&call, Some(token), INVALID).await;
            assert!(
                problem["error"]["errors"].get("cursor").is_some(),
                "{key}: errors name the cursor: {problem}"
            );
        }
        // The last millisecond of 9999 and the first of 1970 are positions still.
        for key in ["253402300799999:thr_x", "0:thr_x"] {
            let cursor = URL_SAFE_NO_PAD.encode(key);
            let response = app
                .get(&format!("/api/v1/threads?cursor={cursor}"), Some(token))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{key}");
        }
    }
);

api_test!(
    a_threads_etag_moves_when_one_of_its_messages_is_deleted,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let path = team.path();
        app.say(token, &team.thread, "hi").await;
        let gone = id_of(&app.say(token, &team.thread, "hi").await);
        let before = app.current_etag(token, &path).await;

        let response = app
            .delete(&format!("/api/v1/messages/{gone}"), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app.get(&path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let after = etag(&response);
        assert_eq!(json_body(response).await["data"]["message_count"], json!(1));
        assert_ne!(
            after, before,
            "the message count is part of the representation"
        );

        let edit = json!({"title": "Based on an old view"});
        app.stale_writes_refused(&path, token, &before, edit).await;
        assert_eq!(app.current_etag(token, &path).await, after);
        assert_eq!(
            app.thread(token, &team.thread).await["title"],
            json!("Quarterly planning")
        );

        let response = app
            .patch_if_match(
                &path,
                token,
                &after,
                json!({"title": "Based on the current view"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"]["title"],
            json!("Based on the current view")
        );
    }
);

api_test!(
    an_if_match_that_is_not_ascii_matches_nothing_and_changes_nothing,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let path = team.path();
        let before = app.thread(token, &team.thread).await;
        let not_ascii = header::HeaderValue::from_bytes(b"\"\xE9t\xE9\"").unwrap();
        for method in [Method::PATCH, Method::PUT, Method::DELETE] {
            let mut request = app
                .client
                .request(method.clone(), app.url(&path))
                .bearer_auth(token)
                .header(header::IF_MATCH, not_ascii.clone());
            if method != Method::DELETE {
                request = request.json(&json!({"title": "Changed anyway"}));
            }
            let response = request.send().await.unwrap();
            assert_precondition_failed(response).await;
        }
        assert_eq!(app.thread(token, &team.thread).await, before);
    }
);
