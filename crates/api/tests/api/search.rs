//! Search (contract section 5): hits with marked snippets, only from readable threads,
//! filters, paging, and query text that is always safe.

use std::collections::HashSet;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, id_of, ids, json_body, sorted, validation_errors, Call, TestApp, INVALID,
    NOT_FOUND, UNAUTHORIZED,
};

/// `GET /api/v1/search` with the given query parameters, URL-encoded.
async fn search(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Response {
    app.client
        .get(app.url("/api/v1/search"))
        .query(params)
        .bearer_auth(token)
        .send()
        .await
        .expect("the request is sent")
}

/// The body of a successful search.
async fn hits(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Value {
    let response = search(app, token, params).await;
    assert_eq!(response.status(), StatusCode::OK, "searching {params:?}");
    json_body(response).await
}

api_test!(
    search_finds_a_message_by_a_word_and_marks_it_in_the_snippet,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Ops").await;
        let token = user.access_token.as_str();
        let hit = app
            .say(token, &thread_id, "The deploy plan for Friday is ready")
            .await;
        app.say(token, &thread_id, "Lunch on Thursday").await;

        let body = hits(&app, token, &[("q", "deploy")]).await;
        assert_eq!(body["success"], json!(true));
        assert_eq!(ids(&body), vec![id_of(&hit)]);
        let found = &body["data"][0];
        assert_eq!(found["type"], json!("message"));
        assert_eq!(found["thread_id"], json!(thread_id));
        assert_eq!(found["author_id"], json!(user.id));
        assert_eq!(found["role"], json!("user"));
        assert_eq!(found["created_at"], hit["created_at"]);
        let snippet = found["snippet"].as_str().unwrap();
        assert!(snippet.contains("<mark>deploy</mark>"), "{snippet}");
        assert!(
            !snippet.contains("<mark>plan</mark>"),
            "only matches are marked: {snippet}"
        );

        let body = hits(&app, token, &[("q", "DEPLOY friday")]).await;
        assert_eq!(
            ids(&body),
            vec![id_of(&hit)],
            "case-insensitive, every word"
        );
        let body = hits(&app, token, &[("q", "deploy thursday")]).await;
        assert_eq!(ids(&body), Vec::<String>::new(), "all words must match");
        let body = hits(&app, token, &[("q", "nowhere")]).await;
        assert_eq!(ids(&body), Vec::<String>::new());
        assert_eq!(
            body["metadata"]["pagination"],
            json!({"limit": 20, "has_more": false, "next_cursor": null})
        );
    }
);

api_test!(
    snippets_escape_the_message_text_around_the_marks,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Html").await;
        let token = user.access_token.as_str();
        app.say(
            token,
            &thread_id,
            "<script>alert(1)</script> kiwi & <b>mango</b>",
        )
        .await;
        let body = hits(&app, token, &[("q", "kiwi")]).await;
        let snippet = body["data"][0]["snippet"].as_str().unwrap();
        assert!(snippet.contains("<mark>kiwi</mark>"), "{snippet}");
        assert!(!snippet.contains("<script>"), "{snippet}");
        assert!(!snippet.contains("<b>"), "{snippet}");
        assert!(snippet.contains("&lt;b&gt;"), "{snippet}");
    }
);

api_test!(
    search_finds_only_messages_in_threads_the_caller_can_read,
    |app| async move {
        let (admin, ana) = app.admin_and_user().await;
        let bob = app.register("bob@rpotential.ai").await;
        let anas_thread = app.new_thread(&ana.access_token, "Ana's").await;
        let bobs_thread = app.new_thread(&bob.access_token, "Bob's").await;
        let anas = id_of(
            &app.say(&ana.access_token, &anas_thread, "zebra crossing")
                .await,
        );
        let bobs = id_of(
            &app.say(&bob.access_token, &bobs_thread, "zebra stripes")
                .await,
        );

        let body = hits(&app, &ana.access_token, &[("q", "zebra")]).await;
        assert_eq!(ids(&body), vec![anas.clone()]);
        let body = hits(&app, &bob.access_token, &[("q", "zebra")]).await;
        assert_eq!(ids(&body), vec![bobs.clone()]);
        let body = hits(&app, &admin.access_token, &[("q", "zebra")]).await;
        assert_eq!(
            sorted(ids(&body)),
            sorted(vec![anas.clone(), bobs.clone()]),
            "an ADMIN reads every thread"
        );

        app.add_member(&ana.access_token, &anas_thread, &bob.id, "viewer")
            .await;
        let body = hits(&app, &bob.access_token, &[("q", "zebra")]).await;
        assert_eq!(
            sorted(ids(&body)),
            sorted(vec![anas, bobs]),
            "a new viewer finds the thread's messages"
        );
    }
);

