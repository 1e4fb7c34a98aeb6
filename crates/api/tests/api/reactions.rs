//! Reactions (contract section 5): toggling, listing, removing, the emoji rules, who may
//! react, and concurrent toggles.

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    assert_precondition_failed, assert_problem, id_of, json_body, Call, Team, TestApp, INVALID,
    NOT_FOUND,
};

/// `POST /messages/{id}/reactions {"emoji": emoji}`.
async fn toggle(app: &TestApp, token: &str, message: &str, emoji: &str) -> Response {
    app.post(
        &format!("/api/v1/messages/{message}/reactions"),
        Some(token),
        json!({ "emoji": emoji }),
    )
    .await
}

/// The reaction groups of a message as `token` sees them.
async fn reactions(app: &TestApp, token: &str, message: &str) -> Vec<Value> {
    let response = app
        .get(
            &format!("/api/v1/messages/{message}/reactions"),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["data"]
        .as_array()
        .expect("data is an array")
        .clone()
}

/// A `Team` whose thread has one message from its owner, and that message's id.
async fn team_and_message(app: &TestApp) -> (Team, String) {
    let team = app.team().await;
    let message = app
        .say(&team.owner.access_token, &team.thread, "React to me")
        .await;
    (team, id_of(&message))
}

/// The `reaction_counts` of a message as `token` sees it.
async fn counts(app: &TestApp, token: &str, message: &str) -> Value {
    app.message(token, message).await["reaction_counts"].clone()
}

api_test!(
    toggling_a_reaction_adds_it_and_toggling_again_removes_it,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let token = s.owner.access_token.as_str();
        let response = toggle(&app, token, &message, "thumbsup").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body = json_body(response).await;
        assert_eq!(body["data"], json!({"emoji": "thumbsup", "added": true}));
        assert_eq!(counts(&app, token, &message).await, json!({"thumbsup": 1}));

        let response = toggle(&app, token, &message, "thumbsup").await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["data"], json!({"emoji": "thumbsup", "added": false}));
        assert_eq!(counts(&app, token, &message).await, json!({}));
        assert!(reactions(&app, token, &message).await.is_empty());
    }
);

api_test!(a_unicode_emoji_is_a_reaction_too, |app| async move {
    let (s, message) = team_and_message(&app).await;
    let token = s.owner.access_token.as_str();
    for emoji in ["👍", "👍🏽", "🇫🇷", "+1"] {
        let response = toggle(&app, token, &message, emoji).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{emoji}");
        assert_eq!(
            json_body(response).await["data"],
            json!({"emoji": emoji, "added": true})
        );
    }
    assert_eq!(
        counts(&app, token, &message).await,
        json!({"👍": 1, "👍🏽": 1, "🇫🇷": 1, "+1": 1})
    );
});

api_test!(text_that_is_not_an_emoji_is_refused, |app| async move {
    let (s, message) = team_and_message(&app).await;
    let token = s.owner.access_token.as_str();
    let too_long = "a".repeat(65);
    for bad in [
        "Not An Emoji",
        "",
        "Thumbsup",
        "a b",
        "👍👍",
        "x;drop",
        too_long.as_str(),
    ] {
        let response = toggle(&app, token, &message, bad).await;
        let body = assert_problem(response, INVALID).await;
        assert!(
            body["error"]["errors"]["emoji"].is_array(),
            "{bad:?}: {body}"
        );
    }
    for body in [
        json!({}),
        json!({"emoji": 1}),
        json!({"emoji": "x", "extra": true}),
    ] {
        let call = Call::post(
            format!("/api/v1/messages/{}/reactions", message),
            body.clone(),
        );
        app.refused_with(&call, Some(token), INVALID).await;
    }
    assert_eq!(counts(&app, token, &message).await, json!({}));
});

api_test!(
    a_viewer_may_react_but_a_non_member_finds_no_message,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let response = toggle(&app, &s.viewer.access_token, &message, "eyes").await;
        assert_eq!(response.status(), StatusCode::CREATED, "viewers react");

        let outsider = s.outsider.access_token.as_str();
        let response = toggle(&app, outsider, &message, "eyes").await;
        assert_problem(response, NOT_FOUND).await;
        let call = Call::get(format!("/api/v1/messages/{}/reactions", message));
        app.refused_with(&call, Some(outsider), NOT_FOUND).await;
        let call = Call::delete(format!("/api/v1/messages/{}/reactions/eyes", message));
        app.refused_with(&call, Some(outsider), NOT_FOUND).await;
        let response = toggle(
            &app,
            outsider,
            "msg_00000000000000000000000000000000",
            "eyes",
        )
        .await;
        assert_problem(response, NOT_FOUND).await;

        assert_eq!(
            counts(&app, &s.owner.access_token, &message).await,
            json!({"eyes": 1})
        );
    }
);

