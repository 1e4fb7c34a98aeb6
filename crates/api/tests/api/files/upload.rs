//! Uploads: streamed bodies and byte-identical downloads, `MAX_UPLOAD_BYTES`, sniffing and
//! filenames, malformed multipart bodies, cut-off and stalled uploads, and
//! `Idempotency-Key`.

use super::*;

// ---------------------------------------------------------------------------------------
// 1. Upload and download
// ---------------------------------------------------------------------------------------

/// Deterministic bytes for chunk `i` of a big upload: a fixed 1 MiB block with the chunk
/// number written at its start, so no two chunks are equal.
fn big_chunk(block: &Bytes, i: u64) -> Bytes {
    let mut chunk = block.to_vec();
    chunk[..8].copy_from_slice(&i.to_le_bytes());
    Bytes::from(chunk)
}

fn big_block() -> Bytes {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut block = Vec::with_capacity(MIB as usize);
    while block.len() < MIB as usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        block.extend_from_slice(&state.to_le_bytes());
    }
    Bytes::from(block)
}

async fn assert_uploaded(response: Response, bytes_len: u64, sha256: &str) -> Value {
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header_of(&response, "location");
    let data = json_body(response).await["data"].clone();
    let id = str_of(&data, "id").to_owned();
    assert!(id.starts_with("fil_"), "{id}");
    assert_eq!(location, format!("/api/v1/files/{id}"));
    assert_eq!(data["size_bytes"], json!(bytes_len));
    assert_eq!(data["sha256"], json!(sha256));
    assert_eq!(data["status"], json!("ready"));
    assert_eq!(
        data["download_url"],
        json!(format!("/api/v1/files/{id}/content"))
    );
    data
}

api_test!(
    uploads_of_0_bytes_1_byte_and_100_mib_download_byte_identical,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();

        for bytes in [Vec::new(), vec![0x2a_u8]] {
            let response = send_form(
                &app,
                token,
                file_form("small.bin", "application/octet-stream", &bytes),
            )
            .await;
            let data = assert_uploaded(response, bytes.len() as u64, &sha256_hex(&bytes)).await;
            let id = str_of(&data, "id");
            let response = content(&app, token, id, &[]).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                header_of(&response, "content-length"),
                bytes.len().to_string()
            );
            assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);
        }

        // 100 MiB (exactly the default limit), streamed up and hashed while streaming down.
        let block = big_block();
        let chunks = 100_u64;
        let mut expected = Sha256::new();
        for i in 0..chunks {
            expected.update(big_chunk(&block, i));
        }
        let expected = hex(&expected.finalize());
        let body = {
            let block = block.clone();
            Body::wrap_stream(stream::iter(
                (0..chunks).map(move |i| Ok::<_, std::io::Error>(big_chunk(&block, i))),
            ))
        };
        let part = Part::stream_with_length(body, chunks * MIB)
            .file_name("big.bin")
            .mime_str("application/octet-stream")
            .unwrap();
        let response = send_form(&app, token, Form::new().part("file", part)).await;
        let data = assert_uploaded(response, chunks * MIB, &expected).await;
        assert!(blob_path(&app, &expected).is_file());
        assert_eq!(
            std::fs::metadata(blob_path(&app, &expected)).unwrap().len(),
            chunks * MIB
        );

        let response = content(&app, token, str_of(&data, "id"), &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_of(&response, "content-length"),
            (chunks * MIB).to_string()
        );
        let mut downloaded = Sha256::new();
        let mut size = 0_u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.unwrap();
            size += chunk.len() as u64;
            downloaded.update(&chunk);
        }
        assert_eq!(size, chunks * MIB);
        assert_eq!(hex(&downloaded.finalize()), expected);

        // Ranges far into the big file land on the right bytes.
        let id = str_of(&data, "id");
        let last = big_chunk(&block, chunks - 1);
        let response = content(&app, token, id, &[("Range", "bytes=-16")]).await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        let total = chunks * MIB;
        assert_eq!(
            header_of(&response, "content-range"),
            format!("bytes {}-{}/{total}", total - 16, total - 1)
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            last.slice(last.len() - 16..)
        );
        let middle = 50 * MIB;
        let range = format!("bytes={}-{}", middle, middle + 15);
        let response = content(&app, token, id, &[("Range", &range)]).await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            response.bytes().await.unwrap(),
            big_chunk(&block, 50).slice(..16)
        );
    }
);

// ---------------------------------------------------------------------------------------
// 2. MAX_UPLOAD_BYTES
// ---------------------------------------------------------------------------------------

