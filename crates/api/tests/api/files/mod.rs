//! Files (contract section 6), one module a sub-resource: uploads (size limit, sniffing,
//! filenames, malformed multipart bodies, `Idempotency-Key`), downloads (ranges and
//! validators, active content), previews (and a decompression bomb), external files, who
//! may do what (and message attachments), and listing, changes and deletion. The helpers
//! they share are here.

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
    multipart::{Form, Part},
    Body, Response, StatusCode,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{
    assert_precondition_failed, assert_problem, data_of, id_of, ids, json_body, validation_errors,
    Call, Team, TestApp, CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, TOO_LARGE, UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
};

const UNKNOWN_FILE: &str = "fil_00000000000000000000000000000000";
const MIB: u64 = 1024 * 1024;

mod access;
mod download;
mod external;
mod listing;
mod previews;
mod upload;

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
pub(crate) async fn upload(
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

/// Asserts a 400 naming `field` in `errors`.
async fn assert_invalid(response: Response, field: &str) {
    let errors = validation_errors(response).await;
    assert!(
        errors.get(field).is_some(),
        "errors {errors} should name {field}"
    );
}

const EXTERNAL_URL: &str = "https://storage.example.com/datasets/q3.csv";

/// The body of an external file record pointing at `url`.
fn external(url: &str) -> Value {
    json!({
        "filename": "q3.csv",
        "content_type": "text/csv",
        "size_bytes": 123_456,
        "url": url,
    })
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
