//! Listing and paging, changes with `If-Match`, and deletion with blob collection.

use super::*;

// ---------------------------------------------------------------------------------------
// 12. Listing
// ---------------------------------------------------------------------------------------

api_test!(
    the_list_shows_own_files_and_files_of_readable_threads_only,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let own_png = upload(&app, owner, "own.png", "image/png", &png()).await;
        let own_text = upload(&app, owner, "own.txt", "text/plain", b"own").await;
        let gif = picture(ImageFormat::Gif);
        let response = upload_to_thread(
            &app,
            &c.editor.access_token,
            &c.thread,
            "team.gif",
            "image/gif",
            &gif,
        )
        .await;
        let team_gif = data_of(response, StatusCode::CREATED).await;
        let strangers = upload(
            &app,
            &c.outsider.access_token,
            "theirs.png",
            "image/png",
            &png(),
        )
        .await;
        let other_thread = app.new_thread(&c.outsider.access_token, "Elsewhere").await;
        let response = upload_to_thread(
            &app,
            &c.outsider.access_token,
            &other_thread,
            "far.txt",
            "text/plain",
            b"far",
        )
        .await;
        let far = data_of(response, StatusCode::CREATED).await;

        let listed = list(&app, owner, "").await;
        assert_eq!(
            set_of(ids(&listed)),
            set(&[&id_of(&own_png), &id_of(&own_text), &id_of(&team_gif)])
        );
        assert_eq!(listed["metadata"]["pagination"]["has_more"], json!(false));
        assert_eq!(listed["metadata"]["pagination"]["next_cursor"], Value::Null);
        // Newest first.
        assert_eq!(
            ids(&listed),
            vec![id_of(&team_gif), id_of(&own_text), id_of(&own_png)]
        );

        let viewer = set_of(ids(&list(&app, &c.viewer.access_token, "").await));
        assert_eq!(viewer, set(&[&id_of(&team_gif)]));
        let outsider = set_of(ids(&list(&app, &c.outsider.access_token, "").await));
        assert_eq!(outsider, set(&[&id_of(&strangers), &id_of(&far)]));

        // thread_id: only that thread's files, and only for those who read it.
        let in_thread = list(&app, owner, &format!("?thread_id={}", c.thread)).await;
        assert_eq!(ids(&in_thread), vec![id_of(&team_gif)]);
        let call = Call::get(format!("/api/v1/files?thread_id={other_thread}"));
        app.refused_with(&call, Some(owner), NOT_FOUND).await;
        let call = Call::get("/api/v1/files?thread_id=thr_00000000000000000000000000000000");
        app.refused_with(&call, Some(owner), NOT_FOUND).await;
        let response = app.get("/api/v1/files?thread_id=nope", Some(owner)).await;
        assert_invalid(response, "thread_id").await;

        // content_type: a family or an exact type, matched on the served type.
        let images = list(&app, owner, "?content_type=image/*").await;
        assert_eq!(
            set_of(ids(&images)),
            set(&[&id_of(&own_png), &id_of(&team_gif)])
        );
        let pngs = list(&app, owner, "?content_type=image/png").await;
        assert_eq!(ids(&pngs), vec![id_of(&own_png)]);
        let texts = list(&app, owner, "?content_type=text/plain").await;
        assert_eq!(ids(&texts), vec![id_of(&own_text)]);
        let none = list(&app, owner, "?content_type=video/*").await;
        assert!(ids(&none).is_empty());
        // Filters narrow what the caller sees, never widen it: the outsider's filtered
        // lists hold only their own files.
        for filter in ["?content_type=text/plain", "?content_type=image/*"] {
            let theirs = set_of(ids(&list(&app, &c.outsider.access_token, filter).await));
            assert!(
                theirs.is_subset(&set(&[&id_of(&strangers), &id_of(&far)])),
                "{filter}: {theirs:?}"
            );
        }
        let response = app.get("/api/v1/files?content_type=*", Some(owner)).await;
        assert_invalid(response, "content_type").await;
        let both = list(
            &app,
            owner,
            &format!("?thread_id={}&content_type=image/gif", c.thread),
        )
        .await;
        assert_eq!(ids(&both), vec![id_of(&team_gif)]);
    }
);