api_test!(
    reactions_are_grouped_by_emoji_and_me_is_true_only_for_the_caller,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let (owner, viewer) = (
            s.owner.access_token.as_str(),
            s.viewer.access_token.as_str(),
        );
        for (token, emoji) in [(owner, "thumbsup"), (viewer, "thumbsup"), (viewer, "🎉")] {
            let response = toggle(&app, token, &message, emoji).await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }

        let as_owner = reactions(&app, owner, &message).await;
        assert_eq!(
            as_owner,
            vec![
                json!({"emoji": "thumbsup", "count": 2, "users": [s.owner.id, s.viewer.id], "me": true}),
                json!({"emoji": "🎉", "count": 1, "users": [s.viewer.id], "me": false}),
            ]
        );
        let as_viewer = reactions(&app, viewer, &message).await;
        assert_eq!(as_viewer[0]["me"], json!(true));
        assert_eq!(as_viewer[1]["me"], json!(true));
        let as_admin = reactions(&app, &s.admin.access_token, &message).await;
        assert!(
            as_admin.iter().all(|group| group["me"] == json!(false)),
            "an ADMIN who did not react: {as_admin:?}"
        );
        assert_eq!(
            counts(&app, owner, &message).await,
            json!({"thumbsup": 2, "🎉": 1})
        );
        let list = json_body(
            app.get(
                &format!(
                    "/api/v1/threads/{}/messages",
                    app.message(owner, &message).await["thread_id"]
                        .as_str()
                        .unwrap()
                ),
                Some(owner),
            )
            .await,
        )
        .await;
        assert_eq!(
            list["data"][0]["reaction_counts"],
            json!({"thumbsup": 2, "🎉": 1}),
            "the message list carries the counts too"
        );
    }
);

api_test!(
    the_51st_distinct_emoji_on_a_message_is_refused,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let token = s.owner.access_token.as_str();
        for n in 0..50 {
            let response = toggle(&app, token, &message, &format!("emoji_{n}")).await;
            assert_eq!(response.status(), StatusCode::CREATED, "emoji {n}");
        }
        let response = toggle(&app, token, &message, "emoji_50").await;
        let body = assert_problem(response, INVALID).await;
        assert!(body["error"]["errors"]["emoji"].is_array(), "{body}");
        let response = toggle(&app, &s.viewer.access_token, &message, "emoji_51").await;
        assert_problem(response, INVALID).await;

        let response = toggle(&app, &s.viewer.access_token, &message, "emoji_0").await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "one more user on an emoji already there is fine"
        );
        let counts = counts(&app, token, &message).await;
        assert_eq!(counts.as_object().unwrap().len(), 50);
        assert_eq!(counts["emoji_0"], json!(2));
        assert!(counts.get("emoji_50").is_none());
    }
);

api_test!(
    deleting_a_reaction_removes_only_the_callers_and_a_missing_one_is_not_found,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let (owner, viewer) = (
            s.owner.access_token.as_str(),
            s.viewer.access_token.as_str(),
        );
        for token in [owner, viewer] {
            assert_eq!(
                toggle(&app, token, &message, "thumbsup").await.status(),
                StatusCode::CREATED
            );
        }
        let path = format!("/api/v1/messages/{}/reactions/thumbsup", message);
        let response = app.delete(&path, Some(owner)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": "thumbsup", "deleted": true})
        );
        assert_eq!(
            reactions(&app, owner, &message).await,
            vec![json!({"emoji": "thumbsup", "count": 1, "users": [s.viewer.id], "me": false})]
        );
        let call = Call::delete(&path);
        app.refused_with(&call, Some(owner), NOT_FOUND).await;
        let call = Call::delete(format!("/api/v1/messages/{}/reactions/tada", message));
        app.refused_with(&call, Some(viewer), NOT_FOUND).await;
        let call = Call::delete(format!(
            "/api/v1/messages/{}/reactions/Not%20An%20Emoji",
            message
        ));
        let body = app.refused_with(&call, Some(viewer), INVALID).await;
        assert!(body["error"]["errors"]["emoji"].is_array(), "{body}");
        assert_eq!(counts(&app, owner, &message).await, json!({"thumbsup": 1}));
    }
);

api_test!(
    a_unicode_reaction_is_deleted_by_its_percent_encoded_emoji,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let token = s.owner.access_token.as_str();
        assert_eq!(
            toggle(&app, token, &message, "👍").await.status(),
            StatusCode::CREATED
        );
        let response = app
            .delete(
                &format!("/api/v1/messages/{}/reactions/%F0%9F%91%8D", message),
                Some(token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": "👍", "deleted": true})
        );
        assert_eq!(counts(&app, token, &message).await, json!({}));
    }
);

