//! Changing users: `PUT`/`PATCH` with `ETag`/`If-Match`, deletion, and the legacy aliases.

use super::*;

// ---------------------------------------------------------------------------------------
// PUT / PATCH /api/v1/users/{id}
// ---------------------------------------------------------------------------------------

api_test!(a_user_edits_their_own_profile, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let before = me(&app, &user.access_token).await;
    let_the_clock_move().await;
    let response = app
        .patch(
            &path,
            Some(&user.access_token),
            json!({
                "name": "  Ada Lovelace ",
                "avatar_url": "https://cdn.example.com/ada.png",
                "preferences": {"theme": "dark", "density": {"compact": true}}
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tag = etag(&response);
    let data = json_body(response).await["data"].clone();
    assert_eq!(data["name"], json!("Ada Lovelace"));
    assert_eq!(data["avatar_url"], json!("https://cdn.example.com/ada.png"));
    assert_eq!(
        data["preferences"],
        json!({"theme": "dark", "density": {"compact": true}})
    );
    assert_eq!(data["email"], before["email"]);
    assert_eq!(data["role"], json!("USER"));
    assert_eq!(data["created_at"], before["created_at"]);
    assert_ne!(data["updated_at"], before["updated_at"]);

    let response = app.get("/api/v1/users/me", Some(&user.access_token)).await;
    assert_eq!(etag(&response), tag, "the write's ETag is the new version");
    assert_eq!(json_body(response).await["data"], data);
});

/// A plain user and the path of their record, with every profile field set by `method`.
async fn user_with_a_full_profile(app: &TestApp, method: Method) -> (Account, String) {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let profile = json!({
        "name": "Ada",
        "avatar_url": "https://cdn.example.com/ada.png",
        "preferences": {"theme": "dark"}
    });
    let call = Call::new(method, &path, Some(profile));
    app.expect(&call, &user.access_token, StatusCode::OK).await;
    (user, path)
}

api_test!(put_applies_only_the_fields_present, |app| async move {
    let (user, path) = user_with_a_full_profile(&app, Method::PUT).await;
    let token = Some(user.access_token.as_str());

    let response = app.put(&path, token, json!({"name": "Ada Lovelace"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let data = json_body(response).await["data"].clone();
    assert_eq!(data["name"], json!("Ada Lovelace"));
    assert_eq!(data["avatar_url"], json!("https://cdn.example.com/ada.png"));
    assert_eq!(data["preferences"], json!({"theme": "dark"}));

    let response = app
        .put(&path, token, json!({"preferences": {"theme": "light"}}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let data = me(&app, &user.access_token).await;
    assert_eq!(data["name"], json!("Ada Lovelace"));
    assert_eq!(data["avatar_url"], json!("https://cdn.example.com/ada.png"));
    assert_eq!(data["preferences"], json!({"theme": "light"}));

    let response = app.put(&path, token, json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json_body(response).await["data"],
        data,
        "an empty PUT changes nothing"
    );
});

api_test!(patch_applies_only_the_fields_present, |app| async move {
    let (user, path) = user_with_a_full_profile(&app, Method::PATCH).await;
    let token = Some(user.access_token.as_str());

    let response = app
        .patch(
            &path,
            token,
            json!({"avatar_url": "https://cdn.example.com/new.png"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let data = me(&app, &user.access_token).await;
    assert_eq!(data["name"], json!("Ada"));
    assert_eq!(data["avatar_url"], json!("https://cdn.example.com/new.png"));
    assert_eq!(data["preferences"], json!({"theme": "dark"}));
});

api_test!(a_null_avatar_url_clears_the_avatar, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let token = Some(user.access_token.as_str());
    for method in [Method::PATCH, Method::PUT] {
        let response = app
            .request(
                method.clone(),
                &path,
                token,
                Some(json!({"avatar_url": "https://cdn.example.com/ada.png", "name": "Ada"})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app
            .request(
                method.clone(),
                &path,
                token,
                Some(json!({"avatar_url": null})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["avatar_url"], json!(null), "{method}");
        assert_eq!(data["name"], json!("Ada"), "{method}");
        assert_eq!(
            me(&app, &user.access_token).await["avatar_url"],
            json!(null)
        );
    }
});

api_test!(a_user_cannot_change_their_own_role, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    app.edits_refused(
        &path,
        Some(user.access_token.as_str()),
        json!({"role": "ADMIN", "name": "Sneaky"}),
        FORBIDDEN,
    )
    .await;
    let data = me(&app, &user.access_token).await;
    assert_eq!(data["role"], json!("USER"));
    assert_eq!(data["name"], json!("Test User"), "nothing changed");
    // Not even with a fresh token.
    let fresh = app.login(&user.email).await;
    let call = Call::get("/api/v1/users");
    app.refused_with(&call, Some(&fresh.access_token), FORBIDDEN)
        .await;
});

api_test!(a_user_cannot_change_their_own_status, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let call = Call::patch(&path, json!({"status": "suspended"}));
    app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
        .await;
    assert_eq!(
        me(&app, &user.access_token).await["status"],
        json!("active")
    );
});

api_test!(a_user_cannot_edit_another_user, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let other = create_user(&app, &admin.access_token, "other@rpotential.ai", "Other").await;
    let other_id = other["id"].as_str().unwrap();
    for target in [admin.id.as_str(), other_id] {
        let path = format!("/api/v1/users/{target}");
        app.edits_refused(
            &path,
            Some(user.access_token.as_str()),
            json!({"name": "Hacked"}),
            FORBIDDEN,
        )
        .await;
        let call = Call::patch(&path, json!({"status": "suspended"}));
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
        let seen = user_full(&app, &admin.access_token, target).await;
        assert_ne!(seen["name"], json!("Hacked"));
        assert_eq!(seen["status"], json!("active"));
    }
});

/// The full record, as an ADMIN reads it.
async fn user_full(app: &TestApp, admin_token: &str, id: &str) -> Value {
    let data = user(app, admin_token, id).await;
    assert!(data.get("email").is_some(), "the full record");
    data
}

api_test!(
    an_admin_changes_another_users_role_status_and_profile,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app
            .patch(
                &path,
                Some(&admin.access_token),
                json!({"role": "ADMIN", "status": "suspended", "name": "Renamed"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        etag(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["id"], json!(user.id));
        assert_eq!(data["role"], json!("ADMIN"));
        assert_eq!(data["status"], json!("suspended"));
        assert_eq!(data["name"], json!("Renamed"));
        assert_eq!(user_full(&app, &admin.access_token, &user.id).await, data);

        let response = app
            .put(
                &path,
                Some(&admin.access_token),
                json!({"role": "USER", "status": "active"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["role"], json!("USER"));
        assert_eq!(data["status"], json!("active"));
        assert_eq!(data["name"], json!("Renamed"));
    }
);

api_test!(
    an_admin_cannot_change_their_own_role_or_status,
    |app| async move {
        let (admin, _) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", admin.id);
        // Sending back the current values is no change (see
        // sending_back_your_own_unchanged_role_and_status_is_no_change).
        for body in [json!({"role": "USER"}), json!({"status": "suspended"})] {
            let call = Call::patch(&path, body.clone());
            app.refused_with(&call, Some(&admin.access_token), FORBIDDEN)
                .await;
        }
        let data = me(&app, &admin.access_token).await;
        assert_eq!(data["role"], json!("ADMIN"));
        assert_eq!(data["status"], json!("active"));
        // The profile fields are still theirs to edit.
        let response = app
            .patch(&path, Some(&admin.access_token), json!({"name": "Chief"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

/// A plain user, the path of their record, and that record before a test's refused changes.
async fn user_and_record(app: &TestApp) -> (Account, String, Value) {
    let (_, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let before = me(app, &user.access_token).await;
    (user, path, before)
}

/// Asserts that `user`'s record is still `before`: the refused changes changed nothing.
async fn assert_nothing_changed(app: &TestApp, user: &Account, before: &Value) {
    assert_eq!(
        &me(app, &user.access_token).await,
        before,
        "nothing changed"
    );
}

api_test!(
    invalid_profile_fields_are_validation_errors_naming_each_field,
    |app| async move {
        let (user, path, before) = user_and_record(&app).await;
        let token = Some(user.access_token.as_str());

        let call = Call::patch(
            &path,
            json!({
                "name": "x".repeat(101),
                "avatar_url": "javascript:alert(1)",
                "preferences": ["not", "an", "object"]
            }),
        );
        let body = app.refused_with(&call, token, INVALID).await;
        let errors = body["error"]["errors"].as_object().expect("errors");
        for field in ["name", "avatar_url", "preferences"] {
            assert!(errors.contains_key(field), "{field} is named: {body}");
        }

        for (field, value) in [
            ("avatar_url", json!("/relative.png")),
            ("avatar_url", json!("ftp://cdn.example.com/a.png")),
            ("name", json!("   ")),
            ("name", json!("x".repeat(101))),
            ("preferences", json!("dark")),
            ("preferences", json!(42)),
        ] {
            let call = Call::put(&path, json!({ field: value.clone() }));
            let body = app.refused_with(&call, token, INVALID).await;
            assert!(
                body["error"]["errors"][field].is_array(),
                "{field} = {value}: {body}"
            );
        }
        assert_nothing_changed(&app, &user, &before).await;
    }
);

api_test!(
    a_null_name_or_null_preferences_is_a_validation_error_not_ignored,
    |app| async move {
        let (user, path, before) = user_and_record(&app).await;
        let token = Some(user.access_token.as_str());
        // Only `avatar_url` can be cleared; a null name or preferences is not an object or a
        // name, so it is bad input rather than "absent".
        for field in ["name", "preferences"] {
            for method in [Method::PATCH, Method::PUT] {
                let call = Call::new(method, &path, Some(json!({ field: null })));
                let body = app.refused_with(&call, token, INVALID).await;
                assert!(body["error"]["errors"][field].is_array(), "{call}: {body}");
            }
        }
        assert_nothing_changed(&app, &user, &before).await;
    }
);

api_test!(
    an_unknown_field_in_an_update_is_rejected,
    |app| async move {
        let (user, path, before) = user_and_record(&app).await;
        let token = Some(user.access_token.as_str());
        for body in [
            json!({"email": "new@rpotential.ai"}),
            json!({"name": "Ada", "nickname": "ada"}),
            json!({"role": "OWNER"}),
            json!("a string"),
        ] {
            app.refused_with(&Call::patch(&path, body), token, INVALID)
                .await;
        }
        assert_nothing_changed(&app, &user, &before).await;
    }
);

api_test!(an_update_with_the_current_etag_applies, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let response = app.get(&path, Some(&user.access_token)).await;
    let tag = etag(&response);
    let_the_clock_move().await;
    let response = app
        .patch_if_match(&path, &user.access_token, &tag, json!({"name": "Ada"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let new_tag = etag(&response);
    assert_ne!(new_tag, tag, "a change moves the version");

    let_the_clock_move().await;
    let response = app
        .put_if_match(
            &path,
            &admin.access_token,
            &new_tag,
            json!({"name": "Ada Lovelace"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .patch_if_match(
            &path,
            &user.access_token,
            "*",
            json!({"name": "Any Version"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
});

api_test!(
    an_update_with_a_stale_etag_is_412_and_changes_nothing,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app.get(&path, Some(&user.access_token)).await;
        let stale = etag(&response);
        let_the_clock_move().await;
        let response = app
            .patch(&path, Some(&user.access_token), json!({"name": "First"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        app.stale_edits_refused(
            &path,
            &user.access_token,
            &stale,
            json!({"name": "Second", "preferences": {"lost": "update"}}),
        )
        .await;
        let data = me(&app, &user.access_token).await;
        assert_eq!(data["name"], json!("First"));
        assert_eq!(data["preferences"], json!({}));
    }
);

api_test!(
    concurrent_updates_without_if_match_all_go_ahead,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        // No `If-Match` means no precondition: racing writes must not fail with 412.
        let requests = (0..16).map(|n| {
            app.patch(
                &path,
                Some(&user.access_token),
                json!({ "preferences": { "n": n } }),
            )
        });
        let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
            .await
            .iter()
            .map(Response::status)
            .collect();
        assert_eq!(statuses, vec![StatusCode::OK; 16]);
    }
);

api_test!(
    updating_an_unknown_or_malformed_user_id_is_404,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        for token in [&admin.access_token, &user.access_token] {
            for id in [UNKNOWN_ID, "nope"] {
                app.edits_refused(
                    &format!("/api/v1/users/{id}"),
                    Some(token.as_str()),
                    json!({"name": "Ghost"}),
                    NOT_FOUND,
                )
                .await;
            }
        }
    }
);

api_test!(
    updating_a_user_without_a_token_is_unauthorized,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        app.edits_refused(&path, None, json!({"name": "Ghost"}), UNAUTHORIZED)
            .await;
    }
);

api_test!(suspending_a_user_takes_effect_at_once, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    assert_eq!(
        me(&app, &user.access_token).await["status"],
        json!("active")
    );
    let response = app
        .patch(
            &path,
            Some(&admin.access_token),
            json!({"status": "suspended"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let call = Call::get("/api/v1/users/me");
    app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
        .await;
    let call = Call::patch(&path, json!({"name": "Still Here"}));
    app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
        .await;

    let response = app
        .patch(
            &path,
            Some(&admin.access_token),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        me(&app, &user.access_token).await["name"],
        json!("Test User")
    );
});

api_test!(
    a_role_change_takes_effect_with_the_next_token,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .patch(
                &format!("/api/v1/users/{}", user.id),
                Some(&admin.access_token),
                json!({"role": "ADMIN"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let call = Call::get("/api/v1/users");
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;

        let fresh = app.login(&user.email).await;
        let response = app.get("/api/v1/users", Some(&fresh.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// ---------------------------------------------------------------------------------------
// DELETE /api/v1/users/{id}
// ---------------------------------------------------------------------------------------

api_test!(
    an_admin_deletes_a_user_whose_token_then_stops_working,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app.delete(&path, Some(&admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["success"], json!(true));
        assert_eq!(body["data"], json!({"id": user.id, "deleted": true}));

        let call = Call::get("/api/v1/users/me");
        app.refused_with(&call, Some(&user.access_token), UNAUTHORIZED)
            .await;
        // What remains is the tombstone's public profile, for the messages it left.
        let profile = app.data(&path, &admin.access_token).await;
        assert_eq!(
            profile,
            json!({"id": user.id, "name": "Deleted user", "avatar_url": null})
        );
        let call = Call::post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": user.refresh_token}),
        );
        app.refused_with(&call, None, UNAUTHORIZED).await;
        let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        assert_eq!(ids(&list), vec![admin.id.clone()]);
    }
);

api_test!(a_plain_user_may_not_delete_users, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    for target in [&admin.id, &user.id] {
        let call = Call::delete(format!("/api/v1/users/{target}"));
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
    }
    let list = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
    assert_eq!(ids(&list).len(), 2, "nobody was deleted");
});

api_test!(an_admin_cannot_delete_themselves, |app| async move {
    let (admin, _) = app.admin_and_user().await;
    let call = Call::delete(format!("/api/v1/users/{}", admin.id));
    app.refused_with(&call, Some(&admin.access_token), FORBIDDEN)
        .await;
    assert_eq!(me(&app, &admin.access_token).await["id"], json!(admin.id));
});

api_test!(deleting_an_unknown_user_is_404, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    for id in [UNKNOWN_ID, "nope"] {
        let call = Call::delete(format!("/api/v1/users/{id}"));
        app.refused_with(&call, Some(&admin.access_token), NOT_FOUND)
            .await;
    }
    let path = format!("/api/v1/users/{}", user.id);
    let response = app.delete(&path, Some(&admin.access_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let call = Call::delete(&path);
    app.refused_with(&call, Some(&admin.access_token), NOT_FOUND)
        .await;
});

api_test!(
    deleting_a_user_without_a_token_is_unauthorized,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let call = Call::delete(format!("/api/v1/users/{}", user.id));
        app.refused_with(&call, None, UNAUTHORIZED).await;
    }
);

api_test!(
    deleting_with_a_stale_etag_is_412_and_deletes_nothing,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let stale = etag(&app.get(&path, Some(&admin.access_token)).await);
        let_the_clock_move().await;
        let response = app
            .patch(&path, Some(&user.access_token), json!({"name": "Moved On"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let current = etag(&response);

        let response = app
            .delete_if_match(&path, &admin.access_token, &stale)
            .await;
        assert_precondition_failed(response).await;
        assert_eq!(
            me(&app, &user.access_token).await["name"],
            json!("Moved On")
        );

        let response = app
            .delete_if_match(&path, &admin.access_token, &current)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

// ---------------------------------------------------------------------------------------
// Legacy aliases
// ---------------------------------------------------------------------------------------

api_test!(
    the_legacy_user_list_behaves_like_the_v1_one,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app.get("/users?limit=1", Some(&admin.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let legacy = json_body(response).await;
        let current = json_body(
            app.get("/api/v1/users?limit=1", Some(&admin.access_token))
                .await,
        )
        .await;
        assert_eq!(legacy["data"], current["data"]);
        assert_eq!(
            legacy["metadata"]["pagination"],
            current["metadata"]["pagination"]
        );
        assert_eq!(legacy["metadata"]["pagination"]["has_more"], json!(true));

        let call = Call::get("/users");
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
        let call = Call::get("/users");
        app.refused_with(&call, None, UNAUTHORIZED).await;
        let call = Call::get("/users?limit=0");
        let body = app
            .refused_with(&call, Some(&admin.access_token), INVALID)
            .await;
        assert!(body["error"]["errors"]["limit"].is_array());
    }
);

api_test!(
    the_legacy_create_behaves_like_the_v1_one,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let response = app
            .post(
                "/users",
                Some(&admin.access_token),
                json!({"email": "grace@rpotential.ai", "name": "Grace Hopper"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = location_of(&response);
        let data = json_body(response).await["data"].clone();
        assert_eq!(
            location,
            format!("/api/v1/users/{}", data["id"].as_str().unwrap())
        );
        assert_eq!(data["email"], json!("grace@rpotential.ai"));
        assert_eq!(data["role"], json!("USER"));

        let call = Call::post(
            "/users",
            json!({"email": "grace@rpotential.ai", "name": "Again"}),
        );
        app.refused_with(&call, Some(&admin.access_token), CONFLICT)
            .await;
        let call = Call::post(
            "/users",
            json!({"email": "ada@rpotential.ai", "name": "Ada"}),
        );
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
        let call = Call::post(
            "/users",
            json!({"email": "ada@rpotential.ai", "name": "Ada", "extra": 1}),
        );
        app.refused_with(&call, Some(&admin.access_token), INVALID)
            .await;
    }
);

api_test!(
    sending_back_your_own_unchanged_role_and_status_is_no_change,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let path = format!("/api/v1/users/{}", user.id);
        let response = app
            .put(
                &path,
                Some(&user.access_token),
                json!({"name": "Renamed", "role": "USER", "status": "active"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_body(response).await["data"]["name"], json!("Renamed"));
        let call = Call::patch(&path, json!({"role": "ADMIN"}));
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
    }
);

api_test!(a_null_role_or_status_is_refused_by_name, |app| async move {
    let (admin, user) = app.admin_and_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let call = Call::patch(&path, json!({"role": null, "status": null}));
    let body = app
        .refused_with(&call, Some(&admin.access_token), INVALID)
        .await;
    assert!(body["error"]["errors"]["role"].is_array());
    assert!(body["error"]["errors"]["status"].is_array());
});