api_test!(paging_through_files_visits_each_once, |app| async move {
    let c = app.team().await;
    let owner = c.owner.access_token.as_str();
    let mut expected = BTreeSet::new();
    for i in 0..4 {
        let data = upload(
            &app,
            owner,
            &format!("f{i}.txt"),
            "text/plain",
            format!("file {i}").as_bytes(),
        )
        .await;
        expected.insert(id_of(&data));
    }
    let response = upload_to_thread(
        &app,
        &c.editor.access_token,
        &c.thread,
        "team.txt",
        "text/plain",
        b"team",
    )
    .await;
    expected.insert(id_of(&json_body(response).await["data"]));

    let mut seen = Vec::new();
    let mut query = "?limit=1".to_owned();
    for _ in 0..10 {
        let page = list(&app, owner, &query).await;
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 1);
        seen.extend(page_ids);
        let pagination = &page["metadata"]["pagination"];
        assert_eq!(pagination["limit"], json!(1));
        match pagination["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(pagination["has_more"], json!(true));
                query = format!("?limit=1&cursor={cursor}");
            }
            None => {
                assert_eq!(pagination["has_more"], json!(false));
                break;
            }
        }
    }
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
    assert_eq!(set_of(seen), expected);

    for bad in [
        "?limit=0",
        "?limit=101",
        "?limit=abc",
        "?cursor=not-a-cursor",
        "?cursor=%00%01",
    ] {
        let call = Call::get(format!("/api/v1/files{bad}"));
        app.refused_with(&call, Some(owner), INVALID).await;
    }
    let call = Call::get("/api/v1/files?colour=red");
    app.refused_with(&call, Some(owner), INVALID).await;
});