api_test!(
    concurrent_toggles_of_one_reaction_by_one_user_leave_it_once_or_not_at_all,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let token = s.owner.access_token.as_str();
        let responses = join_all((0..64).map(|_| toggle(&app, token, &message, "fire"))).await;
        let (mut added, mut removed) = (0_i64, 0_i64);
        for response in responses {
            let status = response.status();
            assert!(!status.is_server_error(), "a toggle answered {status}");
            let body = json_body(response).await;
            match status {
                StatusCode::CREATED => {
                    assert_eq!(body["data"]["added"], json!(true));
                    added += 1;
                }
                StatusCode::OK => {
                    assert_eq!(body["data"]["added"], json!(false));
                    removed += 1;
                }
                // A toggle that lost a race may be refused, as long as it changed nothing.
                _ => assert!(status.is_client_error(), "{status}: {body}"),
            }
        }
        let groups = reactions(&app, token, &message).await;
        let count = groups
            .iter()
            .find(|g| g["emoji"] == json!("fire"))
            .map_or(0, |g| g["count"].as_i64().unwrap());
        assert!(count == 0 || count == 1, "count is {count}");
        assert_eq!(
            count,
            added - removed,
            "every answered toggle flipped the reaction once ({added} added, {removed} removed)"
        );
        if count == 1 {
            assert_eq!(groups[0]["users"], json!([s.owner.id]));
        }
        let counts = counts(&app, token, &message).await;
        assert_eq!(
            counts.get("fire").and_then(Value::as_i64).unwrap_or(0),
            count
        );
    }
);

api_test!(
    a_messages_etag_moves_when_a_reaction_is_toggled,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let token = s.owner.access_token.as_str();
        let path = format!("/api/v1/messages/{message}");
        let untouched = app.current_etag(token, &path).await;

        // Someone else reacts: the counts change, the message itself was not edited.
        let response = toggle(&app, &s.viewer.access_token, &message, "thumbsup").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let reacted = app.current_etag(token, &path).await;
        assert_ne!(
            reacted, untouched,
            "reaction counts are part of the message"
        );
        let edit = json!({"content": "edited on an old view"});
        app.stale_writes_refused(&path, token, &untouched, edit.clone())
            .await;
        assert_eq!(
            app.message(token, &message).await["content"],
            json!("React to me")
        );

        // Toggling it off moves the tag again, and the tag taken meanwhile is stale.
        let response = toggle(&app, &s.viewer.access_token, &message, "thumbsup").await;
        assert_eq!(response.status(), StatusCode::OK);
        let unreacted = app.current_etag(token, &path).await;
        assert_ne!(unreacted, reacted);
        let response = app.patch_if_match(&path, token, &reacted, edit).await;
        assert_precondition_failed(response).await;

        // Another emoji by the same user moves it too.
        let response = toggle(&app, token, &message, "tada").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let tada = app.current_etag(token, &path).await;
        assert_ne!(tada, unreacted);

        let edit = json!({"content": "edited on the current view"});
        let response = app.patch_if_match(&path, token, &tada, edit).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test!(
    reaction_groups_page_in_first_use_order_with_pagination_metadata,
    |app| async move {
        let (s, message) = team_and_message(&app).await;
        let token = s.owner.access_token.as_str();
        for emoji in ["thumbsup", "tada", "eyes"] {
            let response = toggle(&app, token, &message, emoji).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{emoji}");
        }
        let first_path = format!("/api/v1/messages/{message}/reactions?limit=2");
        let mut path = first_path.clone();
        let mut pages: Vec<Vec<String>> = Vec::new();
        loop {
            let body = json_body(app.get(&path, Some(token)).await).await;
            let emoji = body["data"].as_array().expect("data is an array").iter();
            pages.push(
                emoji
                    .map(|g| g["emoji"].as_str().unwrap().to_owned())
                    .collect(),
            );
            let pagination = &body["metadata"]["pagination"];
            assert_eq!(pagination["limit"], json!(2), "{path}");
            match pagination["next_cursor"].as_str() {
                Some(cursor) if pages.len() < 5 => path = format!("{first_path}&cursor={cursor}"),
                _ => {
                    assert_eq!(pagination["has_more"], json!(false), "{path}");
                    break;
                }
            }
        }
        assert_eq!(pages, vec![vec!["thumbsup", "tada"], vec!["eyes"]]);

        let call = Call::get(format!("/api/v1/messages/{message}/reactions?limit=0"));
        app.refused_with(&call, Some(token), INVALID).await;
    }
);