api_test_with!(
    an_upload_over_max_upload_bytes_is_413_and_leaves_nothing_behind,
    &[("MAX_UPLOAD_BYTES", "1024")],
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let fits = vec![b'a'; 1024];
        let data = upload(&app, token, "fits.txt", "text/plain", &fits).await;
        assert_eq!(data["size_bytes"], json!(1024));

        let too_big = vec![b'b'; 1025];
        let response = send_form(&app, token, file_form("big.txt", "text/plain", &too_big)).await;
        let body = assert_problem(response, TOO_LARGE).await;
        assert!(body["error"]["type"]
            .as_str()
            .unwrap()
            .ends_with("payload-too-large"));

        // Only the 1024-byte upload's blob is stored: no partial, no blob of the refused one.
        assert_eq!(
            stored_files(&app),
            vec![blob_path(&app, &sha256_hex(&fits))]
        );
        let listed = list(&app, token, "").await;
        assert_eq!(ids(&listed), vec![id_of(&data)]);
    }
);

// ---------------------------------------------------------------------------------------
// 3. Sniffing, 4. filenames
// ---------------------------------------------------------------------------------------

api_test!(
    the_content_type_is_sniffed_from_the_bytes_and_the_declared_one_kept,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let data = upload(&app, token, "picture", "application/octet-stream", &png()).await;
        assert_eq!(data["content_type"], json!("image/png"));
        assert_eq!(
            data["declared_content_type"],
            json!("application/octet-stream")
        );
        let response = content(&app, token, str_of(&data, "id"), &[]).await;
        assert_eq!(header_of(&response, "content-type"), "image/png");

        let text = upload(&app, token, "notes.txt", "text/plain", b"just words").await;
        assert_eq!(text["content_type"], json!("text/plain"));
        assert_eq!(text["declared_content_type"], json!("text/plain"));
    }
);

