//! Downloads: validators and ranges, and active content served so that it cannot run.

use super::*;

// ---------------------------------------------------------------------------------------
// 5. Download: validators and ranges
// ---------------------------------------------------------------------------------------

api_test!(
    downloads_honour_etags_ranges_and_if_range,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let bytes = b"0123456789";
        let data = upload(&app, token, "digits.txt", "text/plain", bytes).await;
        let id = str_of(&data, "id");
        let etag = format!("\"{}\"", sha256_hex(bytes));

        let full = content(&app, token, id, &[]).await;
        assert_eq!(full.status(), StatusCode::OK);
        assert_eq!(header_of(&full, "etag"), etag);
        assert_eq!(header_of(&full, "x-content-type-options"), "nosniff");
        assert_eq!(header_of(&full, "accept-ranges"), "bytes");
        assert_eq!(header_of(&full, "content-length"), "10");
        assert!(header_of(&full, "content-type").starts_with("text/plain"));
        assert_eq!(full.bytes().await.unwrap().as_ref(), bytes);

        let unchanged = content(&app, token, id, &[("If-None-Match", &etag)]).await;
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header_of(&unchanged, "etag"), etag);
        assert!(unchanged.bytes().await.unwrap().is_empty());
        let other_tag = content(&app, token, id, &[("If-None-Match", "\"other\"")]).await;
        assert_eq!(other_tag.status(), StatusCode::OK);

        for (range, content_range, expected) in [
            ("bytes=0-0", "bytes 0-0/10", &b"0"[..]),
            ("bytes=-3", "bytes 7-9/10", &b"789"[..]),
            ("bytes=5-", "bytes 5-9/10", &b"56789"[..]),
            ("bytes=2-4", "bytes 2-4/10", &b"234"[..]),
            ("bytes=8-100", "bytes 8-9/10", &b"89"[..]),
        ] {
            let response = content(&app, token, id, &[("Range", range)]).await;
            assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
            assert_eq!(
                header_of(&response, "content-range"),
                content_range,
                "{range}"
            );
            assert_eq!(
                header_of(&response, "content-length"),
                expected.len().to_string(),
                "{range}"
            );
            assert_eq!(header_of(&response, "etag"), etag);
            assert_eq!(
                response.bytes().await.unwrap().as_ref(),
                expected,
                "{range}"
            );
        }

        let outside = content(&app, token, id, &[("Range", "bytes=10-20")]).await;
        assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(header_of(&outside, "content-range"), "bytes */10");

        let two = content(&app, token, id, &[("Range", "bytes=0-1,4-5")]).await;
        assert_eq!(two.status(), StatusCode::OK);
        assert_eq!(two.bytes().await.unwrap().as_ref(), bytes);

        let stale = content(
            &app,
            token,
            id,
            &[("Range", "bytes=0-0"), ("If-Range", "\"stale\"")],
        )
        .await;
        assert_eq!(stale.status(), StatusCode::OK);
        assert!(header_of(&stale, "content-range").is_empty());
        assert_eq!(stale.bytes().await.unwrap().as_ref(), bytes);

        let current = content(
            &app,
            token,
            id,
            &[("Range", "bytes=0-0"), ("If-Range", &etag)],
        )
        .await;
        assert_eq!(current.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(current.bytes().await.unwrap().as_ref(), b"0");
    }
);

