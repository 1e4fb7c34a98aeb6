//! Messages (contract section 5): posting, Block Kit validation, listing and paging,
//! reading, editing with revisions, deleting, and who may do each.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_precondition_failed, assert_problem, etag, id_of, ids, json_body, let_the_clock_move,
    location_of, pages_of, validation_errors, Call, TestApp, CONFLICT, FORBIDDEN, INVALID,
    NOT_FOUND, UNAUTHORIZED,
};

const UNKNOWN_MESSAGE: &str = "msg_00000000000000000000000000000000";

/// The revisions of a message, oldest first.
async fn revisions(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    app.list(&format!("/api/v1/messages/{id}/revisions"), token)
        .await
}

/// The ids of a thread's messages as `token` lists them with `query` (`""` or `"?..."`).
async fn listed(app: &TestApp, token: &str, thread: &str, query: &str) -> Vec<String> {
    let path = format!("/api/v1/threads/{thread}/messages{query}");
    let response = app.get(&path, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    ids(&json_body(response).await)
}

/// Posts `body` as `token`, which must be refused as invalid, and returns the `errors`.
async fn post_refused(app: &TestApp, token: &str, thread: &str, body: Value) -> Value {
    validation_errors(app.post_message(token, thread, body).await).await
}

fn header_block(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": text}})
}

fn section_block(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

// ---------------------------------------------------------------------------------------
// POST /api/v1/threads/{id}/messages
// ---------------------------------------------------------------------------------------

api_test!(
    posting_a_message_answers_201_with_its_location_and_counts_it_on_the_thread,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Plans").await;
        let token = user.access_token.as_str();
        let before = app.thread(token, &thread_id).await;
        assert_eq!(before["message_count"], json!(0));
        assert_eq!(before["last_message_at"], Value::Null);

        let response = app
            .post_message(token, &thread_id, json!({"content": "Hello **world**"}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        let data = &body["data"];
        let id = id_of(data);
        assert!(id.starts_with("msg_"), "{id} has the message prefix");
        assert_eq!(location, format!("/api/v1/messages/{id}"));
        assert_eq!(data["thread_id"], json!(thread_id));
        assert_eq!(data["author_id"], json!(user.id));
        assert_eq!(data["role"], json!("user"));
        assert_eq!(data["status"], json!("complete"));
        assert_eq!(data["content"], json!("Hello **world**"));
        assert_eq!(data["blocks"], json!([]));
        assert_eq!(data["attachments"], json!([]));
        assert_eq!(data["metadata"], json!({}));
        assert_eq!(data["parent_id"], Value::Null);
        assert_eq!(data["reaction_counts"], json!({}));
        assert_eq!(data["edited_at"], Value::Null);

        let read = app.message(token, &id).await;
        assert_eq!(&read, data, "the Location serves the message just created");

        let after = app.thread(token, &thread_id).await;
        assert_eq!(after["message_count"], json!(1));
        assert_eq!(after["last_message_at"], data["created_at"]);
        assert!(
            after["updated_at"].as_str().unwrap() >= data["created_at"].as_str().unwrap(),
            "the thread's updated_at moves with its last message"
        );

        app.say(token, &thread_id, "second").await;
        assert_eq!(app.message_count(token, &thread_id).await, 2);
    }
);

api_test!(
    an_owner_without_the_admin_role_may_not_post_as_the_assistant,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Plans").await;
        let token = user.access_token.as_str();
        for role in ["assistant", "system", "tool"] {
            let response = app
                .post_message(
                    token,
                    &thread_id,
                    json!({"role": role, "content": "I am a bot"}),
                )
                .await;
            assert_problem(response, FORBIDDEN).await;
        }
        assert_eq!(app.message_count(token, &thread_id).await, 0);
    }
);

api_test!(
    an_admin_posts_as_the_assistant_in_a_thread_they_are_not_a_member_of,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let thread_id = app.new_thread(&user.access_token, "Ask the bot").await;
        let response = app.post_message(&admin.access_token,
            &thread_id,
            json!({"role": "assistant", "content": "Here is the summary", "status": "streaming"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["role"], json!("assistant"));
        assert_eq!(data["status"], json!("streaming"));
        assert_eq!(data["author_id"], json!(admin.id));
        assert_eq!(app.message_count(&user.access_token, &thread_id).await, 1);
    }
);

api_test!(a_viewer_may_not_post_a_message, |app| async move {
    let c = app.team().await;
    let response = app
        .post_message(&c.viewer.access_token, &c.thread, json!({"content": "hi"}))
        .await;
    assert_problem(response, FORBIDDEN).await;
    let response = app
        .post_message(&c.editor.access_token, &c.thread, json!({"content": "hi"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "an editor may post");
    assert_eq!(app.message_count(&c.owner.access_token, &c.thread).await, 1);
});

api_test!(
    a_non_member_posting_gets_not_found_like_a_missing_thread,
    |app| async move {
        let c = app.team().await;
        let response = app
            .post_message(
                &c.outsider.access_token,
                &c.thread,
                json!({"content": "hi"}),
            )
            .await;
        assert_problem(response, NOT_FOUND).await;
        let response = app
            .post_message(
                &c.outsider.access_token,
                "thr_00000000000000000000000000000000",
                json!({"content": "hi"}),
            )
            .await;
        assert_problem(response, NOT_FOUND).await;
        assert_eq!(app.message_count(&c.owner.access_token, &c.thread).await, 0);
    }
);

api_test!(an_archived_thread_takes_no_messages, |app| async move {
    let (user, thread_id) = app.user_with_thread("Old").await;
    let token = user.access_token.as_str();
    let response = app
        .patch(
            &format!("/api/v1/threads/{thread_id}"),
            Some(token),
            json!({"status": "archived"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .post_message(token, &thread_id, json!({"content": "anyone?"}))
        .await;
    assert_problem(response, CONFLICT).await;
    assert_eq!(app.message_count(token, &thread_id).await, 0);
});

api_test!(
    a_message_needs_content_blocks_or_attachments,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Plans").await;
        let token = user.access_token.as_str();
        for body in [
            json!({}),
            json!({"content": ""}),
            json!({"blocks": []}),
            json!({"attachments": []}),
        ] {
            let errors = post_refused(&app, token, &thread_id, body.clone()).await;
            assert!(errors["content"].is_array(), "{body}: {errors}");
        }
        let response = app
            .post_message(token, &thread_id, json!({"content": "hi", "colour": "red"}))
            .await;
        assert_problem(response, INVALID).await;
        assert_eq!(app.message_count(token, &thread_id).await, 0);
    }
);

api_test!(content_is_at_most_200000_characters, |app| async move {
    let (user, thread_id) = app.user_with_thread("Long").await;
    let token = user.access_token.as_str();
    // Multi-byte characters: the limit counts characters, not bytes.
    let longest = "é".repeat(200_000);
    let response = app
        .post_message(token, &thread_id, json!({"content": longest}))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "200,000 characters fit"
    );

    let too_long = "a".repeat(200_001);
    let errors = post_refused(&app, token, &thread_id, json!({"content": too_long})).await;
    assert!(errors["content"].is_array(), "{errors}");
    assert_eq!(app.message_count(token, &thread_id).await, 1);
});

api_test!(
    an_overlong_header_is_reported_under_the_path_of_its_text,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Blocks").await;
        let token = user.access_token.as_str();
        let blocks = json!([
            header_block("Fine"),
            section_block("Some *text*"),
            {"type": "divider"},
            header_block(&"h".repeat(151)),
        ]);
        let errors = post_refused(&app, token, &thread_id, json!({"blocks": blocks})).await;
        assert!(errors["blocks[3].text.text"].is_array(), "{errors}");
        assert_eq!(
            errors.as_object().unwrap().len(),
            1,
            "only the bad field is reported: {errors}"
        );

        let mut fixed = blocks.clone();
        fixed[3] = header_block(&"h".repeat(150));
        let response = app
            .post_message(token, &thread_id, json!({"blocks": fixed}))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "a 150-character header fits"
        );
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["blocks"], fixed, "blocks are stored as sent");
        assert_eq!(data["content"], Value::Null);
    }
);

api_test!(
    an_unknown_block_type_is_reported_under_the_path_of_its_type,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Blocks").await;
        let token = user.access_token.as_str();
        let blocks = json!([{"type": "divider"}, {"type": "carousel", "items": []}]);
        let errors = post_refused(&app, token, &thread_id, json!({"blocks": blocks})).await;
        assert!(errors["blocks[1].type"].is_array(), "{errors}");
        assert!(errors.get("blocks[0].type").is_none(), "{errors}");

        let errors = post_refused(&app, token, &thread_id, json!({"blocks": "divider"})).await;
        assert!(
            errors["blocks"].is_array(),
            "blocks must be an array: {errors}"
        );
        assert_eq!(app.message_count(token, &thread_id).await, 0);
    }
);

api_test!(a_message_holds_at_most_50_blocks, |app| async move {
    let (user, thread_id) = app.user_with_thread("Blocks").await;
    let token = user.access_token.as_str();
    let divider = json!({"type": "divider"});
    let errors = post_refused(
        &app,
        token,
        &thread_id,
        json!({"blocks": vec![divider.clone(); 51]}),
    )
    .await;
    assert!(errors["blocks"].is_array(), "{errors}");
    let response = app
        .post_message(token, &thread_id, json!({"blocks": vec![divider; 50]}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "50 blocks fit");
    let data = json_body(response).await["data"].clone();
    assert_eq!(data["blocks"].as_array().unwrap().len(), 50);
});

api_test!(
    an_unknown_attachment_is_refused_by_its_index_but_an_empty_list_is_fine,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Files").await;
        let token = user.access_token.as_str();
        let unknown = "fil_00000000000000000000000000000000";
        let body = json!({"content": "see attached", "attachments": [unknown]});
        let errors = post_refused(&app, token, &thread_id, body).await;
        assert!(errors["attachments[0]"].is_array(), "{errors}");
        assert_eq!(app.message_count(token, &thread_id).await, 0);

        let response = app
            .post_message(
                token,
                &thread_id,
                json!({"content": "no files", "attachments": []}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(json_body(response).await["data"]["attachments"], json!([]));
    }
);

api_test!(
    a_reply_must_answer_a_message_of_the_same_thread,
    |app| async move {
        let (user, here) = app.user_with_thread("Here").await;
        let token = user.access_token.as_str();
        let there = app.new_thread(token, "There").await;
        let elsewhere = app.say(token, &there, "elsewhere").await;
        let errors = post_refused(
            &app,
            token,
            &here,
            json!({"content": "re", "parent_id": id_of(&elsewhere)}),
        )
        .await;
        assert!(errors["parent_id"].is_array(), "{errors}");
        for bad in [UNKNOWN_MESSAGE, "not-an-id"] {
            let errors = post_refused(
                &app,
                token,
                &here,
                json!({"content": "re", "parent_id": bad}),
            )
            .await;
            assert!(errors["parent_id"].is_array(), "{bad}: {errors}");
        }
        assert_eq!(app.message_count(token, &here).await, 0);

        let parent = app.say(token, &here, "question").await;
        let response = app
            .post_message(
                token,
                &here,
                json!({"content": "answer", "parent_id": id_of(&parent)}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            json_body(response).await["data"]["parent_id"],
            json!(id_of(&parent))
        );
    }
);

api_test!(
    a_retried_post_with_the_same_idempotency_key_creates_one_message,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Retry").await;
        let token = user.access_token.as_str();
        let send = |body: Value| {
            app.client
                .post(app.url(&format!("/api/v1/threads/{thread_id}/messages")))
                .bearer_auth(token)
                .header("idempotency-key", "post-once-1")
                .json(&body)
                .send()
        };
        let first = send(json!({"content": "only once"})).await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first = json_body(first).await;
        let second = send(json!({"content": "only once"})).await.unwrap();
        assert_eq!(second.status(), StatusCode::CREATED);
        let second = json_body(second).await;
        assert_eq!(
            first["data"], second["data"],
            "the replay is the original message"
        );
        assert_eq!(app.message_count(token, &thread_id).await, 1);
        assert_eq!(
            listed(&app, token, &thread_id, "").await,
            vec![id_of(&first["data"])]
        );

        let other = send(json!({"content": "something else"})).await.unwrap();
        assert_problem(other, CONFLICT).await;
        assert_eq!(app.message_count(token, &thread_id).await, 1);
    }
);

// ---------------------------------------------------------------------------------------
// GET /api/v1/threads/{id}/messages
// ---------------------------------------------------------------------------------------

api_test!(
    messages_are_listed_newest_first_by_default_and_oldest_first_on_request,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Order").await;
        let token = user.access_token.as_str();
        let mut posted = Vec::new();
        for n in 1..=3 {
            posted.push(id_of(
                &app.say(token, &thread_id, &format!("message {n}")).await,
            ));
        }
        let path = format!("/api/v1/threads/{thread_id}/messages");
        let body = json_body(app.get(&path, Some(token)).await).await;
        let newest_first: Vec<String> = posted.iter().rev().cloned().collect();
        assert_eq!(ids(&body), newest_first);
        assert_eq!(
            body["metadata"]["pagination"],
            json!({"limit": 20, "has_more": false, "next_cursor": null})
        );
        let desc = listed(&app, token, &thread_id, "?order=desc").await;
        assert_eq!(desc, newest_first);
        let body = json_body(app.get(&format!("{path}?order=asc"), Some(token)).await).await;
        assert_eq!(ids(&body), posted);
        assert_eq!(body["data"][0]["content"], json!("message 1"));
    }
);

api_test!(
    the_message_list_filters_by_role_and_by_parent,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let thread_id = app.new_thread(token, "Filters").await;
        let question = app.say(token, &thread_id, "question").await;
        let response = app
            .post_message(
                &admin.access_token,
                &thread_id,
                json!({"role": "assistant", "content": "answer", "parent_id": id_of(&question)}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let answer = json_body(response).await["data"].clone();
        let follow_up = app
            .post_message(
                token,
                &thread_id,
                json!({"content": "thanks", "parent_id": id_of(&question)}),
            )
            .await;
        let follow_up = json_body(follow_up).await["data"].clone();
        let unrelated = app.say(token, &thread_id, "unrelated").await;

        let [question, answer, follow_up, unrelated] =
            [&question, &answer, &follow_up, &unrelated].map(id_of);
        let cases = [
            ("?role=assistant".to_owned(), vec![&answer]),
            (
                "?role=user&order=asc".to_owned(),
                vec![&question, &follow_up, &unrelated],
            ),
            (
                format!("?parent_id={question}&order=asc"),
                vec![&answer, &follow_up],
            ),
            (format!("?parent_id={question}&role=user"), vec![&follow_up]),
            ("?role=tool".to_owned(), vec![]),
        ];
        for (query, expected) in cases {
            let listed = listed(&app, token, &thread_id, &query).await;
            assert_eq!(listed.iter().collect::<Vec<_>>(), expected, "{query}");
        }
    }
);

api_test!(
    bad_order_role_limit_or_cursor_in_the_message_list_is_refused,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Params").await;
        let token = user.access_token.as_str();
        app.say(token, &thread_id, "one").await;
        let path = format!("/api/v1/threads/{thread_id}/messages");
        for (query, field) in [
            ("order=sideways", "order"),
            ("order=ASC", "order"),
            ("role=robot", "role"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=-1", "limit"),
            ("limit=ten", "limit"),
            ("cursor=%25%25%25", "cursor"),
            // Decodes (base64url of "thr_x") but names no message.
            ("cursor=dGhyX3g", "cursor"),
            ("parent_id=nope", "parent_id"),
        ] {
            let response = app.get(&format!("{path}?{query}"), Some(token)).await;
            let errors = validation_errors(response).await;
            assert!(errors[field].is_array(), "{query}: {errors}");
        }
        let response = app.get(&format!("{path}?limit=100"), Some(token)).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "100 is the largest limit"
        );
        let call = Call::get(format!("{path}?colour=red"));
        app.refused_with(&call, Some(token), INVALID).await;
    }
);

api_test!(
    a_non_member_may_not_list_a_threads_messages,
    |app| async move {
        let c = app.team().await;
        app.say(&c.owner.access_token, &c.thread, "secret plans")
            .await;
        let path = format!("/api/v1/threads/{}/messages", c.thread);
        let call = Call::get(&path);
        app.refused_with(&call, Some(&c.outsider.access_token), NOT_FOUND)
            .await;
        let call = Call::get(&path);
        app.refused_with(&call, None, UNAUTHORIZED).await;
        for reader in [&c.viewer, &c.admin] {
            let response = app.get(&path, Some(&reader.access_token)).await;
            assert_eq!(response.status(), StatusCode::OK, "{} reads", reader.email);
            assert_eq!(
                json_body(response).await["data"].as_array().unwrap().len(),
                1
            );
        }
    }
);

api_test!(
    paging_through_1000_messages_returns_each_once_in_order_both_ways_while_more_are_posted,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.clone();
        let thread_id = app.new_thread(&token, "Busy").await;

        let mut originals = Vec::with_capacity(1000);
        for chunk in 0..20 {
            let posts = (0..50).map(|n| {
                let body = json!({ "content": format!("message {}", chunk * 50 + n) });
                app.post_message(&token, &thread_id, body)
            });
            for response in join_all(posts).await {
                assert_eq!(response.status(), StatusCode::CREATED);
                originals.push(id_of(&json_body(response).await["data"]));
            }
        }
        assert_eq!(app.message_count(&token, &thread_id).await, 1000);

        // Someone keeps talking while the pages are read.
        let stop = Arc::new(AtomicBool::new(false));
        let posted_meanwhile = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (client, url) = (
                app.client.clone(),
                app.url(&format!("/api/v1/threads/{thread_id}/messages")),
            );
            let (token, stop, posted) = (token.clone(), stop.clone(), posted_meanwhile.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"content": "meanwhile"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), StatusCode::CREATED);
                    posted.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        while posted_meanwhile.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }

        for order in ["desc", "asc"] {
            let before = posted_meanwhile.load(Ordering::SeqCst);
            let first = format!("/api/v1/threads/{thread_id}/messages?limit=100&order={order}");
            let seen = pages_of(&app, &token, &first, 100).await.concat();
            for pair in seen.windows(2) {
                let in_order = match order {
                    "asc" => pair[0] < pair[1],
                    _ => pair[0] > pair[1],
                };
                assert!(in_order, "{order}: {} then {}", pair[0], pair[1]);
            }
            let mut times_seen: HashMap<&str, usize> = HashMap::new();
            for id in &seen {
                *times_seen.entry(id.as_str()).or_default() += 1;
            }
            for id in &originals {
                assert_eq!(
                    times_seen.get(id.as_str()),
                    Some(&1),
                    "{order}: {id} is seen once"
                );
            }
            assert!(
                posted_meanwhile.load(Ordering::SeqCst) > before,
                "messages were posted while paging {order}"
            );
        }
        stop.store(true, Ordering::SeqCst);
        writer.await.expect("the writer ends cleanly");
        let posted = posted_meanwhile.load(Ordering::SeqCst);
        assert_eq!(
            app.thread(&token, &thread_id).await["message_count"],
            json!(1000 + posted)
        );
    }
);

