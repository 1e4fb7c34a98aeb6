//! External files: records of bytes stored elsewhere.

use super::*;

// ---------------------------------------------------------------------------------------
// 8. External files
// ---------------------------------------------------------------------------------------

api_test!(
    an_external_file_is_recorded_and_its_content_redirects_to_the_link,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let response = app
            .post("/api/v1/files", Some(token), external(EXTERNAL_URL))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = header_of(&response, "location");
        let data = json_body(response).await["data"].clone();
        let id = str_of(&data, "id");
        assert_eq!(location, format!("/api/v1/files/{id}"));
        assert_eq!(data["status"], json!("external"));
        assert_eq!(data["download_url"], json!(EXTERNAL_URL));
        assert_eq!(data["sha256"], Value::Null);
        assert_eq!(data["size_bytes"], json!(123_456));
        assert_eq!(data["content_type"], json!("text/csv"));
        assert_eq!(data["filename"], json!("q3.csv"));
        assert_eq!(data["has_preview"], json!(false));
        assert_eq!(data["owner_id"], json!(user.id));

        let response = content(&app, token, id, &[]).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(header_of(&response, "location"), EXTERNAL_URL);
        assert_problem(preview(&app, token, id).await, NOT_FOUND).await;
        assert_eq!(
            file_data(&app, token, id).await["status"],
            json!("external")
        );
        assert!(stored_files(&app).is_empty());
    }
);

api_test!(
    external_files_take_only_http_links_and_known_fields,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        for url in [
            "javascript:alert(1)",
            "ftp://x",
            "file:///etc/passwd",
            "/relative",
        ] {
            let response = app.post("/api/v1/files", Some(token), external(url)).await;
            assert_invalid(response, "url").await;
        }
        let mut unknown = external(EXTERNAL_URL);
        unknown["colour"] = json!("red");
        let call = Call::post("/api/v1/files", unknown);
        app.refused_with(&call, Some(token), INVALID).await;

        let mut negative = external(EXTERNAL_URL);
        negative["size_bytes"] = json!(-1);
        assert_invalid(
            app.post("/api/v1/files", Some(token), negative).await,
            "size_bytes",
        )
        .await;

        let mut empty_name = external(EXTERNAL_URL);
        empty_name["filename"] = json!("");
        assert_invalid(
            app.post("/api/v1/files", Some(token), empty_name).await,
            "filename",
        )
        .await;

        let response = app
            .post_raw("/api/v1/files", Some(token), "text/plain", "hello")
            .await;
        assert_problem(response, UNSUPPORTED_MEDIA_TYPE).await;
        let response = app
            .post_raw("/api/v1/files", Some(token), "application/json", "[1, 2]")
            .await;
        assert_problem(response, INVALID).await;

        assert!(ids(&list(&app, token, "").await).is_empty());
    }
);
