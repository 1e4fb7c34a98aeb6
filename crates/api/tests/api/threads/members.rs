//! Thread members (contract section 4): listing, adding, reading, changing roles and
//! removing, and who may do each.

use super::*;

// ---------------------------------------------------------------------------------------
// GET /api/v1/threads/{id}/members
// ---------------------------------------------------------------------------------------

api_test!(
    every_member_lists_the_owner_and_added_members_with_their_roles,
    |app: TestApp| async move {
        let team = app.team().await;
        let expected = roles(&[
            (&team.owner.id, "owner"),
            (&team.editor.id, "editor"),
            (&team.viewer.id, "viewer"),
        ]);
        for account in [&team.owner, &team.editor, &team.viewer, &team.admin] {
            assert_eq!(
                app.members(&account.access_token, &team.thread).await,
                expected,
                "as {}",
                account.email
            );
        }
        let response = app
            .get(&team.members_path(), Some(&team.viewer.access_token))
            .await;
        let body = json_body(response).await;
        for member in body["data"].as_array().unwrap() {
            assert_eq!(member["name"], json!("Test User"));
            assert!(member["added_at"].is_string());
            assert!(member.get("avatar_url").is_some());
            assert!(member.get("email").is_none(), "emails stay private");
        }
        assert_eq!(body["metadata"]["pagination"]["has_more"], json!(false));
    }
);