// ---------------------------------------------------------------------------------------
// GET /api/v1/messages/{id}
// ---------------------------------------------------------------------------------------

api_test!(members_read_a_message_with_an_etag, |app| async move {
    let c = app.team().await;
    let posted = app.say(&c.editor.access_token, &c.thread, "readable").await;
    let path = format!("/api/v1/messages/{}", id_of(&posted));
    for reader in [&c.owner, &c.editor, &c.viewer, &c.admin] {
        let response = app.get(&path, Some(&reader.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{} reads", reader.email);
        etag(&response);
        let body = json_body(response).await;
        assert_eq!(body["data"], posted);
    }
});

api_test!(
    a_message_the_caller_may_not_see_is_not_found,
    |app| async move {
        let c = app.team().await;
        let posted = app.say(&c.owner.access_token, &c.thread, "private").await;
        let call = Call::get(format!("/api/v1/messages/{}", id_of(&posted)));
        let hidden = app
            .refused_with(&call, Some(&c.outsider.access_token), NOT_FOUND)
            .await;
        let call = Call::get(format!("/api/v1/messages/{UNKNOWN_MESSAGE}"));
        let missing = app
            .refused_with(&call, Some(&c.owner.access_token), NOT_FOUND)
            .await;
        assert_eq!(
            hidden["error"]["detail"], missing["error"]["detail"],
            "a hidden message looks exactly like a missing one"
        );
        for malformed in [
            "nonsense",
            "msg_123",
            c.thread.as_str(),
            "MSG_00000000000000000000000000000000",
        ] {
            let call = Call::get(format!("/api/v1/messages/{malformed}"));
            app.refused_with(&call, Some(&c.owner.access_token), NOT_FOUND)
                .await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// PUT/PATCH /api/v1/messages/{id} and GET /api/v1/messages/{id}/revisions
// ---------------------------------------------------------------------------------------

api_test!(
    the_author_edits_a_message_and_each_replaced_version_is_kept,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Edits").await;
        let token = user.access_token.as_str();
        let original = app.say(token, &thread_id, "first draft").await;
        let id = id_of(&original);
        let path = format!("/api/v1/messages/{id}");
        assert!(revisions(&app, token, &id).await.is_empty());

        let response = app
            .patch(&path, Some(token), json!({"content": "second draft"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let edited = json_body(response).await["data"].clone();
        assert_eq!(edited["content"], json!("second draft"));
        assert!(
            edited["edited_at"].is_string(),
            "edited_at is set: {edited}"
        );
        assert_eq!(edited["created_at"], original["created_at"]);

        let kept = revisions(&app, token, &id).await;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["revision"], json!(1));
        assert_eq!(kept[0]["content"], json!("first draft"));
        assert_eq!(kept[0]["created_at"], original["created_at"]);
        assert_eq!(kept[0]["replaced_by"], json!(user.id));

        let_the_clock_move().await;
        let response = app
            .put(
                &path,
                Some(token),
                json!({"content": "final", "blocks": [section_block("final")]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "PUT edits too");
        let kept = revisions(&app, token, &id).await;
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1]["revision"], json!(2));
        assert_eq!(kept[1]["content"], json!("second draft"));
        assert_eq!(kept[1]["blocks"], json!([]));

        let now = app.message(token, &id).await;
        assert_eq!(now["content"], json!("final"));
        assert_eq!(now["blocks"], json!([section_block("final")]));
    }
);

api_test!(
    an_edit_of_only_the_metadata_keeps_no_revision,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Edits").await;
        let token = user.access_token.as_str();
        let id = id_of(&app.say(token, &thread_id, "text").await);
        let response = app
            .patch(
                &format!("/api/v1/messages/{id}"),
                Some(token),
                json!({"metadata": {"model": "gpt"}, "status": "failed"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["metadata"], json!({"model": "gpt"}));
        assert_eq!(data["status"], json!("failed"));
        assert_eq!(data["content"], json!("text"));
        assert_eq!(data["edited_at"], Value::Null, "the text was not edited");
        assert!(revisions(&app, token, &id).await.is_empty());
    }
);

api_test!(
    only_the_author_or_an_admin_edits_a_message,
    |app| async move {
        let c = app.team().await;
        let id = id_of(&app.say(&c.editor.access_token, &c.thread, "mine").await);
        let path = format!("/api/v1/messages/{id}");
        for other in [&c.owner, &c.viewer] {
            let call = Call::patch(&path, json!({"content": "theirs"}));
            app.refused_with(&call, Some(&other.access_token), FORBIDDEN)
                .await;
        }
        let call = Call::patch(&path, json!({"content": "theirs"}));
        app.refused_with(&call, Some(&c.outsider.access_token), NOT_FOUND)
            .await;
        assert_eq!(
            app.message(&c.owner.access_token, &id).await["content"],
            json!("mine")
        );
        assert!(revisions(&app, &c.owner.access_token, &id).await.is_empty());

        let response = app
            .patch(
                &path,
                Some(&c.admin.access_token),
                json!({"content": "moderated"}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "an ADMIN edits any message"
        );
        assert_eq!(
            json_body(response).await["data"]["content"],
            json!("moderated")
        );
        let kept = revisions(&app, &c.owner.access_token, &id).await;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["replaced_by"], json!(c.admin.id));
    }
);

api_test!(
    an_edit_based_on_a_stale_etag_fails_with_412,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Edits").await;
        let token = user.access_token.as_str();
        let id = id_of(&app.say(token, &thread_id, "v1").await);
        let path = format!("/api/v1/messages/{id}");
        let stale = etag(&app.get(&path, Some(token)).await);
        let_the_clock_move().await;
        let response = app
            .patch(&path, Some(token), json!({"content": "v2"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let current = etag(&response);
        assert_ne!(stale, current, "an edit changes the ETag");

        app.stale_edits_refused(&path, token, &stale, json!({"content": "v3"}))
            .await;
        assert_eq!(app.message(token, &id).await["content"], json!("v2"));
        assert_eq!(revisions(&app, token, &id).await.len(), 1);

        let response = app
            .patch_if_match(&path, token, &current, json!({"content": "v3"}))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the current ETag matches"
        );
        assert_eq!(json_body(response).await["data"]["content"], json!("v3"));
    }
);

api_test!(
    removing_the_text_of_a_message_without_blocks_is_refused,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Edits").await;
        let token = user.access_token.as_str();
        let id = id_of(&app.say(token, &thread_id, "only text").await);
        let path = format!("/api/v1/messages/{id}");
        let errors = validation_errors(
            app.patch(&path, Some(token), json!({"content": null}))
                .await,
        )
        .await;
        assert!(errors["content"].is_array(), "{errors}");
        let errors = validation_errors(
            app.patch(&path, Some(token), json!({"colour": "red"}))
                .await,
        )
        .await;
        assert!(errors.is_object(), "unknown fields are refused: {errors}");
        let errors = validation_errors(
            app.patch(
                &path,
                Some(token),
                json!({"blocks": [header_block(&"h".repeat(151))]}),
            )
            .await,
        )
        .await;
        assert!(errors["blocks[0].text.text"].is_array(), "{errors}");
        assert_eq!(app.message(token, &id).await["content"], json!("only text"));
        assert!(revisions(&app, token, &id).await.is_empty());

        let response = app
            .patch(
                &path,
                Some(token),
                json!({"content": null, "blocks": [section_block("now a block")]}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "blocks can stand in for the text"
        );
        assert_eq!(json_body(response).await["data"]["content"], Value::Null);
    }
);

// ---------------------------------------------------------------------------------------
// DELETE /api/v1/messages/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    the_author_deletes_a_message_and_the_thread_counts_one_less,
    |app| async move {
        let c = app.team().await;
        let token = c.editor.access_token.as_str();
        let keep = app.say(token, &c.thread, "keep").await;
        let gone = id_of(&app.say(token, &c.thread, "delete me").await);
        assert_eq!(app.message_count(token, &c.thread).await, 2);

        let response = app
            .delete(&format!("/api/v1/messages/{gone}"), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": gone, "deleted": true})
        );
        assert_eq!(app.message_count(token, &c.thread).await, 1);
        let call = Call::get(format!("/api/v1/messages/{gone}"));
        app.refused_with(&call, Some(token), NOT_FOUND).await;
        let call = Call::delete(format!("/api/v1/messages/{gone}"));
        app.refused_with(&call, Some(token), NOT_FOUND).await;
        assert_eq!(listed(&app, token, &c.thread, "").await, vec![id_of(&keep)]);
    }
);

api_test!(
    a_thread_owner_or_an_admin_deletes_someone_elses_message,
    |app| async move {
        let c = app.team().await;
        let first = id_of(&app.say(&c.editor.access_token, &c.thread, "one").await);
        let second = id_of(&app.say(&c.editor.access_token, &c.thread, "two").await);
        let response = app
            .delete(
                &format!("/api/v1/messages/{first}"),
                Some(&c.owner.access_token),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the thread owner deletes"
        );
        let response = app
            .delete(
                &format!("/api/v1/messages/{second}"),
                Some(&c.admin.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "an ADMIN deletes");
        assert_eq!(app.message_count(&c.owner.access_token, &c.thread).await, 0);
    }
);

api_test!(
    a_member_who_is_neither_author_nor_owner_may_not_delete_a_message,
    |app| async move {
        let c = app.team().await;
        let other_editor = app.register("other-editor@rpotential.ai").await;
        app.add_member(&c.owner.access_token, &c.thread, &other_editor.id, "editor")
            .await;
        let id = id_of(&app.say(&c.editor.access_token, &c.thread, "mine").await);
        let path = format!("/api/v1/messages/{id}");
        for other in [&other_editor, &c.viewer] {
            let call = Call::delete(&path);
            app.refused_with(&call, Some(&other.access_token), FORBIDDEN)
                .await;
        }
        let call = Call::delete(&path);
        app.refused_with(&call, Some(&c.outsider.access_token), NOT_FOUND)
            .await;
        assert_eq!(
            app.message(&c.owner.access_token, &id).await["content"],
            json!("mine")
        );
        assert_eq!(app.message_count(&c.owner.access_token, &c.thread).await, 1);
    }
);

api_test!(
    a_delete_based_on_a_stale_etag_fails_with_412,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Deletes").await;
        let token = user.access_token.as_str();
        let id = id_of(&app.say(token, &thread_id, "v1").await);
        let path = format!("/api/v1/messages/{id}");
        let stale = etag(&app.get(&path, Some(token)).await);
        let_the_clock_move().await;
        let response = app
            .patch(&path, Some(token), json!({"content": "v2"}))
            .await;
        let current = etag(&response);
        let response = app.delete_if_match(&path, token, &stale).await;
        assert_precondition_failed(response).await;
        assert_eq!(app.message_count(token, &thread_id).await, 1);
        let response = app.delete_if_match(&path, token, &current).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(app.message_count(token, &thread_id).await, 0);
    }
);

// ---------------------------------------------------------------------------------------
// Review fixes
// ---------------------------------------------------------------------------------------

api_test!(
    a_replys_etag_moves_when_its_parent_is_deleted,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Replies").await;
        let token = user.access_token.as_str();
        let parent = id_of(&app.say(token, &thread_id, "question").await);
        let response = app
            .post_message(
                token,
                &thread_id,
                json!({"content": "answer", "parent_id": parent}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let reply = id_of(&json_body(response).await["data"]);
        let path = format!("/api/v1/messages/{reply}");
        let before = etag(&app.get(&path, Some(token)).await);

        let response = app
            .delete(&format!("/api/v1/messages/{parent}"), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app.get(&path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let after = etag(&response);
        assert_eq!(json_body(response).await["data"]["parent_id"], Value::Null);
        assert_ne!(after, before, "parent_id is part of the representation");

        let edit = json!({"content": "edited on an old view"});
        app.stale_writes_refused(&path, token, &before, edit).await;
        assert_eq!(app.message(token, &reply).await["content"], json!("answer"));
        assert!(revisions(&app, token, &reply).await.is_empty());

        let response = app
            .patch_if_match(
                &path,
                token,
                &after,
                json!({"content": "edited on the current view"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    thousands_of_bad_blocks_are_reported_as_too_many_plus_at_most_fifty,
    |app| async move {
        let (user, thread_id) = app.user_with_thread("Blocks").await;
        let token = user.access_token.as_str();
        let blocks = vec![json!({"type": "bogus"}); 20_000];
        let errors = post_refused(&app, token, &thread_id, json!({"blocks": blocks})).await;
        let errors = errors.as_object().expect("errors is an object");
        assert!(errors["blocks"].is_array(), "{errors:?}");
        assert!(
            errors.len() <= 51,
            "the count error plus at most 50 blocks' errors, not {}",
            errors.len()
        );
        assert!(errors.contains_key("blocks[0].type"));
        assert!(!errors.contains_key("blocks[19999].type"));
        assert_eq!(app.message_count(token, &thread_id).await, 0);
    }
);