api_test!(
    filenames_lose_path_separators_and_control_characters,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();

        let data = upload(&app, token, "../../etc/passwd", "text/plain", b"root").await;
        let name = str_of(&data, "filename");
        assert!(!name.contains('/') && !name.contains('\\'), "{name}");
        assert_eq!(name, ".._.._etc_passwd");
        let response = content(&app, token, str_of(&data, "id"), &[]).await;
        let disposition = header_of(&response, "content-disposition");
        assert!(!disposition.contains('/'), "{disposition}");

        let data = upload(&app, token, "..\\..\\boot.ini", "text/plain", b"boot").await;
        let name = str_of(&data, "filename");
        assert!(!name.contains('/') && !name.contains('\\'), "{name}");

        let data = upload(&app, token, "tab\there.txt", "text/plain", b"tab").await;
        assert_eq!(data["filename"], json!("tabhere.txt"));

        // The same rules apply on rename.
        let response = app
            .patch(
                &format!("/api/v1/files/{}", id_of(&data)),
                Some(token),
                json!({"filename": "bell\u{7}/x.txt"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"]["filename"],
            json!("bell_x.txt")
        );
    }
);

api_test!(
    a_non_ascii_filename_downloads_with_an_rfc_8187_name_and_an_ascii_fallback,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let data = upload(&app, token, "résumé 数据.txt", "text/plain", b"cv").await;
        assert_eq!(data["filename"], json!("résumé 数据.txt"));
        let response = content(&app, token, str_of(&data, "id"), &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = header_of(&response, "content-disposition");
        assert!(disposition.starts_with("inline"), "{disposition}");
        assert!(
            disposition.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%95%B0%E6%8D%AE.txt"),
            "{disposition}"
        );
        let fallback = disposition
            .split("filename=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("an ASCII filename in {disposition}"));
        assert!(
            fallback.is_ascii() && fallback.ends_with(".txt"),
            "{fallback}"
        );
    }
);

// ---------------------------------------------------------------------------------------
// 9. Malformed multipart bodies
// ---------------------------------------------------------------------------------------

fn text_file() -> Part {
    file_part("a.txt", "text/plain", b"some bytes".to_vec())
}

api_test!(
    malformed_uploads_are_400_and_keep_no_bytes,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();

        let no_file = Form::new().text("metadata", "{}");
        assert_invalid(send_form(&app, token, no_file).await, "file").await;

        let unknown_after = Form::new().part("file", text_file()).text("colour", "red");
        assert_invalid(send_form(&app, token, unknown_after).await, "colour").await;
        let unknown_before = Form::new().text("colour", "red").part("file", text_file());
        assert_invalid(send_form(&app, token, unknown_before).await, "colour").await;

        let two_files = Form::new().part("file", text_file()).part(
            "file",
            file_part("b.txt", "text/plain", b"other bytes".to_vec()),
        );
        assert_invalid(send_form(&app, token, two_files).await, "file").await;

        for metadata in ["[1, 2]", "not json", "\"text\"", "42"] {
            let form = Form::new()
                .part("file", text_file())
                .text("metadata", metadata);
            assert_invalid(send_form(&app, token, form).await, "metadata").await;
            let form = Form::new()
                .text("metadata", metadata)
                .part("file", text_file());
            assert_invalid(send_form(&app, token, form).await, "metadata").await;
        }

        // A field sent twice is refused, not silently overwritten.
        let twice = Form::new()
            .text("metadata", "{}")
            .text("metadata", "{}")
            .part("file", text_file());
        assert_invalid(send_form(&app, token, twice).await, "metadata").await;
        let twice = Form::new()
            .part("file", text_file())
            .text("thread_id", "thr_00000000000000000000000000000000")
            .text("thread_id", "thr_00000000000000000000000000000000");
        assert_invalid(send_form(&app, token, twice).await, "thread_id").await;

        for thread_id in ["nope", "thr_", "usr_00000000000000000000000000000000"] {
            let form = Form::new()
                .part("file", text_file())
                .text("thread_id", thread_id);
            assert_invalid(send_form(&app, token, form).await, "thread_id").await;
            let form = Form::new()
                .text("thread_id", thread_id)
                .part("file", text_file());
            assert_invalid(send_form(&app, token, form).await, "thread_id").await;
        }

        // Multipart without a boundary.
        let response = app
            .post_raw(
                "/api/v1/files",
                Some(token),
                "multipart/form-data",
                "--x\r\n\r\n--x--\r\n",
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        // Another multipart flavour is not an upload.
        let response = app
            .post_raw(
                "/api/v1/files",
                Some(token),
                "multipart/mixed; boundary=x",
                "--x\r\n\r\n--x--\r\n",
            )
            .await;
        assert_problem(response, UNSUPPORTED_MEDIA_TYPE).await;
        // A body that is not multipart at all, though it says so.
        let response = app
            .post_raw(
                "/api/v1/files",
                Some(token),
                "multipart/form-data; boundary=xyz",
                "garbage without boundaries",
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        assert!(ids(&list(&app, token, "").await).is_empty());
        assert_eq!(stored_files(&app), Vec::<PathBuf>::new());

        // And a good one still works afterwards.
        let form = Form::new()
            .text("metadata", "{\"source\": \"test\"}")
            .part("file", text_file());
        let response = send_form(&app, token, form).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["metadata"], json!({"source": "test"}));
        assert_eq!(data["filename"], json!("a.txt"));
        assert_eq!(data["thread_id"], Value::Null);
    }
);

api_test!(
    an_upload_names_every_unknown_part_and_a_missing_file,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let cases = [
            (
                Form::new().text("colour", "red").text("size", "L"),
                vec!["colour", "file", "size"],
            ),
            (
                Form::new().text("colour", "red").part("file", text_file()),
                vec!["colour"],
            ),
            (
                Form::new().part("file", text_file()).text("colour", "red"),
                vec!["colour"],
            ),
        ];
        for (form, expected) in cases {
            let errors = validation_errors(send_form(&app, token, form).await).await;
            let mut fields: Vec<&str> = errors
                .as_object()
                .expect("errors")
                .keys()
                .map(String::as_str)
                .collect();
            fields.sort_unstable();
            assert_eq!(fields, expected, "{errors}");
        }
        assert!(ids(&list(&app, token, "").await).is_empty());
        assert_eq!(stored_files(&app), Vec::<PathBuf>::new());
    }
);

api_test!(uploads_need_credentials, |app| async move {
    let response = app
        .client
        .post(app.url("/api/v1/files"))
        .multipart(Form::new().part("file", text_file()))
        .send()
        .await
        .unwrap();
    assert_problem(response, UNAUTHORIZED).await;
    assert!(stored_files(&app).is_empty());
});

// ---------------------------------------------------------------------------------------
// 15. Idempotency-Key on uploads
// ---------------------------------------------------------------------------------------

async fn upload_with_key(app: &TestApp, token: &str, key: &str, bytes: &[u8]) -> Response {
    app.client
        .post(app.url("/api/v1/files"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .multipart(file_form("retry.bin", "application/octet-stream", bytes))
        .send()
        .await
        .unwrap()
}

api_test!(
    a_retried_upload_with_the_same_key_is_replayed_and_other_bytes_conflict,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let first = upload_with_key(&app, token, "upload-1", b"the same bytes").await;
        assert_eq!(first.status(), StatusCode::CREATED);
        assert!(header_of(&first, "idempotent-replayed").is_empty());
        let location = header_of(&first, "location");
        let first = json_body(first).await;

        let again = upload_with_key(&app, token, "upload-1", b"the same bytes").await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(header_of(&again, "idempotent-replayed"), "true");
        assert_eq!(header_of(&again, "location"), location);
        let again = json_body(again).await;
        assert_eq!(again["data"], first["data"]);

        let other = upload_with_key(&app, token, "upload-1", b"different bytes").await;
        assert_problem(other, CONFLICT).await;

        let listed = list(&app, token, "").await;
        assert_eq!(ids(&listed), vec![id_of(&first["data"])]);
        assert_eq!(
            stored_files(&app),
            vec![blob_path(&app, &sha256_hex(b"the same bytes"))]
        );

        // Another key is another upload.
        let fresh = upload_with_key(&app, token, "upload-2", b"the same bytes").await;
        assert_eq!(fresh.status(), StatusCode::CREATED);
        let fresh = json_body(fresh).await;
        assert_ne!(fresh["data"]["id"], first["data"]["id"]);
        assert_eq!(ids(&list(&app, token, "").await).len(), 2);
    }
);

// ---------------------------------------------------------------------------------------
// More upload edges
// ---------------------------------------------------------------------------------------

api_test_with!(
    a_much_bigger_upload_is_answered_413_while_it_streams,
    &[("MAX_UPLOAD_BYTES", "1024")],
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let too_big = vec![b'c'; 8 * MIB as usize];
        let response = send_form(&app, token, file_form("huge.txt", "text/plain", &too_big)).await;
        assert_problem(response, TOO_LARGE).await;
        assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
        assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
    }
);

/// Polls until `check` holds, for up to five seconds.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..50 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check()
}