api_test!(
    a_non_member_listing_members_gets_404,
    |app: TestApp| async move {
        let team = app.team().await;
        let response = app
            .get(&team.members_path(), Some(&team.outsider.access_token))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app
            .get(
                &format!("/api/v1/threads/{UNKNOWN_THREAD}/members"),
                Some(&team.owner.access_token),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
);

api_test!(
    the_member_list_pages_and_refuses_bad_limits,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let mut seen = Vec::new();
        let mut path = format!("{}?limit=2", team.members_path());
        for _ in 0..3 {
            let body = json_body(app.get(&path, Some(token)).await).await;
            for member in body["data"].as_array().unwrap() {
                seen.push(member["user_id"].as_str().unwrap().to_owned());
            }
            match body["metadata"]["pagination"]["next_cursor"].as_str() {
                Some(cursor) => path = format!("{}?limit=2&cursor={cursor}", team.members_path()),
                None => break,
            }
        }
        assert_eq!(
            sorted(seen),
            sorted(vec![
                team.owner.id.clone(),
                team.editor.id.clone(),
                team.viewer.id.clone()
            ])
        );
        for query in ["limit=0", "limit=101", "limit=x", "cursor=Z2FyYmFnZQ"] {
            let response = app
                .get(&format!("{}?{query}", team.members_path()), Some(token))
                .await;
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// POST /api/v1/threads/{id}/members
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_adds_members_by_user_id_and_by_email,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let carol = app.register("carol@rpotential.ai").await;

        let response = app
            .post(
                &team.members_path(),
                Some(token),
                json!({"user_id": team.outsider.id, "role": "editor"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response.headers()[header::LOCATION].to_str().unwrap(),
            team.member_path(&team.outsider.id)
        );
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["user_id"], json!(team.outsider.id));
        assert_eq!(data["role"], json!("editor"));

        let response = app
            .post(
                &team.members_path(),
                Some(token),
                json!({"email": "CAROL@rpotential.ai", "role": "viewer"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response.headers()[header::LOCATION].to_str().unwrap(),
            team.member_path(&carol.id)
        );
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["user_id"], json!(carol.id));
        assert_eq!(data["role"], json!("viewer"));

        // The new members now see the thread, with their roles.
        assert_eq!(
            app.thread(&team.outsider.access_token, &team.thread).await["my_role"],
            json!("editor")
        );
        assert_eq!(
            listed(&app, &carol.access_token, "").await,
            vec![team.thread.clone()]
        );
        assert_eq!(
            app.members(token, &team.thread).await,
            roles(&[
                (&team.owner.id, "owner"),
                (&team.editor.id, "editor"),
                (&team.viewer.id, "viewer"),
                (&team.outsider.id, "editor"),
                (&carol.id, "viewer"),
            ])
        );
    }
);

api_test!(
    adding_a_member_needs_exactly_one_of_user_id_and_email,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        for body in [
            json!({"user_id": team.outsider.id, "email": team.outsider.email, "role": "viewer"}),
            json!({"role": "viewer"}),
        ] {
            let response = app
                .post(&team.members_path(), Some(token), body.clone())
                .await;
            let problem =
                assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
            let fields = error_fields(&problem);
            assert!(
                fields.iter().any(|f| f == "user_id" || f == "email"),
                "{body}: errors name user_id or email: {fields:?}"
            );
        }
        assert_eq!(app.members(token, &team.thread).await.len(), 3);
    }
);

api_test!(
    adding_an_unknown_or_malformed_user_is_400_naming_the_field,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let cases = [
            (
                json!({"email": "nobody@rpotential.ai", "role": "viewer"}),
                "email",
            ),
            (json!({"email": "not an email", "role": "viewer"}), "email"),
            (
                json!({"user_id": UNKNOWN_USER, "role": "viewer"}),
                "user_id",
            ),
            (json!({"user_id": "nope", "role": "viewer"}), "user_id"),
        ];
        for (body, field) in cases {
            let response = app
                .post(&team.members_path(), Some(token), body.clone())
                .await;
            let problem =
                assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
            assert_eq!(error_fields(&problem), vec![field.to_owned()], "{body}");
        }
        assert_eq!(app.members(token, &team.thread).await.len(), 3);
    }
);

api_test!(
    adding_a_member_with_a_bad_role_or_unknown_field_is_400,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        for body in [
            json!({"user_id": team.outsider.id, "role": "admin"}),
            json!({"user_id": team.outsider.id, "role": "OWNER"}),
            json!({"user_id": team.outsider.id, "role": null}),
            json!({"user_id": team.outsider.id}),
            json!({"user_id": team.outsider.id, "role": "viewer", "note": "hi"}),
        ] {
            let response = app
                .post(&team.members_path(), Some(token), body.clone())
                .await;
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
        let response = app
            .post_raw(
                &team.members_path(),
                Some(token),
                "text/plain",
                &json!({"user_id": team.outsider.id, "role": "viewer"}).to_string(),
            )
            .await;
        assert_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        )
        .await;
        let response = app
            .get(&team.path(), Some(&team.outsider.access_token))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
);

api_test!(
    adding_someone_who_is_already_a_member_is_a_conflict,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        for (user, role) in [
            (&team.editor.id, "owner"),
            (&team.viewer.id, "viewer"),
            (&team.owner.id, "viewer"),
        ] {
            let response = app
                .post(
                    &team.members_path(),
                    Some(token),
                    json!({"user_id": user, "role": role}),
                )
                .await;
            assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        }
        let response = app
            .post(
                &team.members_path(),
                Some(token),
                json!({"email": team.editor.email, "role": "viewer"}),
            )
            .await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        // Roles stay as they were.
        assert_eq!(app.members(token, &team.thread).await, team.roles_as_made());
    }
);

api_test!(
    adding_a_member_retried_with_the_same_idempotency_key_replays_the_201,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let body = json!({"email": team.outsider.email, "role": "viewer"});
        let key = [("idempotency-key", "member-key-1")];
        let path = team.members_path();
        let first = app
            .send(Method::POST, &path, token, &key, Some(body.clone()))
            .await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let first = json_body(first).await;
        let second = app.send(Method::POST, &path, token, &key, Some(body)).await;
        assert_eq!(
            second.status(),
            StatusCode::CREATED,
            "a replay, not a duplicate"
        );
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        assert_eq!(json_body(second).await["data"], first["data"]);
        assert_eq!(app.members(token, &team.thread).await.len(), 4);
    }
);