api_test!(
    search_within_one_thread_needs_a_thread_the_caller_can_read,
    |app| async move {
        let (admin, ana) = app.admin_and_user().await;
        let bob = app.register("bob@rpotential.ai").await;
        let first = app.new_thread(&ana.access_token, "First").await;
        let second = app.new_thread(&ana.access_token, "Second").await;
        let in_first = id_of(&app.say(&ana.access_token, &first, "budget review").await);
        let in_second = id_of(&app.say(&ana.access_token, &second, "budget draft").await);

        let body = hits(
            &app,
            &ana.access_token,
            &[("q", "budget"), ("thread_id", &first)],
        )
        .await;
        assert_eq!(ids(&body), vec![in_first]);
        let body = hits(
            &app,
            &admin.access_token,
            &[("q", "budget"), ("thread_id", &second)],
        )
        .await;
        assert_eq!(ids(&body), vec![in_second]);

        let response = search(
            &app,
            &bob.access_token,
            &[("q", "budget"), ("thread_id", &first)],
        )
        .await;
        assert_problem(response, NOT_FOUND).await;
        let response = search(
            &app,
            &ana.access_token,
            &[
                ("q", "budget"),
                ("thread_id", "thr_00000000000000000000000000000000"),
            ],
        )
        .await;
        assert_problem(response, NOT_FOUND).await;
    }
);

api_test!(
    searching_for_artifacts_finds_nothing_yet_and_an_unknown_type_is_refused,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Types").await;
        let token = user.access_token.as_str();
        let found = id_of(&app.say(token, &thread_id, "quarterly report").await);

        let body = hits(&app, token, &[("q", "report"), ("type", "message")]).await;
        assert_eq!(ids(&body), vec![found]);
        let body = hits(&app, token, &[("q", "report"), ("type", "artifact")]).await;
        assert_eq!(body["data"], json!([]));
        assert_eq!(body["metadata"]["pagination"]["has_more"], json!(false));

        let errors =
            validation_errors(search(&app, token, &[("q", "report"), ("type", "bogus")]).await)
                .await;
        assert!(errors["type"].is_array(), "{errors}");
    }
);

api_test!(a_search_needs_a_word_in_q, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let token = user.access_token.as_str();
    let response = search(&app, token, &[]).await;
    assert_problem(response, INVALID).await;
    for q in ["", "   ", "!!!", "\"*\" ()", "-- ; ' \""] {
        let errors = validation_errors(search(&app, token, &[("q", q)]).await).await;
        assert!(errors["q"].is_array(), "{q:?}: {errors}");
    }
    let response = search(&app, token, &[("q", "x"), ("colour", "red")]).await;
    assert_problem(response, INVALID).await;
    let call = Call::get("/api/v1/search?q=x");
    app.refused_with(&call, None, UNAUTHORIZED).await;
});

api_test!(
    hostile_search_text_is_searched_as_words_and_never_fails,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let thread_id = app.new_thread(&user.access_token, "Hostile").await;
        let target = id_of(
            &app.say(
                &user.access_token,
                &thread_id,
                "near the \"quoted\" x-ray; a or b? O'Brien said C:\\path * wildcard",
            )
            .await,
        );
        let long = "a".repeat(250);
        let words_max = "w".repeat(200);
        // (q, whether it holds a word and so must be a 200)
        let cases: [(&str, bool); 27] = [
            ("\"", false),
            ("NEAR(", true),
            ("NEAR(a b, 5)", true),
            ("*", false),
            ("a*", true),
            ("a OR b", true),
            ("a AND", true),
            ("NOT a", true),
            ("-x", true),
            ("'", false),
            ("\\", false),
            ("\\\\x", true),
            ("\"quoted", true),
            ("content:near", true),
            ("{content}: x", true),
            ("^near", true),
            ("(a", true),
            ("a)", true),
            ("%_", false),
            ("x' OR '1'='1", true),
            ("'; DROP TABLE messages; --", true),
            ("near & b | !c <-> d", true),
            ("日本語", true),
            ("ünïcödé", true),
            ("\u{E000}near\u{E001}", true),
            (long.as_str(), false),
            (words_max.as_str(), true),
        ];
        for token in [&user.access_token, &admin.access_token] {
            for (q, has_words) in cases {
                let response = search(&app, token, &[("q", q)]).await;
                let status = response.status();
                assert!(!status.is_server_error(), "{q:?} answered {status}");
                if has_words {
                    assert_eq!(status, StatusCode::OK, "{q:?} is searched as words");
                } else {
                    assert_problem(response, INVALID).await;
                }
            }
        }
        // The words of the hostile text still find the message.
        for q in [
            "NEAR(", "\"quoted", "x-ray", "a OR b", "O'Brien", "C:\\path",
        ] {
            let body = hits(&app, &user.access_token, &[("q", q)]).await;
            assert_eq!(ids(&body), vec![target.clone()], "{q:?}");
        }
    }
);