/// Connects to the app at `address` and sends the head of a 10 MB upload of `filename`
/// as `token`: the test then sends part of the body and stalls or hangs up.
fn start_raw_upload(address: &str, token: &str, filename: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST /api/v1/files HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\n\
         Content-Length: 10000000\r\n\r\n\
         --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

api_test!(
    an_upload_cut_off_mid_stream_leaves_no_bytes_behind,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let address = app.address.trim_start_matches("http://").to_owned();
        let token = user.access_token.clone();
        let root = app.files_dir.path().to_path_buf();
        let written = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut stream = start_raw_upload(&address, &token, "cut.bin");
            // More than one storage part (1 MiB), then the client goes away.
            stream.write_all(&vec![7_u8; 3 * MIB as usize]).unwrap();
            stream.flush().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            let written = files_under(&root);
            stream.shutdown(std::net::Shutdown::Both).unwrap();
            written
        })
        .await
        .unwrap();
        // The bytes were being written under a temporary name...
        assert!(!written.is_empty(), "nothing was written while streaming");
        assert!(written
            .iter()
            .all(|p| !p.starts_with(app.files_dir.path().join("blobs"))));
        // ...and they go once the client is gone.
        assert!(
            eventually(|| stored_files(&app).is_empty()).await,
            "left behind: {:?}",
            stored_files(&app)
        );
        assert!(ids(&list(&app, &user.access_token, "").await).is_empty());
        assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
    }
);

api_test_with!(
    an_upload_that_stalls_is_given_up_with_408_and_leaves_no_bytes_behind,
    &[("UPLOAD_IDLE_TIMEOUT_SECONDS", "1")],
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let address = app.address.trim_start_matches("http://").to_owned();
        let token = user.access_token.clone();
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = start_raw_upload(&address, &token, "slow.bin");
            stream.write_all(&[7_u8; 100_000]).unwrap();
            stream.flush().unwrap();
            // Then nothing more, with the connection kept open.
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut answer = vec![0_u8; 4096];
            let read = stream.read(&mut answer).unwrap();
            String::from_utf8_lossy(&answer[..read]).into_owned()
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.contains("no bytes of the request body arrived for 1 s"),
            "{answer}"
        );
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
        assert!(
            eventually(|| stored_files(&app).is_empty()).await,
            "left behind: {:?}",
            stored_files(&app)
        );
    }
);