// ---------------------------------------------------------------------------------------
// 13. PATCH / PUT
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_renames_a_file_and_replaces_its_metadata_with_if_match,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let data = upload(&app, token, "draft.txt", "text/plain", b"draft").await;
        let id = str_of(&data, "id");
        let path = format!("/api/v1/files/{id}");
        let response = get_file(&app, token, id).await;
        let first_tag = header_of(&response, "etag");
        assert!(
            first_tag.starts_with('"') && first_tag.len() > 2,
            "{first_tag}"
        );

        let response = app
            .patch_if_match(&path, token, &first_tag, json!({"filename": "final.txt"}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let second_tag = header_of(&response, "etag");
        assert_ne!(second_tag, first_tag);
        let changed = json_body(response).await["data"].clone();
        assert_eq!(changed["filename"], json!("final.txt"));
        assert_eq!(changed["sha256"], data["sha256"]);
        assert_eq!(changed["created_at"], data["created_at"]);
        assert_eq!(changed["metadata"], json!({}));

        let response = app
            .put(
                &path,
                Some(token),
                json!({"metadata": {"stage": "final", "n": 2}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let third_tag = header_of(&response, "etag");
        assert_ne!(third_tag, second_tag);
        let changed = json_body(response).await["data"].clone();
        assert_eq!(changed["metadata"], json!({"stage": "final", "n": 2}));
        assert_eq!(changed["filename"], json!("final.txt"));

        // A stale tag changes nothing.
        let response = app
            .patch_if_match(&path, token, &first_tag, json!({"filename": "stale.txt"}))
            .await;
        assert_precondition_failed(response).await;
        let response = app.delete_if_match(&path, token, &second_tag).await;
        assert_precondition_failed(response).await;

        for (body, field) in [
            (json!({"filename": ""}), "filename"),
            (json!({"filename": "   "}), "filename"),
            (json!({"filename": "x".repeat(256)}), "filename"),
            (json!({"metadata": [1, 2]}), "metadata"),
        ] {
            let response = app.patch(&path, Some(token), body).await;
            assert_invalid(response, field).await;
        }
        let call = Call::patch(&path, json!({"filename": "x.txt", "sha256": "0"}));
        app.refused_with(&call, Some(token), INVALID).await;
        let call = Call::patch(&path, json!({"content_type": "text/html"}));
        app.refused_with(&call, Some(token), INVALID).await;
        let now = file_data(&app, token, id).await;
        assert_eq!(now["filename"], json!("final.txt"));
        assert_eq!(now["metadata"], json!({"stage": "final", "n": 2}));
        assert_eq!(now["content_type"], json!("text/plain"));
        // The bytes did not change with the record.
        let response = content(&app, token, id, &[]).await;
        assert!(header_of(&response, "content-disposition").contains("final.txt"));
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"draft");

        // The current tag works; `metadata: null` is refused (send `{}` to clear it).
        let response = app
            .patch_if_match(&path, token, &third_tag, json!({"metadata": null}))
            .await;
        assert_invalid(response, "metadata").await;
        let response = app
            .patch_if_match(&path, token, &third_tag, json!({"metadata": {}}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_body(response).await["data"]["metadata"], json!({}));
    }
);

// ---------------------------------------------------------------------------------------
// 14. DELETE and blob collection
// ---------------------------------------------------------------------------------------

api_test!(
    deleting_a_file_keeps_shared_bytes_until_the_last_record_goes,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let bytes = png();
        let sha = sha256_hex(&bytes);
        let first = upload(&app, token, "one.png", "image/png", &bytes).await;
        let second = upload(&app, &admin.access_token, "two.png", "image/png", &bytes).await;
        assert_ne!(id_of(&first), id_of(&second));
        assert_eq!(first["sha256"], json!(sha));
        assert_eq!(second["sha256"], json!(sha));
        assert_eq!(blobs(&app), vec![blob_path(&app, &sha)]);
        // A preview exists too.
        assert_eq!(
            preview(&app, token, &id_of(&first)).await.status(),
            StatusCode::OK
        );
        assert!(!files_under(&app.files_dir.path().join("previews")).is_empty());

        let response = app
            .delete(&format!("/api/v1/files/{}", id_of(&first)), Some(token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": id_of(&first), "deleted": true})
        );
        for suffix in ["", "/content", "/preview"] {
            let call = Call::get(format!("/api/v1/files/{}{suffix}", id_of(&first)));
            app.refused_with(&call, Some(token), NOT_FOUND).await;
        }
        let call = Call::delete(format!("/api/v1/files/{}", id_of(&first)));
        app.refused_with(&call, Some(token), NOT_FOUND).await;

        // The other record still has its bytes.
        assert_eq!(blobs(&app), vec![blob_path(&app, &sha)]);
        assert_eq!(
            download(&app, &admin.access_token, &id_of(&second)).await,
            bytes
        );
        assert_eq!(
            preview(&app, &admin.access_token, &id_of(&second))
                .await
                .status(),
            StatusCode::OK
        );

        let response = app
            .delete(
                &format!("/api/v1/files/{}", id_of(&second)),
                Some(&admin.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(blobs(&app).is_empty(), "{:?}", blobs(&app));
        assert!(
            files_under(&app.files_dir.path().join("previews")).is_empty(),
            "the preview goes with the bytes"
        );
        assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));

        // The same bytes uploaded again are stored afresh.
        let third = upload(&app, token, "three.png", "image/png", &bytes).await;
        assert_eq!(download(&app, token, &id_of(&third)).await, bytes);
        assert_eq!(blobs(&app), vec![blob_path(&app, &sha)]);
    }
);

// Contract: `GET /files` shows "those of readable threads", and ADMIN users may read every
// thread; `thread_id` names one the ADMIN may read, so its files are listed.
api_test!(
    an_admin_filtering_by_a_thread_they_may_read_sees_its_files,
    |app| async move {
        let c = app.team().await;
        let response = upload_to_thread(
            &app,
            &c.owner.access_token,
            &c.thread,
            "plan.txt",
            "text/plain",
            b"plan",
        )
        .await;
        let id = id_of(&json_body(response).await["data"]);
        let admin = c.admin.access_token.as_str();
        // The ADMIN may read the thread and the file...
        assert_eq!(
            app.get(&format!("/api/v1/threads/{}", c.thread), Some(admin))
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(file_data(&app, admin, &id).await["id"], json!(id));
        // ...so the thread's list of files must not come back empty.
        let listed = list(&app, admin, &format!("?thread_id={}", c.thread)).await;
        assert_eq!(ids(&listed), vec![id]);
    }
);