api_test!(
    head_tells_size_type_and_etag_without_the_bytes,
    |app| async move {
        let c = app.team().await;
        let owner = c.owner.access_token.as_str();
        let bytes = b"0123456789abcdef";
        let data = upload(&app, owner, "digits.txt", "text/plain", bytes).await;
        let path = format!("/api/v1/files/{}/content", str_of(&data, "id"));
        let head = |token: Option<String>, range: Option<&'static str>| {
            let mut request = app.client.head(app.url(&path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(range) = range {
                request = request.header("Range", range);
            }
            request.send()
        };

        let whole = head(Some(owner.to_owned()), None).await.unwrap();
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(header_of(&whole, "content-length"), "16");
        assert!(header_of(&whole, "content-type").starts_with("text/plain"));
        assert_eq!(
            header_of(&whole, "etag"),
            format!("\"{}\"", sha256_hex(bytes))
        );
        assert_eq!(header_of(&whole, "accept-ranges"), "bytes");
        assert!(whole.bytes().await.unwrap().is_empty());

        let part = head(Some(owner.to_owned()), Some("bytes=4-7"))
            .await
            .unwrap();
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(header_of(&part, "content-length"), "4");
        assert_eq!(header_of(&part, "content-range"), "bytes 4-7/16");

        let outside = head(Some(owner.to_owned()), Some("bytes=99-"))
            .await
            .unwrap();
        assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        // Another user learns nothing, not even the size; no credentials is 401.
        let stranger = head(Some(c.outsider.access_token.clone()), None)
            .await
            .unwrap();
        assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            head(None, None).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
);

api_test!(
    any_range_of_an_empty_file_is_not_satisfiable,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let data = upload(&app, token, "empty", "application/octet-stream", b"").await;
        let response = content(&app, token, str_of(&data, "id"), &[("Range", "bytes=0-0")]).await;
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(header_of(&response, "content-range"), "bytes */0");
    }
);

// ---------------------------------------------------------------------------------------
// 6. Active content
// ---------------------------------------------------------------------------------------

const PAGE: &[u8] =
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";

api_test!(
    html_svg_and_disguised_html_download_as_sandboxed_attachments,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        for (name, declared, bytes) in [
            ("page.html", "text/html", PAGE),
            ("drawing.svg", "image/svg+xml", SVG),
            ("innocent.png", "image/png", PAGE),
            // Browsers sniff text too: bytes that open like HTML are HTML.
            ("notes.txt", "text/plain", b"<b>bold</b> words".as_slice()),
            (
                "data.xml",
                "application/xml",
                b"<?xml version=\"1.0\"?><a/>".as_slice(),
            ),
            // Every JavaScript type of the WHATWG list, not only the common ones.
            ("legacy.js", "text/x-javascript", b"alert(1)".as_slice()),
            ("old.js", "text/jscript", b"alert(1)".as_slice()),
        ] {
            let data = upload(&app, token, name, declared, bytes).await;
            assert_eq!(data["has_preview"], json!(false), "{name}");
            let response = content(&app, token, str_of(&data, "id"), &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            let disposition = header_of(&response, "content-disposition");
            assert!(
                disposition.starts_with("attachment"),
                "{name}: {disposition}"
            );
            assert!(disposition.contains(name), "{name}: {disposition}");
            let csp = header_of(&response, "content-security-policy");
            assert!(csp.contains("sandbox"), "{name}: CSP {csp:?}");
            assert_eq!(header_of(&response, "x-content-type-options"), "nosniff");
            // Opaque bytes: neither rendered nor runnable as a script.
            assert_eq!(
                header_of(&response, "content-type"),
                "application/octet-stream",
                "{name}"
            );
            assert_eq!(response.bytes().await.unwrap().as_ref(), bytes);
        }
        // HTML declared as PNG is served as what it is, never as an image.
        let disguised = upload(&app, token, "again.png", "image/png", PAGE).await;
        assert_ne!(disguised["content_type"], json!("image/png"));

        let text = upload(
            &app,
            token,
            "notes.txt",
            "text/plain",
            b"just some plain words",
        )
        .await;
        let response = content(&app, token, str_of(&text, "id"), &[]).await;
        let disposition = header_of(&response, "content-disposition");
        assert!(disposition.starts_with("inline"), "{disposition}");
        assert!(disposition.contains("notes.txt"), "{disposition}");
        assert_eq!(header_of(&response, "x-content-type-options"), "nosniff");
    }
);