api_test!(
    concurrent_uploads_of_the_same_bytes_share_one_blob,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let bytes = vec![9_u8; 300_000];
        let uploads = (0..6).map(|i| {
            send_form(
                &app,
                token,
                file_form(&format!("copy{i}.bin"), "application/octet-stream", &bytes),
            )
        });
        let responses = futures_util::future::join_all(uploads).await;
        let mut created = Vec::new();
        for response in responses {
            assert_eq!(response.status(), StatusCode::CREATED);
            created.push(id_of(&json_body(response).await["data"]));
        }
        assert_eq!(set_of(created.clone()).len(), 6);
        assert_eq!(blobs(&app), vec![blob_path(&app, &sha256_hex(&bytes))]);
        // Deleting some while others upload the same bytes again never loses them.
        let paths: Vec<String> = created[..3]
            .iter()
            .map(|id| format!("/api/v1/files/{id}"))
            .collect();
        let deletes = paths.iter().map(|path| app.delete(path, Some(token)));
        let again = (0..3).map(|i| {
            send_form(
                &app,
                token,
                file_form(&format!("again{i}.bin"), "application/octet-stream", &bytes),
            )
        });
        let (deleted, uploaded) = futures_util::future::join(
            futures_util::future::join_all(deletes),
            futures_util::future::join_all(again),
        )
        .await;
        for response in deleted {
            assert_eq!(response.status(), StatusCode::OK);
        }
        for response in uploaded {
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        let listed = ids(&list(&app, token, "").await);
        assert_eq!(listed.len(), 6);
        for id in &listed {
            assert_eq!(download(&app, token, id).await, bytes);
        }
    }
);

api_test!(
    a_part_without_a_name_or_type_becomes_an_octet_stream_called_upload,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let form = Form::new().part("file", Part::bytes(b"anonymous".to_vec()));
        let response = send_form(&app, token, form).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["filename"], json!("upload"));
        assert_eq!(
            data["declared_content_type"],
            json!("application/octet-stream")
        );
        assert_eq!(download(&app, token, &id_of(&data)).await, b"anonymous");

        // Quotes never break out of the header's filename.
        let data = upload(&app, token, "say \"hi\".txt", "text/plain", b"hi").await;
        assert_eq!(data["filename"], json!("say \"hi\".txt"));
        let response = content(&app, token, &id_of(&data), &[]).await;
        let disposition = header_of(&response, "content-disposition");
        assert!(
            disposition.starts_with("inline; filename=\""),
            "{disposition}"
        );
        let quoted = disposition.trim_start_matches("inline; filename=\"");
        let name_end = quoted
            .char_indices()
            .scan(false, |escaped, (i, c)| {
                let end = !*escaped && c == '"';
                *escaped = !*escaped && c == '\\';
                Some((i, end))
            })
            .find(|(_, end)| *end)
            .map(|(i, _)| i)
            .unwrap();
        let rest = &quoted[name_end + 1..];
        assert!(
            rest.is_empty() || rest.starts_with("; filename*="),
            "{disposition}"
        );

        // Metadata is a bounded JSON object.
        let big = format!("{{\"blob\": \"{}\"}}", "x".repeat(20 * 1024));
        let form = Form::new()
            .text("metadata", big)
            .part("file", file_part("m.txt", "text/plain", b"m".to_vec()));
        assert_invalid(send_form(&app, token, form).await, "metadata").await;
        let huge = format!("{{\"blob\": \"{}\"}}", "x".repeat(100 * 1024));
        let form = Form::new()
            .text("metadata", huge)
            .part("file", file_part("m.txt", "text/plain", b"m".to_vec()));
        assert_invalid(send_form(&app, token, form).await, "metadata").await;
        assert_eq!(ids(&list(&app, token, "").await).len(), 2);
    }
);

api_test!(
    a_failed_upload_releases_its_idempotency_key_and_external_creates_replay,
    |app| async move {
        let c = app.team().await;
        let viewer = c.viewer.access_token.as_str();
        // A viewer's upload into the thread fails; the key stays usable.
        let form = Form::new()
            .part("file", file_part("v.txt", "text/plain", b"v".to_vec()))
            .text("thread_id", c.thread.clone());
        let response = app
            .client
            .post(app.url("/api/v1/files"))
            .bearer_auth(viewer)
            .header("idempotency-key", "k-1")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_problem(response, FORBIDDEN).await;
        let response = upload_with_key(&app, viewer, "k-1", b"v").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert!(header_of(&response, "idempotent-replayed").is_empty());

        let create = |key: &'static str| {
            app.client
                .post(app.url("/api/v1/files"))
                .bearer_auth(viewer)
                .header("idempotency-key", key)
                .json(&external(EXTERNAL_URL))
                .send()
        };
        let first = create("ext-1").await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first = json_body(first).await;
        let second = create("ext-1").await.unwrap();
        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(header_of(&second, "idempotent-replayed"), "true");
        assert_eq!(json_body(second).await["data"], first["data"]);
        assert_eq!(ids(&list(&app, viewer, "").await).len(), 2);
    }
);