api_test!(
    search_results_page_with_limit_and_cursor,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Fruit").await;
        let token = user.access_token.as_str();
        let mut posted = HashSet::new();
        for n in 0..5 {
            posted.insert(id_of(
                &app.say(token, &thread_id, &format!("kiwi number {n}"))
                    .await,
            ));
        }
        app.say(token, &thread_id, "mango only").await;

        let mut seen = Vec::new();
        let mut params = vec![("q", "kiwi".to_owned()), ("limit", "2".to_owned())];
        let mut pages = Vec::new();
        loop {
            let borrowed: Vec<(&str, &str)> =
                params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let body = hits(&app, token, &borrowed).await;
            let page = ids(&body);
            pages.push(page.len());
            seen.extend(page);
            let pagination = body["metadata"]["pagination"].clone();
            assert_eq!(pagination["limit"], json!(2));
            match pagination["next_cursor"].as_str() {
                Some(cursor) => {
                    assert_eq!(pagination["has_more"], json!(true));
                    params.retain(|(k, _)| *k != "cursor");
                    params.push(("cursor", cursor.to_owned()));
                }
                None => {
                    assert_eq!(pagination["has_more"], json!(false));
                    break;
                }
            }
            assert!(pages.len() < 10, "paging ends");
        }
        assert_eq!(pages, vec![2, 2, 1]);
        assert_eq!(seen.len(), 5, "no hit twice: {seen:?}");
        assert_eq!(seen.into_iter().collect::<HashSet<_>>(), posted);

        for (key, value) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "many"),
            ("cursor", "%%%"),
        ] {
            let errors =
                validation_errors(search(&app, token, &[("q", "kiwi"), (key, value)]).await).await;
            assert!(errors[key].is_array(), "{key}={value}: {errors}");
        }
    }
);

api_test!(
    message_text_cannot_forge_marks_in_a_snippet,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Forgery").await;
        let token = user.access_token.as_str();
        // The private-use characters that once delimited matches, plus the control
        // characters that delimit them now (which content may not hold at all).
        let hit = app
            .say(token, &thread_id, "zebra \u{e000} forged \u{e001} text")
            .await;
        for forged in ["zebra \u{2} forged \u{3} text", "zebra \u{1} text"] {
            let errors = validation_errors(
                app.post(
                    &format!("/api/v1/threads/{thread_id}/messages"),
                    Some(token),
                    json!({ "content": forged }),
                )
                .await,
            )
            .await;
            assert!(errors["content"].is_array(), "{forged:?}: {errors}");
        }

        let body = hits(&app, token, &[("q", "zebra")]).await;
        assert_eq!(ids(&body), vec![id_of(&hit)]);
        let snippet = body["data"][0]["snippet"].as_str().unwrap();
        assert_eq!(snippet.matches("<mark>").count(), 1, "{snippet:?}");
        assert_eq!(snippet.matches("</mark>").count(), 1, "{snippet:?}");
        assert!(snippet.contains("<mark>zebra</mark>"), "{snippet:?}");
        assert!(!snippet.contains("<mark> forged"), "{snippet:?}");
        assert!(snippet.contains("forged"), "{snippet:?}");

        // The word between the forged marks is found, and marked, as any other.
        let body = hits(&app, token, &[("q", "forged")]).await;
        assert_eq!(ids(&body), vec![id_of(&hit)]);
        let snippet = body["data"][0]["snippet"].as_str().unwrap();
        assert_eq!(snippet.matches("<mark>").count(), 1, "{snippet:?}");
        assert_eq!(snippet.matches("</mark>").count(), 1, "{snippet:?}");
        assert!(snippet.contains("<mark>forged</mark>"), "{snippet:?}");
    }
);
