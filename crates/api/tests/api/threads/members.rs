//! Thread members (contract section 4): listing, adding, reading, changing roles and
//! removing, and who may do each.

use super::*;

/// The member paths of the team's thread that name no member: someone else, a user that
/// does not exist, and a malformed id.
fn non_member_paths(team: &Team) -> Vec<String> {
    [team.outsider.id.as_str(), UNKNOWN_USER, "nope"]
        .map(|user| team.member_path(user))
        .to_vec()
}

// ---------------------------------------------------------------------------------------
// GET /api/v1/threads/{id}/members
// ---------------------------------------------------------------------------------------

api_test!(
    every_member_lists_the_owner_and_added_members_with_their_roles,
    |app| async move {
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

api_test!(a_non_member_listing_members_gets_404, |app| async move {
    let team = app.team().await;
    let unknown = format!("/api/v1/threads/{UNKNOWN_THREAD}/members");
    app.refuses(&[
        (
            Call::get(team.members_path()),
            Some(&team.outsider),
            NOT_FOUND,
        ),
        (Call::get(unknown), Some(&team.owner), NOT_FOUND),
    ])
    .await;
});

api_test!(
    the_member_list_pages_and_refuses_bad_limits,
    |app| async move {
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
        let everyone = [&team.owner.id, &team.editor.id, &team.viewer.id];
        assert_eq!(sorted(seen), sorted(everyone.map(|id| id.clone()).to_vec()));
        for query in ["limit=0", "limit=101", "limit=x", "cursor=Z2FyYmFnZQ"] {
            let call = Call::get(format!("{}?{query}", team.members_path()));
            app.refused(&call, Some(&team.owner), INVALID).await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// POST /api/v1/threads/{id}/members
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_adds_members_by_user_id_and_by_email,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let carol = app.register("carol@rpotential.ai").await;
        for (body, added, role) in [
            (
                json!({"user_id": team.outsider.id, "role": "editor"}),
                &team.outsider,
                "editor",
            ),
            (
                json!({"email": "CAROL@rpotential.ai", "role": "viewer"}),
                &carol,
                "viewer",
            ),
        ] {
            let response = app.post(&team.members_path(), Some(token), body).await;
            assert_eq!(response.status(), StatusCode::CREATED);
            let location = location_of(&response);
            assert_eq!(location, team.member_path(&added.id));
            let data = json_body(response).await["data"].clone();
            assert_eq!(data["user_id"], json!(added.id));
            assert_eq!(data["role"], json!(role));
        }

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
    |app| async move {
        let team = app.team().await;
        for body in [
            json!({"user_id": team.outsider.id, "email": team.outsider.email, "role": "viewer"}),
            json!({"role": "viewer"}),
        ] {
            let call = Call::post(team.members_path(), body);
            let problem = app.refused(&call, Some(&team.owner), INVALID).await;
            let fields = error_fields(&problem);
            assert!(
                fields.iter().any(|f| f == "user_id" || f == "email"),
                "{call}: errors name user_id or email: {fields:?}"
            );
        }
        assert_eq!(team.roles_now(&app).await.len(), 3);
    }
);

api_test!(
    adding_an_unknown_or_malformed_user_is_400_naming_the_field,
    |app| async move {
        let team = app.team().await;
        let cases = [
            (
                "email",
                json!({"email": "nobody@rpotential.ai", "role": "viewer"}),
            ),
            ("email", json!({"email": "not an email", "role": "viewer"})),
            (
                "user_id",
                json!({"user_id": UNKNOWN_USER, "role": "viewer"}),
            ),
            ("user_id", json!({"user_id": "nope", "role": "viewer"})),
        ];
        for (field, body) in cases {
            let call = Call::post(team.members_path(), body);
            let problem = app.refused(&call, Some(&team.owner), INVALID).await;
            assert_eq!(error_fields(&problem), vec![field.to_owned()], "{call}");
        }
        assert_eq!(team.roles_now(&app).await.len(), 3);
    }
);

api_test!(
    adding_a_member_with_a_bad_role_or_unknown_field_is_400,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let stranger = team.outsider.id.as_str();
        for body in [
            json!({"user_id": stranger, "role": "admin"}),
            json!({"user_id": stranger, "role": "OWNER"}),
            json!({"user_id": stranger, "role": null}),
            json!({"user_id": stranger}),
            json!({"user_id": stranger, "role": "viewer", "note": "hi"}),
        ] {
            let call = Call::post(team.members_path(), body);
            app.refused(&call, Some(&team.owner), INVALID).await;
        }
        let body = json!({"user_id": stranger, "role": "viewer"}).to_string();
        let response = app
            .post_raw(&team.members_path(), Some(token), "text/plain", &body)
            .await;
        assert_problem(response, UNSUPPORTED_MEDIA_TYPE).await;
        let read = Call::get(team.path());
        app.refused(&read, Some(&team.outsider), NOT_FOUND).await;
    }
);

api_test!(
    adding_someone_who_is_already_a_member_is_a_conflict,
    |app| async move {
        let team = app.team().await;
        for body in [
            json!({"user_id": team.editor.id, "role": "owner"}),
            json!({"user_id": team.viewer.id, "role": "viewer"}),
            json!({"user_id": team.owner.id, "role": "viewer"}),
            json!({"email": team.editor.email, "role": "viewer"}),
        ] {
            let call = Call::post(team.members_path(), body);
            app.refused(&call, Some(&team.owner), CONFLICT).await;
        }
        // Roles stay as they were.
        assert_eq!(team.roles_now(&app).await, team.roles_as_made());
    }
);

api_test!(
    adding_a_member_retried_with_the_same_idempotency_key_replays_the_201,
    |app| async move {
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
        assert_eq!(team.roles_now(&app).await.len(), 4);
    }
);

api_test!(
    only_owners_add_members_and_non_members_get_404,
    |app| async move {
        let team = app.team().await;
        let carol = app.register("carol@rpotential.ai").await;
        let add_carol = Call::post(
            team.members_path(),
            json!({"user_id": carol.id, "role": "viewer"}),
        );
        // A stranger adding themselves is no way in either.
        let add_self = Call::post(
            team.members_path(),
            json!({"user_id": team.outsider.id, "role": "owner"}),
        );
        app.refuses(&[
            (add_carol.clone(), Some(&team.editor), FORBIDDEN),
            (add_carol.clone(), Some(&team.viewer), FORBIDDEN),
            (add_carol.clone(), Some(&team.admin), FORBIDDEN),
            (add_carol.clone(), Some(&team.outsider), NOT_FOUND),
            (add_self, Some(&team.outsider), NOT_FOUND),
            (add_carol, None, UNAUTHORIZED),
        ])
        .await;
        assert_eq!(team.roles_now(&app).await.len(), 3);
    }
);

// ---------------------------------------------------------------------------------------
// PATCH /api/v1/threads/{id}/members/{user_id}
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_changes_a_members_role_and_it_takes_effect,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let data = team.set_role(&app, &team.editor, "viewer").await;
        assert_eq!(data["user_id"], json!(team.editor.id));
        assert_eq!(data["role"], json!("viewer"));
        // The demoted editor may no longer change the thread.
        let rename = Call::patch(team.path(), json!({"title": "x"}));
        app.refused(&rename, Some(&team.editor), FORBIDDEN).await;

        // A viewer made owner manages members.
        let data = team.set_role(&app, &team.viewer, "owner").await;
        assert_eq!(data["role"], json!("owner"));
        let (viewer, outsider) = (&team.viewer, &team.outsider);
        app.add_member(&viewer.access_token, &team.thread, &outsider.id, "viewer")
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

api_test!(demoting_the_last_owner_is_a_conflict, |app| async move {
    let team = app.team().await;
    let token = team.owner.access_token.as_str();
    let step_down = Call::patch(team.member_path(&team.owner.id), json!({"role": "editor"}));
    app.refused(&step_down, Some(&team.owner), CONFLICT).await;
    assert_eq!(
        app.thread(token, &team.thread).await["my_role"],
        json!("owner")
    );
    // "Changing" to the same role is fine.
    team.set_role(&app, &team.owner, "owner").await;

    // With a second owner, the first may step down.
    team.set_role(&app, &team.editor, "owner").await;
    team.set_role(&app, &team.owner, "viewer").await;
    assert_eq!(
        app.thread(token, &team.thread).await["my_role"],
        json!("viewer")
    );
    // And now the editor-turned-owner is the last one.
    let step_down = Call::patch(team.member_path(&team.editor.id), json!({"role": "editor"}));
    app.refused(&step_down, Some(&team.editor), CONFLICT).await;
});

api_test!(
    changing_the_role_of_someone_who_is_not_a_member_is_404,
    |app| async move {
        let team = app.team().await;
        let editor = &team.editor.id;
        for path in non_member_paths(&team) {
            let call = Call::patch(path, json!({"role": "viewer"}));
            app.refused(&call, Some(&team.owner), NOT_FOUND).await;
        }
        let elsewhere = format!("/api/v1/threads/{UNKNOWN_THREAD}/members/{editor}");
        let call = Call::patch(elsewhere, json!({"role": "viewer"}));
        app.refused(&call, Some(&team.owner), NOT_FOUND).await;
    }
);

api_test!(a_role_change_with_a_bad_role_is_400, |app| async move {
    let team = app.team().await;
    let path = team.member_path(&team.editor.id);
    for body in [
        json!({"role": "admin"}),
        json!({"role": null}),
        json!({}),
        json!({"role": "viewer", "extra": true}),
    ] {
        let call = Call::patch(path.clone(), body);
        app.refused(&call, Some(&team.owner), INVALID).await;
    }
    assert_eq!(team.roles_now(&app).await, team.roles_as_made());
});

// ---------------------------------------------------------------------------------------
// DELETE /api/v1/threads/{id}/members/{user_id}
// ---------------------------------------------------------------------------------------

/// Removes `member` from the team's thread as `by`, and checks the answer and that
/// `member` no longer sees the thread.
async fn remove(app: &TestApp, team: &Team, by: &Account, member: &Account) {
    let response = app
        .delete(&team.member_path(&member.id), Some(&by.access_token))
        .await;
    assert_eq!(
        data_of(response, StatusCode::OK).await,
        json!({"id": member.id, "deleted": true}),
        "{} removing {}",
        by.email,
        member.email
    );
    let read = Call::get(team.path());
    app.refused(&read, Some(member), NOT_FOUND).await;
}

api_test!(
    the_owner_removes_a_member_who_then_cannot_see_the_thread,
    |app| async move {
        let team = app.team().await;
        remove(&app, &team, &team.owner, &team.editor).await;
        assert!(listed(&app, &team.editor.access_token, "").await.is_empty());
        let post = Call::post(
            format!("{}/messages", team.path()),
            json!({"content": "still here?"}),
        );
        app.refused(&post, Some(&team.editor), NOT_FOUND).await;
        assert_eq!(
            team.roles_now(&app).await,
            roles(&[(&team.owner.id, "owner"), (&team.viewer.id, "viewer")])
        );
        // Removing them again: they are not a member.
        let again = Call::delete(team.member_path(&team.editor.id));
        app.refused(&again, Some(&team.owner), NOT_FOUND).await;
    }
);

api_test!(
    a_member_leaves_a_thread_by_removing_themselves,
    |app| async move {
        let team = app.team().await;
        for account in [&team.viewer, &team.editor] {
            remove(&app, &team, account, account).await;
        }
        assert_eq!(
            team.roles_now(&app).await,
            roles(&[(&team.owner.id, "owner")])
        );
    }
);

api_test!(
    only_owners_change_roles_and_remove_other_members,
    |app| async move {
        let team = app.team().await;
        let promote =
            |target: &Account| Call::patch(team.member_path(&target.id), json!({"role": "owner"}));
        let remove = |target: &Account| Call::delete(team.member_path(&target.id));
        let (editor, viewer, outsider) = (&team.editor, &team.viewer, &team.outsider);
        app.refuses(&[
            (promote(viewer), Some(editor), FORBIDDEN),
            (promote(editor), Some(editor), FORBIDDEN),
            (promote(viewer), Some(viewer), FORBIDDEN),
            (promote(viewer), Some(&team.admin), FORBIDDEN),
            (promote(viewer), Some(outsider), NOT_FOUND),
            (remove(editor), Some(viewer), FORBIDDEN),
            (remove(&team.owner), Some(viewer), FORBIDDEN),
            (remove(viewer), Some(editor), FORBIDDEN),
            (remove(viewer), Some(&team.admin), FORBIDDEN),
            (remove(viewer), Some(outsider), NOT_FOUND),
            (remove(outsider), Some(outsider), NOT_FOUND),
        ])
        .await;
        assert_eq!(team.roles_now(&app).await, team.roles_as_made());
    }
);

api_test!(
    the_last_owner_may_not_leave_but_one_of_two_owners_may,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let leave = Call::delete(team.member_path(&team.owner.id));
        app.refused(&leave, Some(&team.owner), CONFLICT).await;
        assert_eq!(
            app.thread(token, &team.thread).await["my_role"],
            json!("owner")
        );

        team.set_role(&app, &team.editor, "owner").await;
        remove(&app, &team, &team.owner, &team.owner).await;
        // The remaining owner cannot be removed by anyone, themselves included.
        let leave = Call::delete(team.member_path(&team.editor.id));
        app.refused(&leave, Some(&team.editor), CONFLICT).await;
        assert_eq!(
            app.members(&team.editor.access_token, &team.thread).await,
            roles(&[(&team.editor.id, "owner"), (&team.viewer.id, "viewer")])
        );
    }
);

api_test!(
    removing_someone_who_is_not_a_member_is_404,
    |app| async move {
        let team = app.team().await;
        let owner = &team.owner.id;
        let elsewhere = format!("/api/v1/threads/{UNKNOWN_THREAD}/members/{owner}");
        for path in non_member_paths(&team).into_iter().chain([elsewhere]) {
            app.refused(&Call::delete(path), Some(&team.owner), NOT_FOUND)
                .await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// GET and PUT /api/v1/threads/{id}/members/{user_id}
// ---------------------------------------------------------------------------------------

/// The member a list of members shows for `user_id`, as `token` sees it.
async fn listed_member(app: &TestApp, token: &str, thread: &str, user_id: &str) -> Value {
    let path = format!("/api/v1/threads/{thread}/members");
    app.list(&path, token)
        .await
        .into_iter()
        .find(|m| m["user_id"] == json!(user_id))
        .expect("the member is listed")
}

api_test!(
    every_member_and_an_admin_read_one_member,
    |app| async move {
        let team = app.team().await;
        let (owner, editor) = (&team.owner, &team.editor);
        let expected = listed_member(&app, &owner.access_token, &team.thread, &editor.id).await;
        for account in [&team.owner, &team.editor, &team.viewer, &team.admin] {
            let response = app
                .get(&team.member_path(&editor.id), Some(&account.access_token))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "as {}", account.email);
            let body = json_body(response).await;
            assert_eq!(body["success"], json!(true));
            assert_eq!(body["data"], expected, "as {}", account.email);
            assert_eq!(body["data"]["user_id"], json!(editor.id));
            assert_eq!(body["data"]["role"], json!("editor"));
        }
        for (user, role) in [(&team.owner.id, "owner"), (&team.viewer.id, "viewer")] {
            let member = app
                .data(&team.member_path(user), &team.viewer.access_token)
                .await;
            assert_eq!(member["role"], json!(role));
        }
    }
);

api_test!(
    reading_a_member_is_404_for_non_members_unknown_members_and_malformed_ids,
    |app| async move {
        let team = app.team().await;
        let read = |path: String| Call::get(path);
        // A non-member learns nothing, not even about members that exist.
        for target in [&team.owner.id, &team.outsider.id] {
            let call = read(team.member_path(target));
            app.refused(&call, Some(&team.outsider), NOT_FOUND).await;
        }
        let malformed = team.member_path("thr_x");
        for path in non_member_paths(&team).into_iter().chain([malformed]) {
            app.refused(&read(path), Some(&team.owner), NOT_FOUND).await;
        }
        for thread in [UNKNOWN_THREAD, "nope"] {
            let call = read(format!(
                "/api/v1/threads/{thread}/members/{}",
                team.owner.id
            ));
            app.refused(&call, Some(&team.owner), NOT_FOUND).await;
        }
        let call = read(team.member_path(&team.owner.id));
        app.refused(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    the_location_of_an_added_member_serves_that_member,
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let body = json!({"email": team.outsider.email, "role": "editor"});
        let response = app.post(&team.members_path(), Some(token), body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
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
    |app| async move {
        let team = app.team().await;
        let token = team.owner.access_token.as_str();
        let put = |user: &str, role: &str| Call::put(team.member_path(user), json!({"role": role}));
        let data = app
            .expect(&put(&team.viewer.id, "editor"), token, StatusCode::OK)
            .await;
        assert_eq!(data["user_id"], json!(team.viewer.id));
        assert_eq!(data["role"], json!("editor"));
        assert_eq!(
            app.thread(&team.viewer.access_token, &team.thread).await["my_role"],
            json!("editor")
        );
        assert_eq!(
            app.data(&team.member_path(&team.viewer.id), token).await,
            data
        );

        // Only owners: an editor is refused, a stranger finds nothing. The last owner may
        // not step down, and a bad role is refused.
        app.refuses(&[
            (put(&team.viewer.id, "owner"), Some(&team.editor), FORBIDDEN),
            (
                put(&team.viewer.id, "owner"),
                Some(&team.outsider),
                NOT_FOUND,
            ),
            (put(&team.owner.id, "viewer"), Some(&team.owner), CONFLICT),
            (put(&team.editor.id, "admin"), Some(&team.owner), INVALID),
        ])
        .await;
        for path in non_member_paths(&team) {
            let call = Call::put(path, json!({"role": "viewer"}));
            app.refused(&call, Some(&team.owner), NOT_FOUND).await;
        }
        assert_eq!(
            team.roles_now(&app).await,
            roles(&[
                (&team.owner.id, "owner"),
                (&team.editor.id, "editor"),
                (&team.viewer.id, "editor"),
            ])
        );
    }
);

api_test!(
    a_thread_whose_creator_is_erased_stays_with_its_other_owner,
    |app| async move {
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

        // Erasure keeps threads others use (docs/api.md, "Account data"): Bob owns it.
        app.add_member(&bob.access_token, &thread_id, &carol.id, "viewer")
            .await;
        let thread = app.thread(&bob.access_token, &thread_id).await;
        assert_eq!(thread["owner_id"], json!(bob.id));
        assert_eq!(listed(&app, &carol.access_token, "").await.len(), 1);
    }
);

api_test!(
    the_title_filter_ignores_case_beyond_ascii,
    |app| async move {
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
