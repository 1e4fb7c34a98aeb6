//! Who may do what with a file in a thread, and message attachments.

use super::*;

/// The `Team` owner uploads `bytes` as `plan.png` into the team's thread: the file's `data`.
async fn owners_plan(app: &TestApp, c: &Team, bytes: &[u8]) -> Value {
    let token = &c.owner.access_token;
    let response = upload_to_thread(app, token, &c.thread, "plan.png", "image/png", bytes).await;
    data_of(response, StatusCode::CREATED).await
}

// ---------------------------------------------------------------------------------------
// 10. Threads and access
// ---------------------------------------------------------------------------------------

api_test!(
    owners_and_editors_upload_into_a_thread_and_its_members_read_the_file,
    |app| async move {
        let c = app.team().await;
        let bytes = png();
        let data = owners_plan(&app, &c, &bytes).await;
        assert_eq!(data["thread_id"], json!(c.thread));
        assert_eq!(data["owner_id"], json!(c.owner.id));
        let id = str_of(&data, "id");

        let by_editor = upload_to_thread(
            &app,
            &c.editor.access_token,
            &c.thread,
            "editor.txt",
            "text/plain",
            b"from the editor",
        )
        .await;
        assert_eq!(by_editor.status(), StatusCode::CREATED);
        // The thread can also come after the file.
        let form = Form::new()
            .part(
                "file",
                file_part("late.txt", "text/plain", b"late".to_vec()),
            )
            .text("thread_id", c.thread.clone());
        let late = send_form(&app, &c.editor.access_token, form).await;
        assert_eq!(late.status(), StatusCode::CREATED);
        assert_eq!(json_body(late).await["data"]["thread_id"], json!(c.thread));

        for member in [&c.editor, &c.viewer] {
            let token = member.access_token.as_str();
            assert_eq!(file_data(&app, token, id).await["id"], json!(id));
            assert_eq!(download(&app, token, id).await, bytes);
            let response = preview(&app, token, id).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    }
);

api_test!(
    viewers_may_not_upload_into_a_thread_and_outsiders_do_not_see_it,
    |app| async move {
        let c = app.team().await;
        let before = stored_files(&app);
        let response = upload_to_thread(
            &app,
            &c.viewer.access_token,
            &c.thread,
            "v.txt",
            "text/plain",
            b"viewer bytes",
        )
        .await;
        assert_problem(response, FORBIDDEN).await;
        let response = upload_to_thread(
            &app,
            &c.outsider.access_token,
            &c.thread,
            "o.txt",
            "text/plain",
            b"outsider bytes",
        )
        .await;
        assert_problem(response, NOT_FOUND).await;

        // Same with the thread after the file: the bytes arrive first and are dropped.
        let form = Form::new()
            .part("file", file_part("v.txt", "text/plain", b"viewer".to_vec()))
            .text("thread_id", c.thread.clone());
        let response = send_form(&app, &c.viewer.access_token, form).await;
        assert_problem(response, FORBIDDEN).await;
        let form = Form::new()
            .part(
                "file",
                file_part("o.txt", "text/plain", b"outsider".to_vec()),
            )
            .text("thread_id", c.thread.clone());
        let response = send_form(&app, &c.outsider.access_token, form).await;
        assert_problem(response, NOT_FOUND).await;

        // An unknown thread looks the same as a hidden one.
        let response = upload_to_thread(
            &app,
            &c.owner.access_token,
            "thr_00000000000000000000000000000000",
            "x.txt",
            "text/plain",
            b"x",
        )
        .await;
        assert_problem(response, NOT_FOUND).await;

        // External records follow the same rule.
        let mut body = external(EXTERNAL_URL);
        body["thread_id"] = json!(c.thread);
        let call = Call::post("/api/v1/files", body.clone());
        app.refused_with(&call, Some(&c.viewer.access_token), FORBIDDEN)
            .await;
        let call = Call::post("/api/v1/files", body);
        app.refused_with(&call, Some(&c.outsider.access_token), NOT_FOUND)
            .await;

        assert_eq!(stored_files(&app), before);
        for who in [&c.owner, &c.viewer, &c.outsider] {
            assert!(ids(&list(&app, &who.access_token, "").await).is_empty());
        }
    }
);

api_test!(
    others_get_404_members_get_403_on_changes_and_admins_read_and_delete,
    |app| async move {
        let c = app.team().await;
        let bytes = png();
        let id = id_of(&owners_plan(&app, &c, &bytes).await);
        let path = format!("/api/v1/files/{id}");

        // A stranger learns nothing.
        let stranger = c.outsider.access_token.as_str();
        for suffix in ["", "/content", "/preview"] {
            let call = Call::get(format!("{path}{suffix}"));
            app.refused_with(&call, Some(stranger), NOT_FOUND).await;
        }
        let call = Call::patch(&path, json!({"filename": "mine.png"}));
        app.refused_with(&call, Some(stranger), NOT_FOUND).await;
        let call = Call::put(&path, json!({"filename": "mine.png"}));
        app.refused_with(&call, Some(stranger), NOT_FOUND).await;
        let call = Call::delete(&path);
        app.refused_with(&call, Some(stranger), NOT_FOUND).await;
        // A missing file answers the same.
        let call = Call::get(format!("/api/v1/files/{UNKNOWN_FILE}"));
        app.refused_with(&call, Some(stranger), NOT_FOUND).await;
        let response = app.get("/api/v1/files/not-an-id", Some(stranger)).await;
        assert!(
            response.status() == StatusCode::NOT_FOUND
                || response.status() == StatusCode::BAD_REQUEST,
            "{}",
            response.status()
        );

        // Members read but do not change.
        for member in [&c.editor, &c.viewer] {
            let token = member.access_token.as_str();
            let call = Call::patch(&path, json!({"filename": "theirs.png"}));
            app.refused_with(&call, Some(token), FORBIDDEN).await;
            let call = Call::delete(&path);
            app.refused_with(&call, Some(token), FORBIDDEN).await;
        }
        let unchanged = file_data(&app, &c.owner.access_token, &id).await;
        assert_eq!(unchanged["filename"], json!("plan.png"));

        // ADMIN reads everything, may delete, may not rename.
        let admin = c.admin.access_token.as_str();
        assert_eq!(file_data(&app, admin, &id).await["id"], json!(id));
        assert_eq!(download(&app, admin, &id).await, bytes);
        assert_eq!(preview(&app, admin, &id).await.status(), StatusCode::OK);
        let call = Call::patch(&path, json!({"filename": "admin.png"}));
        app.refused_with(&call, Some(admin), FORBIDDEN).await;
        let response = app.delete(&path, Some(admin)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": id, "deleted": true})
        );
        let response = get_file(&app, &c.owner.access_token, &id).await;
        assert_problem(response, NOT_FOUND).await;
        assert!(blobs(&app).is_empty());
    }
);

api_test!(
    a_private_upload_is_only_the_owners_and_the_admins,
    |app| async move {
        let c = app.team().await;
        let data = upload(
            &app,
            &c.owner.access_token,
            "private.txt",
            "text/plain",
            b"mine",
        )
        .await;
        let id = str_of(&data, "id");
        assert_eq!(data["thread_id"], Value::Null);
        for other in [&c.editor, &c.viewer, &c.outsider] {
            let response = get_file(&app, &other.access_token, id).await;
            assert_problem(response, NOT_FOUND).await;
            let response = content(&app, &other.access_token, id, &[]).await;
            assert_problem(response, NOT_FOUND).await;
        }
        assert_eq!(download(&app, &c.admin.access_token, id).await, b"mine");
    }
);

// ---------------------------------------------------------------------------------------
// 11. Attachments
// ---------------------------------------------------------------------------------------

api_test!(
    attached_files_appear_as_summaries_and_become_readable_by_thread_members,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let image = upload(&app, owner, "chart.png", "image/png", &png()).await;
        let text = upload(&app, owner, "notes.txt", "text/plain", b"notes").await;
        let image_id = str_of(&image, "id");
        let text_id = str_of(&text, "id");

        // Private so far.
        let response = get_file(&app, &c.viewer.access_token, image_id).await;
        assert_problem(response, NOT_FOUND).await;

        // Attachments alone make a message.
        let response = app
            .post_message(
                owner,
                &c.thread,
                json!({"attachments": [image_id, text_id]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let posted = json_body(response).await["data"].clone();
        let attachments = posted["attachments"].as_array().unwrap();
        assert_eq!(attachments.len(), 2);
        assert_eq!(
            attachments[0],
            json!({
                "id": image_id,
                "filename": "chart.png",
                "content_type": "image/png",
                "size_bytes": image["size_bytes"],
                "has_preview": true,
                "download_url": format!("/api/v1/files/{image_id}/content"),
                "preview_url": format!("/api/v1/files/{image_id}/preview"),
            })
        );
        assert_eq!(
            attachments[1],
            json!({
                "id": text_id,
                "filename": "notes.txt",
                "content_type": "text/plain",
                "size_bytes": 5,
                "has_preview": false,
                "download_url": format!("/api/v1/files/{text_id}/content"),
                "preview_url": null,
            })
        );
        let read = app.message(&c.viewer.access_token, &id_of(&posted)).await;
        assert_eq!(read["attachments"], posted["attachments"]);

        // Now the members may read them, and see them listed.
        for member in [&c.viewer, &c.editor] {
            let token = member.access_token.as_str();
            assert_eq!(
                file_data(&app, token, image_id).await["id"],
                json!(image_id)
            );
            assert_eq!(download(&app, token, text_id).await, b"notes");
            assert_eq!(
                preview(&app, token, image_id).await.status(),
                StatusCode::OK
            );
            let listed = set_of(ids(&list(&app, token, "").await));
            assert!(
                listed.contains(image_id) && listed.contains(text_id),
                "{listed:?}"
            );
            let listed = set_of(ids(
                &list(&app, token, &format!("?thread_id={}", c.thread)).await
            ));
            assert!(listed.contains(image_id), "{listed:?}");
        }
        // But not change them.
        let call = Call::patch(
            format!("/api/v1/files/{image_id}"),
            json!({"filename": "x.png"}),
        );
        app.refused_with(&call, Some(&c.editor.access_token), FORBIDDEN)
            .await;
        // Outsiders still see nothing.
        let response = get_file(&app, &c.outsider.access_token, image_id).await;
        assert_problem(response, NOT_FOUND).await;

        // An external file can be attached too.
        let response = app
            .post("/api/v1/files", Some(owner), external(EXTERNAL_URL))
            .await;
        let linked = json_body(response).await["data"].clone();
        let response = app
            .post_message(
                owner,
                &c.thread,
                json!({"content": "see the data", "attachments": [id_of(&linked)]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let posted = json_body(response).await["data"].clone();
        assert_eq!(
            posted["attachments"][0]["download_url"],
            json!(EXTERNAL_URL)
        );
        assert_eq!(posted["attachments"][0]["preview_url"], Value::Null);
    }
);

api_test!(
    attachments_must_be_files_the_author_can_read,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let theirs = upload(
            &app,
            &c.outsider.access_token,
            "secret.txt",
            "text/plain",
            b"s",
        )
        .await;
        let mine = upload(&app, owner, "mine.txt", "text/plain", b"m").await;

        let response = app
            .post_message(
                owner,
                &c.thread,
                json!({"content": "look", "attachments": [id_of(&theirs)]}),
            )
            .await;
        assert_invalid(response, "attachments[0]").await;
        // Still hidden from the would-be author and the thread.
        let response = get_file(&app, owner, &id_of(&theirs)).await;
        assert_problem(response, NOT_FOUND).await;

        let response = app
            .post_message(
                owner,
                &c.thread,
                json!({"attachments": [id_of(&mine), UNKNOWN_FILE]}),
            )
            .await;
        assert_invalid(response, "attachments[1]").await;
        let response = app
            .post_message(owner, &c.thread, json!({"attachments": ["nope"]}))
            .await;
        assert_invalid(response, "attachments[0]").await;
        let response = app
            .post_message(
                owner,
                &c.thread,
                json!({"attachments": [id_of(&mine), id_of(&mine)]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        let mut eleven = Vec::new();
        for i in 0..11 {
            let file = upload(
                &app,
                owner,
                &format!("f{i}.txt"),
                "text/plain",
                format!("{i}").as_bytes(),
            )
            .await;
            eleven.push(id_of(&file));
        }
        let response = app
            .post_message(owner, &c.thread, json!({"attachments": eleven}))
            .await;
        assert_invalid(response, "attachments").await;
        let response = app
            .post_message(owner, &c.thread, json!({"attachments": eleven[..10]}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);

        // No failed post left a message behind.
        let messages = json_body(
            app.get(
                &format!("/api/v1/threads/{}/messages", c.thread),
                Some(owner),
            )
            .await,
        )
        .await;
        assert_eq!(messages["data"].as_array().unwrap().len(), 1);

        // An empty message is still refused.
        let response = app
            .post_message(owner, &c.thread, json!({"attachments": []}))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
);

api_test!(
    deleting_an_attached_file_removes_it_from_its_messages,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let kept = upload(&app, owner, "kept.txt", "text/plain", b"kept").await;
        let gone = upload(&app, owner, "gone.txt", "text/plain", b"gone").await;
        let response = app
            .post_message(
                owner,
                &c.thread,
                json!({"content": "two files", "attachments": [id_of(&gone), id_of(&kept)]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let posted = json_body(response).await["data"].clone();
        let only = app
            .post_message(owner, &c.thread, json!({"attachments": [id_of(&gone)]}))
            .await;
        assert_eq!(only.status(), StatusCode::CREATED);
        let only = json_body(only).await["data"].clone();

        let response = app
            .delete(&format!("/api/v1/files/{}", id_of(&gone)), Some(owner))
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let read = app.message(&c.viewer.access_token, &id_of(&posted)).await;
        let listed: Vec<String> = read["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(listed, vec![id_of(&kept)]);
        let read = app.message(owner, &id_of(&only)).await;
        assert_eq!(read["attachments"], json!([]));
        let listed = json_body(
            app.get(
                &format!("/api/v1/threads/{}/messages", c.thread),
                Some(owner),
            )
            .await,
        )
        .await;
        for m in listed["data"].as_array().unwrap() {
            assert!(!m["attachments"].to_string().contains(&id_of(&gone)), "{m}");
        }
    }
);

api_test!(
    deleting_a_thread_removes_attachment_links_but_keeps_the_files,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let attached = upload(&app, owner, "attached.txt", "text/plain", b"attached").await;
        let response = upload_to_thread(
            &app,
            owner,
            &c.thread,
            "in-thread.txt",
            "text/plain",
            b"in thread",
        )
        .await;
        let in_thread = data_of(response, StatusCode::CREATED).await;
        let response = app
            .post_message(owner, &c.thread, json!({"attachments": [id_of(&attached)]}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            file_data(&app, &c.viewer.access_token, &id_of(&attached)).await["id"],
            json!(id_of(&attached))
        );

        let response = app
            .delete(&format!("/api/v1/threads/{}", c.thread), Some(owner))
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        for (file, bytes) in [
            (&attached, &b"attached"[..]),
            (&in_thread, &b"in thread"[..]),
        ] {
            let id = id_of(file);
            let data = file_data(&app, owner, &id).await;
            assert_eq!(data["thread_id"], Value::Null, "{data}");
            assert_eq!(download(&app, owner, &id).await, bytes);
            // The former members lost their way to it.
            let response = get_file(&app, &c.viewer.access_token, &id).await;
            assert_problem(response, NOT_FOUND).await;
        }
        let listed = set_of(ids(&list(&app, owner, "").await));
        assert_eq!(listed, set(&[&id_of(&attached), &id_of(&in_thread)]));
        assert!(ids(&list(&app, &c.viewer.access_token, "").await).is_empty());
    }
);

api_test!(
    deleting_the_message_takes_away_what_its_attachment_granted,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let file = upload(&app, owner, "shared.txt", "text/plain", b"shared").await;
        let id = id_of(&file);
        let response = app
            .post_message(owner, &c.thread, json!({"attachments": [id]}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let posted = json_body(response).await["data"].clone();
        assert_eq!(download(&app, &c.viewer.access_token, &id).await, b"shared");

        let response = app
            .delete(&format!("/api/v1/messages/{}", id_of(&posted)), Some(owner))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = get_file(&app, &c.viewer.access_token, &id).await;
        assert_problem(response, NOT_FOUND).await;
        assert!(ids(&list(&app, &c.viewer.access_token, "").await).is_empty());
        // The owner keeps the file.
        assert_eq!(download(&app, owner, &id).await, b"shared");
        // A viewer may not attach it anywhere: they cannot post.
        let response = app
            .post_message(
                &c.viewer.access_token,
                &c.thread,
                json!({"attachments": [id]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
);
