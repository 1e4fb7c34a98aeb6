//! Files (contract section 6): streamed uploads and byte-identical downloads, the size
//! limit, sniffing, filenames, ranges and validators, active content, previews (and a
//! decompression bomb), external files, malformed multipart bodies, who may do what,
//! message attachments, listing and paging, changes, deletion and blob collection, and
//! `Idempotency-Key` on uploads.

use std::{
    collections::BTreeSet,
    io::Cursor,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::{
    header,
    multipart::{Form, Part},
    Body, Method, Response, StatusCode,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{
    helpers::{assert_problem, json_body, TestApp},
    messages::{cast, id_of, message, new_thread, post_message},
};

const UNKNOWN_FILE: &str = "fil_00000000000000000000000000000000";
const MIB: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A `file` part with a name and a declared type.
fn file_part(filename: &str, content_type: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name(filename.to_owned())
        .mime_str(content_type)
        .unwrap()
}

fn file_form(filename: &str, content_type: &str, bytes: &[u8]) -> Form {
    Form::new().part("file", file_part(filename, content_type, bytes.to_vec()))
}

/// `POST /files` with a multipart body.
async fn send_form(app: &TestApp, token: &str, form: Form) -> Response {
    app.client
        .post(app.url("/api/v1/files"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads `bytes` and returns the new file's `data`, after checking the 201.
async fn upload(
    app: &TestApp,
    token: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Value {
    let response = send_form(app, token, file_form(filename, content_type, bytes)).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "uploading {filename}"
    );
    json_body(response).await["data"].clone()
}

/// Uploads into a thread (`thread_id` first, so the server can refuse before the bytes).
async fn upload_to_thread(
    app: &TestApp,
    token: &str,
    thread: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Response {
    let form = Form::new()
        .text("thread_id", thread.to_owned())
        .part("file", file_part(filename, content_type, bytes.to_vec()));
    send_form(app, token, form).await
}

async fn get_file(app: &TestApp, token: &str, id: &str) -> Response {
    app.get(&format!("/api/v1/files/{id}"), Some(token)).await
}

/// `GET /files/{id}` data, after checking the 200.
async fn file_data(app: &TestApp, token: &str, id: &str) -> Value {
    let response = get_file(app, token, id).await;
    assert_eq!(response.status(), StatusCode::OK, "reading file {id}");
    json_body(response).await["data"].clone()
}

/// `GET /files/{id}/content` with extra request headers.
async fn content(app: &TestApp, token: &str, id: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = app
        .client
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The whole body of a 200 download.
async fn download(app: &TestApp, token: &str, id: &str) -> Vec<u8> {
    let response = content(app, token, id, &[]).await;
    assert_eq!(response.status(), StatusCode::OK, "downloading {id}");
    response.bytes().await.unwrap().to_vec()
}

async fn preview(app: &TestApp, token: &str, id: &str) -> Response {
    app.get(&format!("/api/v1/files/{id}/preview"), Some(token))
        .await
}

/// Sends JSON with an optional `If-Match`.
async fn send_json(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(tag) = if_match {
        request = request.header(header::IF_MATCH, tag);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// A response header as text; empty when absent.
fn header_of(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string in {value}"))
}

/// Every regular file under `dir`, recursively (missing directories have none).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Everything the app's storage holds.
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    files_under(app.files_dir.path())
}

/// The stored blobs (`blobs/xx/<sha256>`).
fn blobs(app: &TestApp) -> Vec<PathBuf> {
    files_under(&app.files_dir.path().join("blobs"))
}

fn blob_path(app: &TestApp, sha256: &str) -> PathBuf {
    app.files_dir
        .path()
        .join("blobs")
        .join(&sha256[..2])
        .join(sha256)
}

/// The `errors` of a validation problem, after checking it is one.
async fn validation_errors(response: Response) -> Value {
    let body = assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
    body["error"]["errors"].clone()
}

/// Asserts a 400 naming `field` in `errors`.
async fn assert_invalid(response: Response, field: &str) {
    let errors = validation_errors(response).await;
    assert!(
        errors.get(field).is_some(),
        "errors {errors} should name {field}"
    );
}

/// A 1024x512 picture with few colours (GIF encodes it without quantising).
fn picture(format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(1024, 512, |x, y| {
        Rgb([if x < 512 { 200 } else { 20 }, (y / 64 * 30) as u8, 100])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

fn png() -> Vec<u8> {
    picture(ImageFormat::Png)
}

/// The ids of a list response's `data`.
fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(id_of)
        .collect()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/files{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "listing files{query}");
    json_body(response).await
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn set_of(ids: Vec<String>) -> BTreeSet<String> {
    ids.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// A decompression bomb: a valid PNG claiming 50,000 x 50,000 pixels in about 2 MB
// ---------------------------------------------------------------------------------------

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Deflate bits, least significant first; Huffman codes most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl BitWriter {
    fn bits(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += count;
        while self.count >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.count -= 8;
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        let reversed = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
        self.bits(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A zlib stream of `n` zero bytes: one fixed-Huffman block of a literal 0 followed by
/// copies of length 258 at distance 1 (13 bits per 258 bytes).
fn zlib_zeros(n: u64) -> Vec<u8> {
    const LITERAL_ZERO: u32 = 0b0011_0000; // 8 bits
    const LENGTH_258: u32 = 0b1100_0101; // code 285, 8 bits, no extra bits
    let mut bits = BitWriter::default();
    bits.bits(1, 1); // BFINAL
    bits.bits(1, 2); // BTYPE = fixed Huffman
    bits.code(LITERAL_ZERO, 8);
    let mut left = n - 1;
    while left >= 258 {
        bits.code(LENGTH_258, 8);
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(LITERAL_ZERO, 8);
    }
    bits.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    // Adler-32 of zeros: a stays 1, b adds 1 per byte.
    let adler = (((n % 65_521) as u32) << 16) | 1;
    zlib.extend(adler.to_be_bytes());
    zlib
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&checked);
    out.extend(crc32(&checked).to_be_bytes());
}

/// A black 1-bit greyscale PNG of `side` x `side` pixels.
fn bomb_png(side: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([1, 0, 0, 0, 0]); // bit depth 1, greyscale, deflate, adaptive, no interlace
    png_chunk(&mut png, b"IHDR", &ihdr);
    let row = 1 + u64::from(side).div_ceil(8); // filter byte + packed pixels
    png_chunk(&mut png, b"IDAT", &zlib_zeros(row * u64::from(side)));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn the_hand_made_png_is_valid() {
    // A small one decodes, so the big one is a real PNG and not just a broken file.
    let small = bomb_png(300);
    let decoded = image::load_from_memory_with_format(&small, ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (300, 300));
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}

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
    |app: TestApp| async move {
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
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let fits = vec![b'a'; 1024];
        let data = upload(&app, token, "fits.txt", "text/plain", &fits).await;
        assert_eq!(data["size_bytes"], json!(1024));

        let too_big = vec![b'b'; 1025];
        let response = send_form(&app, token, file_form("big.txt", "text/plain", &too_big)).await;
        let body =
            assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
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
    |app: TestApp| async move {
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
    |app: TestApp| async move {
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
    |app: TestApp| async move {
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
// 5. Download: validators and ranges
// ---------------------------------------------------------------------------------------

api_test!(
    downloads_honour_etags_ranges_and_if_range,
    |app: TestApp| async move {
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
    |app: TestApp| async move {
        let c = cast(&app).await;
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
    |app: TestApp| async move {
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
    |app: TestApp| async move {
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

// ---------------------------------------------------------------------------------------
// 7. Previews
// ---------------------------------------------------------------------------------------

async fn assert_previewed(app: &TestApp, format: ImageFormat, declared: &str, thumbnail: &str) {
    let (_, user) = app.admin_and_user().await;
    let token = user.access_token.as_str();
    let bytes = picture(format);
    let data = upload(app, token, "picture", declared, &bytes).await;
    let id = str_of(&data, "id");
    assert_eq!(data["content_type"], json!(declared));
    assert_eq!(data["has_preview"], json!(true));
    assert_eq!(
        data["preview_url"],
        json!(format!("/api/v1/files/{id}/preview"))
    );

    let mut first = Vec::new();
    for attempt in 0..2 {
        let response = preview(app, token, id).await;
        assert_eq!(response.status(), StatusCode::OK, "preview {attempt}");
        assert_eq!(header_of(&response, "content-type"), thumbnail);
        let body = response.bytes().await.unwrap().to_vec();
        let decoded = image::load_from_memory(&body).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (512, 256));
        if attempt == 0 {
            first = body;
        } else {
            assert_eq!(body, first, "the kept thumbnail is served again");
        }
    }
    // The thumbnail is kept beside the blob.
    assert!(files_under(&app.files_dir.path().join("previews"))
        .iter()
        .any(|p| p.ends_with(str_of(&data, "sha256"))));
    let again = file_data(app, token, id).await;
    assert_eq!(again["has_preview"], json!(true));
}

api_test!(
    a_jpeg_gets_a_512_px_jpeg_preview,
    |app: TestApp| async move {
        assert_previewed(&app, ImageFormat::Jpeg, "image/jpeg", "image/jpeg").await;
    }
);

api_test!(a_png_gets_a_512_px_png_preview, |app: TestApp| async move {
    assert_previewed(&app, ImageFormat::Png, "image/png", "image/png").await;
});

api_test!(a_gif_gets_a_512_px_png_preview, |app: TestApp| async move {
    assert_previewed(&app, ImageFormat::Gif, "image/gif", "image/png").await;
});

api_test!(
    a_webp_gets_a_512_px_png_preview,
    |app: TestApp| async move {
        assert_previewed(&app, ImageFormat::WebP, "image/webp", "image/png").await;
    }
);

api_test!(
    a_small_image_is_previewed_at_its_own_size,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::new(40, 30))
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        let data = upload(&app, token, "tiny.png", "image/png", &bytes).await;
        let response = preview(&app, token, str_of(&data, "id")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let decoded = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (40, 30));
    }
);

api_test!(
    files_that_are_not_images_have_no_preview,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let text = upload(&app, token, "notes.txt", "text/plain", b"words").await;
        assert_eq!(text["has_preview"], json!(false));
        assert_eq!(text["preview_url"], Value::Null);
        assert_problem(
            preview(&app, token, str_of(&text, "id")).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;

        // A declared image type is not enough: the bytes decide.
        let fake = upload(&app, token, "fake.png", "image/png", b"not really a png").await;
        assert_eq!(fake["has_preview"], json!(false));
        assert_problem(
            preview(&app, token, str_of(&fake, "id")).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;

        // A truncated PNG: the header says PNG, the data is cut off.
        let mut broken = png();
        broken.truncate(100);
        let broken = upload(&app, token, "broken.png", "image/png", &broken).await;
        assert_problem(
            preview(&app, token, str_of(&broken, "id")).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        assert_eq!(
            file_data(&app, token, str_of(&broken, "id")).await["has_preview"],
            json!(false)
        );

        assert_problem(
            preview(&app, token, UNKNOWN_FILE).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
);

api_test!(
    a_decompression_bomb_gets_no_preview_and_the_server_keeps_answering,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let bomb = bomb_png(50_000);
        assert!(bomb.len() < 3 * MIB as usize, "{} bytes", bomb.len());
        let data = upload(&app, token, "bomb.png", "image/png", &bomb).await;
        let id = str_of(&data, "id");
        assert_eq!(data["content_type"], json!("image/png"));

        let started = Instant::now();
        let response = preview(&app, token, id).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "refusing took {:?}",
            started.elapsed()
        );
        let after = file_data(&app, token, id).await;
        assert_eq!(after["has_preview"], json!(false));
        assert_eq!(after["preview_url"], Value::Null);
        // Asking again does not try again.
        let started = Instant::now();
        assert_problem(
            preview(&app, token, id).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        assert!(started.elapsed() < Duration::from_secs(2));

        let health = app.get("/health", None).await;
        assert_eq!(health.status(), StatusCode::OK);
        // The file itself is still there, byte for byte.
        let downloaded = download(&app, token, id).await;
        assert_eq!(sha256_hex(&downloaded), sha256_hex(&bomb));
    }
);

// ---------------------------------------------------------------------------------------
// 8. External files
// ---------------------------------------------------------------------------------------

const EXTERNAL_URL: &str = "https://storage.example.com/datasets/q3.csv";

fn external(url: &str) -> Value {
    json!({
        "filename": "q3.csv",
        "content_type": "text/csv",
        "size_bytes": 123_456,
        "url": url,
    })
}

api_test!(
    an_external_file_is_recorded_and_its_content_redirects_to_the_link,
    |app: TestApp| async move {
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
        assert_problem(
            preview(&app, token, id).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        assert_eq!(
            file_data(&app, token, id).await["status"],
            json!("external")
        );
        assert!(stored_files(&app).is_empty());
    }
);

api_test!(
    external_files_take_only_http_links_and_known_fields,
    |app: TestApp| async move {
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
        let response = app.post("/api/v1/files", Some(token), unknown).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;

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
        assert_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        )
        .await;
        let response = app
            .post_raw("/api/v1/files", Some(token), "application/json", "[1, 2]")
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;

        assert!(ids(&list(&app, token, "").await).is_empty());
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
    |app: TestApp| async move {
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
        assert_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        )
        .await;
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

api_test!(uploads_need_credentials, |app: TestApp| async move {
    let response = app
        .client
        .post(app.url("/api/v1/files"))
        .multipart(Form::new().part("file", text_file()))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(stored_files(&app).is_empty());
});

// ---------------------------------------------------------------------------------------
// 10. Threads and access
// ---------------------------------------------------------------------------------------

api_test!(
    owners_and_editors_upload_into_a_thread_and_its_members_read_the_file,
    |app: TestApp| async move {
        let c = cast(&app).await;
        let bytes = png();
        let response = upload_to_thread(
            &app,
            &c.owner.access_token,
            &c.thread,
            "plan.png",
            "image/png",
            &bytes,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let data = json_body(response).await["data"].clone();
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
    |app: TestApp| async move {
        let c = cast(&app).await;
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
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = upload_to_thread(
            &app,
            &c.outsider.access_token,
            &c.thread,
            "o.txt",
            "text/plain",
            b"outsider bytes",
        )
        .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

        // Same with the thread after the file: the bytes arrive first and are dropped.
        let form = Form::new()
            .part("file", file_part("v.txt", "text/plain", b"viewer".to_vec()))
            .text("thread_id", c.thread.clone());
        let response = send_form(&app, &c.viewer.access_token, form).await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let form = Form::new()
            .part(
                "file",
                file_part("o.txt", "text/plain", b"outsider".to_vec()),
            )
            .text("thread_id", c.thread.clone());
        let response = send_form(&app, &c.outsider.access_token, form).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

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
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

        // External records follow the same rule.
        let mut body = external(EXTERNAL_URL);
        body["thread_id"] = json!(c.thread);
        let response = app
            .post("/api/v1/files", Some(&c.viewer.access_token), body.clone())
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app
            .post("/api/v1/files", Some(&c.outsider.access_token), body)
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

        assert_eq!(stored_files(&app), before);
        for who in [&c.owner, &c.viewer, &c.outsider] {
            assert!(ids(&list(&app, &who.access_token, "").await).is_empty());
        }
    }
);

api_test!(
    others_get_404_members_get_403_on_changes_and_admins_read_and_delete,
    |app: TestApp| async move {
        let c = cast(&app).await;
        let bytes = png();
        let response = upload_to_thread(
            &app,
            &c.owner.access_token,
            &c.thread,
            "plan.png",
            "image/png",
            &bytes,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let id = id_of(&json_body(response).await["data"]);
        let path = format!("/api/v1/files/{id}");

        // A stranger learns nothing.
        let stranger = c.outsider.access_token.as_str();
        for suffix in ["", "/content", "/preview"] {
            let response = app.get(&format!("{path}{suffix}"), Some(stranger)).await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        let response = app
            .patch(&path, Some(stranger), json!({"filename": "mine.png"}))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app
            .put(&path, Some(stranger), json!({"filename": "mine.png"}))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app.delete(&path, Some(stranger)).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        // A missing file answers the same.
        let response = app
            .get(&format!("/api/v1/files/{UNKNOWN_FILE}"), Some(stranger))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
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
            let response = app
                .patch(&path, Some(token), json!({"filename": "theirs.png"}))
                .await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
            let response = app.delete(&path, Some(token)).await;
            assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let unchanged = file_data(&app, &c.owner.access_token, &id).await;
        assert_eq!(unchanged["filename"], json!("plan.png"));

        // ADMIN reads everything, may delete, may not rename.
        let admin = c.admin.access_token.as_str();
        assert_eq!(file_data(&app, admin, &id).await["id"], json!(id));
        assert_eq!(download(&app, admin, &id).await, bytes);
        assert_eq!(preview(&app, admin, &id).await.status(), StatusCode::OK);
        let response = app
            .patch(&path, Some(admin), json!({"filename": "admin.png"}))
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app.delete(&path, Some(admin)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"],
            json!({"id": id, "deleted": true})
        );
        let response = get_file(&app, &c.owner.access_token, &id).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert!(blobs(&app).is_empty());
    }
);

api_test!(
    a_private_upload_is_only_the_owners_and_the_admins,
    |app: TestApp| async move {
        let c = cast(&app).await;
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
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
            let response = content(&app, &other.access_token, id, &[]).await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        assert_eq!(download(&app, &c.admin.access_token, id).await, b"mine");
    }
);

// ---------------------------------------------------------------------------------------
// 11. Attachments
// ---------------------------------------------------------------------------------------

api_test!(
    attached_files_appear_as_summaries_and_become_readable_by_thread_members,
    |app: TestApp| async move {
        let c = cast(&app).await;
        let owner = c.owner.access_token.as_str();
        let image = upload(&app, owner, "chart.png", "image/png", &png()).await;
        let text = upload(&app, owner, "notes.txt", "text/plain", b"notes").await;
        let image_id = str_of(&image, "id");
        let text_id = str_of(&text, "id");

        // Private so far.
        let response = get_file(&app, &c.viewer.access_token, image_id).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

        // Attachments alone make a message.
        let response = post_message(
            &app,
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
        let read = message(&app, &c.viewer.access_token, &id_of(&posted)).await;
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
        let response = app
            .patch(
                &format!("/api/v1/files/{image_id}"),
                Some(&c.editor.access_token),
                json!({"filename": "x.png"}),
            )
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        // Outsiders still see nothing.
        let response = get_file(&app, &c.outsider.access_token, image_id).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

        // An external file can be attached too.
        let response = app
            .post("/api/v1/files", Some(owner), external(EXTERNAL_URL))
            .await;
        let linked = json_body(response).await["data"].clone();
        let response = post_message(
            &app,
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
    |app: TestApp| async move {
        let c = cast(&app).await;
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

        let response = post_message(
            &app,
            owner,
            &c.thread,
            json!({"content": "look", "attachments": [id_of(&theirs)]}),
        )
        .await;
        assert_invalid(response, "attachments[0]").await;
        // Still hidden from the would-be author and the thread.
        let response = get_file(&app, owner, &id_of(&theirs)).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

        let response = post_message(
            &app,
            owner,
            &c.thread,
            json!({"attachments": [id_of(&mine), UNKNOWN_FILE]}),
        )
        .await;
        assert_invalid(response, "attachments[1]").await;
        let response = post_message(&app, owner, &c.thread, json!({"attachments": ["nope"]})).await;
        assert_invalid(response, "attachments[0]").await;
        let response = post_message(
            &app,
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
        let response = post_message(&app, owner, &c.thread, json!({"attachments": eleven})).await;
        assert_invalid(response, "attachments").await;
        let response =
            post_message(&app, owner, &c.thread, json!({"attachments": eleven[..10]})).await;
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
        let response = post_message(&app, owner, &c.thread, json!({"attachments": []})).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
);

api_test!(
    deleting_an_attached_file_removes_it_from_its_messages,
    |app: TestApp| async move {
        let c = cast(&app).await;
        let owner = c.owner.access_token.as_str();
        let kept = upload(&app, owner, "kept.txt", "text/plain", b"kept").await;
        let gone = upload(&app, owner, "gone.txt", "text/plain", b"gone").await;
        let response = post_message(
            &app,
            owner,
            &c.thread,
            json!({"content": "two files", "attachments": [id_of(&gone), id_of(&kept)]}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let posted = json_body(response).await["data"].clone();
        let only = post_message(
            &app,
            owner,
            &c.thread,
            json!({"attachments": [id_of(&gone)]}),
        )
        .await;
        assert_eq!(only.status(), StatusCode::CREATED);
        let only = json_body(only).await["data"].clone();

        let response = app
            .delete(&format!("/api/v1/files/{}", id_of(&gone)), Some(owner))
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        let read = message(&app, &c.viewer.access_token, &id_of(&posted)).await;
        let listed: Vec<String> = read["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(listed, vec![id_of(&kept)]);
        let read = message(&app, owner, &id_of(&only)).await;
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
    |app: TestApp| async move {
        let c = cast(&app).await;
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
        assert_eq!(response.status(), StatusCode::CREATED);
        let in_thread = json_body(response).await["data"].clone();
        let response = post_message(
            &app,
            owner,
            &c.thread,
            json!({"attachments": [id_of(&attached)]}),
        )
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
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        let listed = set_of(ids(&list(&app, owner, "").await));
        assert_eq!(listed, set(&[&id_of(&attached), &id_of(&in_thread)]));
        assert!(ids(&list(&app, &c.viewer.access_token, "").await).is_empty());
    }
);

// ---------------------------------------------------------------------------------------
// 12. Listing
// ---------------------------------------------------------------------------------------

api_test!(
    the_list_shows_own_files_and_files_of_readable_threads_only,
    |app: TestApp| async move {
        let c = cast(&app).await;
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
        assert_eq!(response.status(), StatusCode::CREATED);
        let team_gif = json_body(response).await["data"].clone();
        let strangers = upload(
            &app,
            &c.outsider.access_token,
            "theirs.png",
            "image/png",
            &png(),
        )
        .await;
        let other_thread = new_thread(&app, &c.outsider.access_token, "Elsewhere").await;
        let response = upload_to_thread(
            &app,
            &c.outsider.access_token,
            &other_thread,
            "far.txt",
            "text/plain",
            b"far",
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let far = json_body(response).await["data"].clone();

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
        let response = app
            .get(
                &format!("/api/v1/files?thread_id={other_thread}"),
                Some(owner),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app
            .get(
                "/api/v1/files?thread_id=thr_00000000000000000000000000000000",
                Some(owner),
            )
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
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

api_test!(
    paging_through_files_visits_each_once,
    |app: TestApp| async move {
        let c = cast(&app).await;
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
            let response = app.get(&format!("/api/v1/files{bad}"), Some(owner)).await;
            assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        }
        let response = app.get("/api/v1/files?colour=red", Some(owner)).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
    }
);

// ---------------------------------------------------------------------------------------
// 13. PATCH / PUT
// ---------------------------------------------------------------------------------------

api_test!(
    the_owner_renames_a_file_and_replaces_its_metadata_with_if_match,
    |app: TestApp| async move {
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

        let response = send_json(
            &app,
            Method::PATCH,
            &path,
            token,
            Some(&first_tag),
            Some(json!({"filename": "final.txt"})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let second_tag = header_of(&response, "etag");
        assert_ne!(second_tag, first_tag);
        let changed = json_body(response).await["data"].clone();
        assert_eq!(changed["filename"], json!("final.txt"));
        assert_eq!(changed["sha256"], data["sha256"]);
        assert_eq!(changed["created_at"], data["created_at"]);
        assert_eq!(changed["metadata"], json!({}));

        let response = send_json(
            &app,
            Method::PUT,
            &path,
            token,
            None,
            Some(json!({"metadata": {"stage": "final", "n": 2}})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let third_tag = header_of(&response, "etag");
        assert_ne!(third_tag, second_tag);
        let changed = json_body(response).await["data"].clone();
        assert_eq!(changed["metadata"], json!({"stage": "final", "n": 2}));
        assert_eq!(changed["filename"], json!("final.txt"));

        // A stale tag changes nothing.
        let response = send_json(
            &app,
            Method::PATCH,
            &path,
            token,
            Some(&first_tag),
            Some(json!({"filename": "stale.txt"})),
        )
        .await;
        assert_problem(
            response,
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
        )
        .await;
        let response = send_json(&app, Method::DELETE, &path, token, Some(&second_tag), None).await;
        assert_problem(
            response,
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
        )
        .await;

        for (body, field) in [
            (json!({"filename": ""}), "filename"),
            (json!({"filename": "   "}), "filename"),
            (json!({"filename": "x".repeat(256)}), "filename"),
            (json!({"metadata": [1, 2]}), "metadata"),
        ] {
            let response = app.patch(&path, Some(token), body).await;
            assert_invalid(response, field).await;
        }
        let response = app
            .patch(
                &path,
                Some(token),
                json!({"filename": "x.txt", "sha256": "0"}),
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        let response = app
            .patch(&path, Some(token), json!({"content_type": "text/html"}))
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "validation-error").await;
        let now = file_data(&app, token, id).await;
        assert_eq!(now["filename"], json!("final.txt"));
        assert_eq!(now["metadata"], json!({"stage": "final", "n": 2}));
        assert_eq!(now["content_type"], json!("text/plain"));
        // The bytes did not change with the record.
        let response = content(&app, token, id, &[]).await;
        assert!(header_of(&response, "content-disposition").contains("final.txt"));
        assert_eq!(response.bytes().await.unwrap().as_ref(), b"draft");

        // The current tag works; `metadata: null` is refused (send `{}` to clear it).
        let response = send_json(
            &app,
            Method::PATCH,
            &path,
            token,
            Some(&third_tag),
            Some(json!({"metadata": null})),
        )
        .await;
        assert_invalid(response, "metadata").await;
        let response = send_json(
            &app,
            Method::PATCH,
            &path,
            token,
            Some(&third_tag),
            Some(json!({"metadata": {}})),
        )
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
    |app: TestApp| async move {
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
            let response = app
                .get(
                    &format!("/api/v1/files/{}{suffix}", id_of(&first)),
                    Some(token),
                )
                .await;
            assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        }
        let response = app
            .delete(&format!("/api/v1/files/{}", id_of(&first)), Some(token))
            .await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

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
    |app: TestApp| async move {
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
        assert_problem(other, StatusCode::CONFLICT, "conflict").await;

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
// More edges
// ---------------------------------------------------------------------------------------

api_test_with!(
    a_much_bigger_upload_is_answered_413_while_it_streams,
    &[("MAX_UPLOAD_BYTES", "1024")],
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let too_big = vec![b'c'; 8 * MIB as usize];
        let response = send_form(&app, token, file_form("huge.txt", "text/plain", &too_big)).await;
        assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
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

api_test!(
    an_upload_cut_off_mid_stream_leaves_no_bytes_behind,
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let address = app.address.trim_start_matches("http://").to_owned();
        let token = user.access_token.clone();
        let root = app.files_dir.path().to_path_buf();
        let written = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            let head = format!(
                "POST /api/v1/files HTTP/1.1\r\nHost: {address}\r\n\
                 Authorization: Bearer {token}\r\n\
                 Content-Type: multipart/form-data; boundary=XYZ\r\n\
                 Content-Length: 10000000\r\n\r\n\
                 --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).unwrap();
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
    |app: TestApp| async move {
        let (_, user) = app.admin_and_user().await;
        let address = app.address.trim_start_matches("http://").to_owned();
        let token = user.access_token.clone();
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            let head = format!(
                "POST /api/v1/files HTTP/1.1\r\nHost: {address}\r\n\
                 Authorization: Bearer {token}\r\n\
                 Content-Type: multipart/form-data; boundary=XYZ\r\n\
                 Content-Length: 10000000\r\n\r\n\
                 --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).unwrap();
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
    |app: TestApp| async move {
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

// Contract: `GET /files` shows "those of readable threads", and ADMIN users may read every
// thread; `thread_id` names one the ADMIN may read, so its files are listed.
api_test!(
    an_admin_filtering_by_a_thread_they_may_read_sees_its_files,
    |app: TestApp| async move {
        let c = cast(&app).await;
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

api_test!(
    a_part_without_a_name_or_type_becomes_an_octet_stream_called_upload,
    |app: TestApp| async move {
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
    deleting_the_message_takes_away_what_its_attachment_granted,
    |app: TestApp| async move {
        let c = cast(&app).await;
        let owner = c.owner.access_token.as_str();
        let file = upload(&app, owner, "shared.txt", "text/plain", b"shared").await;
        let id = id_of(&file);
        let response = post_message(&app, owner, &c.thread, json!({"attachments": [id]})).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let posted = json_body(response).await["data"].clone();
        assert_eq!(download(&app, &c.viewer.access_token, &id).await, b"shared");

        let response = app
            .delete(&format!("/api/v1/messages/{}", id_of(&posted)), Some(owner))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = get_file(&app, &c.viewer.access_token, &id).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert!(ids(&list(&app, &c.viewer.access_token, "").await).is_empty());
        // The owner keeps the file.
        assert_eq!(download(&app, owner, &id).await, b"shared");
        // A viewer may not attach it anywhere: they cannot post.
        let response = post_message(
            &app,
            &c.viewer.access_token,
            &c.thread,
            json!({"attachments": [id]}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
);

api_test!(
    a_failed_upload_releases_its_idempotency_key_and_external_creates_replay,
    |app: TestApp| async move {
        let c = cast(&app).await;
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
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
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