api_test!(
    only_owners_add_members_and_non_members_get_404,
    |app: TestApp| async move {
        let team = app.team().await;
        let carol = app.register("carol@rpotential.ai").await;
        let body = json!({"user_id": carol.id, "role": "viewer"});
        for account in [&team.editor, &team.viewer, &team.admin] {
            let response = app
                .post(
                    &team.members_path(),
                    Some(&account.access_token),
                    body.clone(),
                )
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let response = app
            .post(
                &team.members_path(),
                Some(&team.outsider.access_token),
                body.clone(),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        // A stranger adding themselves is no way in either.
        let response = app
            .post(
                &team.members_path(),
                Some(&team.outsider.access_token),
                json!({"user_id": team.outsider.id, "role": "owner"}),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app.post(&team.members_path(), None, body).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert_eq!(
            app.members(&team.owner.access_token, &team.thread)
                .await
                .len(),
            3
        );
    }
);

// ---------------------------------------------------------------------------------------
// PATCH /api/v1/threads/{id}/members/{user_id}
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_changes_a_members_role_and_it_takes_effect,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let response = app
            .patch(
                &team.member_path(&team.editor.id),
                Some(token),
                json!({"role": "viewer"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["user_id"], json!(team.editor.id));
        assert_eq!(data["role"], json!("viewer"));
        // The demoted editor may no longer change the thread.
        let response = app
            .patch(
                &team.path(),
                Some(&team.editor.access_token),
                json!({"title": "x"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;

        // A viewer made owner manages members.
        let response = app
            .patch(
                &team.member_path(&team.viewer.id),
                Some(token),
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(json_body(response).await["data"]["role"], json!("owner"));
        app.add_member(
            &team.viewer.access_token,
            &team.thread,
            &team.outsider.id,
            "viewer",
        )
        .await;
        assert_eq!(
            app.members(token, &team.thread).await,
            roles(&[
                (&team.owner.id, "owner"),
                (&team.editor.id, "viewer"),
                (&team.viewer.id, "owner"),
                (&team.outsider.id, "viewer"),
            ])
        );
    }
);

api_test!(only_owners_change_roles, |app: TestApp| async move {
    let team = app.team().await;
    for (account, target) in [
        (&team.editor, &team.viewer.id),
        (&team.editor, &team.editor.id),
        (&team.viewer, &team.viewer.id),
        (&team.admin, &team.viewer.id),
    ] {
        let response = app
            .patch(
                &team.member_path(target),
                Some(&account.access_token),
                json!({"role": "owner"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let response = app
        .patch(
            &team.member_path(&team.viewer.id),
            Some(&team.outsider.access_token),
            json!({"role": "owner"}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(
        app.members(&team.owner.access_token, &team.thread).await,
        team.roles_as_made()
    );
});

api_test!(
    demoting_the_last_owner_is_a_conflict,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let me = team.member_path(&team.owner.id);
        let response = app.patch(&me, Some(token), json!({"role": "editor"})).await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        assert_eq!(
            app.thread(token, &team.thread).await["my_role"],
            json!("owner")
        );
        // "Changing" to the same role is fine.
        let response = app.patch(&me, Some(token), json!({"role": "owner"})).await;
        assert_eq!(response.status(), StatusCode::OK);

        // With a second owner, the first may step down.
        let response = app
            .patch(
                &team.member_path(&team.editor.id),
                Some(token),
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app.patch(&me, Some(token), json!({"role": "viewer"})).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            app.thread(token, &team.thread).await["my_role"],
            json!("viewer")
        );
        // And now the editor-turned-owner is the last one.
        let response = app
            .patch(
                &team.member_path(&team.editor.id),
                Some(&team.editor.access_token),
                json!({"role": "editor"}),
            )
            .await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
    }
);

api_test!(
    changing_the_role_of_someone_who_is_not_a_member_is_404,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        for user in [team.outsider.id.as_str(), UNKNOWN_USER, "nope"] {
            let response = app
                .patch(
                    &team.member_path(user),
                    Some(token),
                    json!({"role": "viewer"}),
                )
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        let response = app
            .patch(
                &format!(
                    "/api/v1/threads/{UNKNOWN_THREAD}/members/{}",
                    team.editor.id
                ),
                Some(token),
                json!({"role": "viewer"}),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
);

api_test!(
    a_role_change_with_a_bad_role_is_400,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let path = team.member_path(&team.editor.id);
        for body in [
            json!({"role": "admin"}),
            json!({"role": null}),
            json!({}),
            json!({"role": "viewer", "extra": true}),
        ] {
            let response = app.patch(&path, Some(token), body).await;
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
        assert_eq!(app.members(token, &team.thread).await, team.roles_as_made());
    }
);

// ---------------------------------------------------------------------------------------
// DELETE /api/v1/threads/{id}/members/{user_id}
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_removes_a_member_who_then_cannot_see_the_thread,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let response = app
            .delete(&team.member_path(&team.editor.id), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": team.editor.id, "deleted": true})
        );
        let response = app.get(&team.path(), Some(&team.editor.access_token)).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert!(listed(&app, &team.editor.access_token, "").await.is_empty());
        let response = app
            .post(
                &format!("{}/messages", team.path()),
                Some(&team.editor.access_token),
                json!({"content": "still here?"}),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert_eq!(
            app.members(token, &team.thread).await,
            roles(&[(&team.owner.id, "owner"), (&team.viewer.id, "viewer")])
        );
        // Removing them again: they are not a member.
        let response = app
            .delete(&team.member_path(&team.editor.id), Some(token))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
);

api_test!(
    a_member_leaves_a_thread_by_removing_themselves,
    |app: TestApp| async move {
        let team = app.team().await;
        for account in [&team.viewer, &team.editor] {
            let response = app
                .delete(&team.member_path(&account.id), Some(&account.access_token))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{}", account.email);
            assert_eq!(
                json_body(response).await["data"],
                json!({"id": account.id, "deleted": true})
            );
            let response = app.get(&team.path(), Some(&account.access_token)).await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        assert_eq!(
            app.members(&team.owner.access_token, &team.thread).await,
            roles(&[(&team.owner.id, "owner")])
        );
    }
);

api_test!(
    only_owners_remove_other_members,
    |app: TestApp| async move {
        let team = app.team().await;
        for (account, target) in [
            (&team.viewer, &team.editor.id),
            (&team.viewer, &team.owner.id),
            (&team.editor, &team.viewer.id),
            (&team.admin, &team.viewer.id),
        ] {
            let response = app
                .delete(&team.member_path(target), Some(&account.access_token))
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        for target in [&team.viewer.id, &team.outsider.id] {
            let response = app
                .delete(&team.member_path(target), Some(&team.outsider.access_token))
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        assert_eq!(
            app.members(&team.owner.access_token, &team.thread).await,
            team.roles_as_made()
        );
    }
);

api_test!(
    the_last_owner_may_not_leave_but_one_of_two_owners_may,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let me = team.member_path(&team.owner.id);
        let response = app.delete(&me, Some(token)).await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        assert_eq!(
            app.thread(token, &team.thread).await["my_role"],
            json!("owner")
        );

        let response = app
            .patch(
                &team.member_path(&team.editor.id),
                Some(token),
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app.delete(&me, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app.get(&team.path(), Some(token)).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        // The remaining owner cannot be removed by anyone, themselves included.
        let response = app
            .delete(
                &team.member_path(&team.editor.id),
                Some(&team.editor.access_token),
            )
            .await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        assert_eq!(
            app.members(&team.editor.access_token, &team.thread).await,
            roles(&[(&team.editor.id, "owner"), (&team.viewer.id, "viewer")])
        );
    }
);

api_test!(
    removing_someone_who_is_not_a_member_is_404,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        for user in [team.outsider.id.as_str(), UNKNOWN_USER, "nope"] {
            let response = app.delete(&team.member_path(user), Some(token)).await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        let response = app
            .delete(
                &format!("/api/v1/threads/{UNKNOWN_THREAD}/members/{}", team.owner.id),
                Some(token),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
);

// ---------------------------------------------------------------------------------------
// GET and PUT /api/v1/threads/{id}/members/{user_id}
// ---------------------------------------------------------------------------------------

/// The member a list of members shows for `user_id`, as `token` sees it.
async fn listed_member(app: &TestApp, token: &str, thread: &str, user_id: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/threads/{thread}/members"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .find(|m| m["user_id"] == json!(user_id))
        .cloned()
        .expect("the member is listed")
}

api_test!(
    every_member_and_an_admin_read_one_member,
    |app: TestApp| async move {
        let team = app.team().await;
        let expected = listed_member(
            &app,
            &team.owner.access_token,
            &team.thread,
            &team.editor.id,
        )
        .await;
        for account in [&team.owner, &team.editor, &team.viewer, &team.admin] {
            let response = app
                .get(
                    &team.member_path(&team.editor.id),
                    Some(&account.access_token),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "as {}", account.email);
            let body = json_body(response).await;
            assert_eq!(body["success"], json!(true));
            assert_eq!(body["data"], expected, "as {}", account.email);
            assert_eq!(body["data"]["user_id"], json!(team.editor.id));
            assert_eq!(body["data"]["role"], json!("editor"));
        }
        for (user, role) in [(&team.owner.id, "owner"), (&team.viewer.id, "viewer")] {
            let response = app
                .get(&team.member_path(user), Some(&team.viewer.access_token))
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(json_body(response).await["data"]["role"], json!(role));
        }
    }
);

api_test!(
    reading_a_member_is_404_for_non_members_unknown_members_and_malformed_ids,
    |app: TestApp| async move {
        let team = app.team().await;
        // A non-member learns nothing, not even about members that exist.
        for target in [&team.owner.id, &team.outsider.id] {
            let response = app
                .get(&team.member_path(target), Some(&team.outsider.access_token))
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        for user in [team.outsider.id.as_str(), UNKNOWN_USER, "nope", "thr_x"] {
            let response = app
                .get(&team.member_path(user), Some(&team.owner.access_token))
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        for thread in [UNKNOWN_THREAD, "nope"] {
            let response = app
                .get(
                    &format!("/api/v1/threads/{thread}/members/{}", team.owner.id),
                    Some(&team.owner.access_token),
                )
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        let response = app.get(&team.member_path(&team.owner.id), None).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
);

api_test!(
    the_location_of_an_added_member_serves_that_member,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let response = app
            .post(
                &team.members_path(),
                Some(token),
                json!({"email": team.outsider.email, "role": "editor"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let created = json_body(response).await["data"].clone();
        for account in [&team.owner, &team.outsider, &team.viewer] {
            let response = app.get(&location, Some(&account.access_token)).await;
            assert_eq!(response.status(), StatusCode::OK, "{location}");
            assert_eq!(json_body(response).await["data"], created);
        }
    }
);

api_test!(
    put_on_a_member_changes_the_role_like_patch,
    |app: TestApp| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let response = app
            .put(
                &team.member_path(&team.viewer.id),
                Some(token),
                json!({"role": "editor"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["user_id"], json!(team.viewer.id));
        assert_eq!(data["role"], json!("editor"));
        assert_eq!(
            app.thread(&team.viewer.access_token, &team.thread).await["my_role"],
            json!("editor")
        );
        let response = app
            .get(&team.member_path(&team.viewer.id), Some(token))
            .await;
        assert_eq!(json_body(response).await["data"], data);

        // Only owners: an editor is refused, a stranger finds nothing.
        let response = app
            .put(
                &team.member_path(&team.viewer.id),
                Some(&team.editor.access_token),
                json!({"role": "owner"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app
            .put(
                &team.member_path(&team.viewer.id),
                Some(&team.outsider.access_token),
                json!({"role": "owner"}),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        // The last owner may not step down, and a bad role is refused.
        let response = app
            .put(
                &team.member_path(&team.owner.id),
                Some(token),
                json!({"role": "viewer"}),
            )
            .await;
        assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        let response = app
            .put(
                &team.member_path(&team.editor.id),
                Some(token),
                json!({"role": "admin"}),
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        for user in [team.outsider.id.as_str(), UNKNOWN_USER, "nope"] {
            let response = app
                .put(
                    &team.member_path(user),
                    Some(token),
                    json!({"role": "viewer"}),
                )
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        assert_eq!(
            app.members(token, &team.thread).await,
            roles(&[
                (&team.owner.id, "owner"),
                (&team.editor.id, "editor"),
                (&team.viewer.id, "editor"),
            ])
        );
    }
);

api_test!(
    adding_a_member_to_a_thread_deleted_with_its_creators_account_is_404,
    |app: TestApp| async move {
        let (admin, alice) = app.admin_and_user().await;
        let bob = app.register("bob@rpotential.ai").await;
        let carol = app.register("carol@rpotential.ai").await;
        let thread_id = id_of(&app.create_thread(&alice.access_token, "Alice's").await);
        app.add_member(&alice.access_token, &thread_id, &bob.id, "owner")
            .await;
        // Bob's access to the thread is now in the cache (SQLite).
        app.thread(&bob.access_token, &thread_id).await;

        let response = app
            .delete(
                &format!("/api/v1/users/{}", alice.id),
                Some(&admin.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let response = app
            .post(
                &format!("/api/v1/threads/{thread_id}/members"),
                Some(&bob.access_token),
                json!({"user_id": carol.id, "role": "viewer"}),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app
            .get(
                &format!("/api/v1/threads/{thread_id}"),
                Some(&bob.access_token),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert!(listed(&app, &carol.access_token, "").await.is_empty());
    }
);

api_test!(
    the_title_filter_ignores_case_beyond_ascii,
    |app: TestApp| async move {
        let ada = app.register("ada@rpotential.ai").await;
        let token = ada.access_token.as_str();
        let elan = app.create_thread(token, "Élan Über alles").await;
        app.create_thread(token, "Plain title").await;
        for q in ["élan", "ÉLAN", "über", "ÜBER", "Élan Über"] {
            let response = app
                .client
                .get(app.url("/api/v1/threads"))
                .query(&[("q", q)])
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body = json_body(response).await;
            let ids: Vec<&str> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, vec![elan["id"].as_str().unwrap()], "q={q}");
        }
    }
);
