//! Files: streamed multipart uploads (or links to external files), metadata, downloads
//! with ranges, and previews.

use actix_multipart::Multipart;
use actix_web::{
    delete, get, head, http::header, middleware::from_fn, patch, post, put, web, HttpMessage,
    HttpRequest, HttpResponse,
};
use bytes::Bytes;
use domain::{
    file::{
        ExternalFields, File, FileChanges, FileSource, ReceivedUpload, UploadDraft, UploadFields,
    },
    id::FileId,
    idempotency::within_claim,
    DomainError,
};
use futures_util::TryStreamExt;

use crate::{
    content_disposition::disposition,
    dto::{
        file::{
            Binary, ContentRequestHeaders, CreateExternalFileRequest, FileResponse, ListFilesQuery,
            UpdateFileRequest, UploadFileForm,
        },
        validate, IdempotencyKeyHeader,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiError, ApiResult, ProblemEnvelope},
    extractors::{
        parse_json, read_upload_parts, requested_range, require_json, upload_fingerprint,
        Authenticated, IfMatch, IfNoneMatch, JsonBody, PathId,
    },
    middleware::idempotency::{claim, idempotency, key_of, remember, Claimed},
    openapi::{Conditional, FileNotFound, JsonBodyErrors, Protected, StorageFull, ThreadNotFound},
    state::AppState,
};

/// Active content is never rendered by the browser on our origin.
const SANDBOX_CSP: &str = "sandbox; default-src 'none'";

/// Uploads a file as `multipart/form-data` (part `file`, optional `thread_id` and
/// `metadata`), streamed to storage; or, with a JSON body, records a file stored
/// elsewhere.
#[utoipa::path(
    tag = "files",
    params(IdempotencyKeyHeader),
    request_body(content(
        (UploadFileForm = "multipart/form-data"),
        (CreateExternalFileRequest = "application/json"),
    )),
    responses(
        (status = 201, description = "Stored (or recorded); `Location` names it", body = Envelope<FileResponse>),
        Protected, StorageFull,
        (status = 400, description = "No `file` part, an unknown part, bad `thread_id` or `metadata`, a cut-off upload, or malformed JSON", body = ProblemEnvelope),
        (status = 403, description = "A viewer of `thread_id`", body = ProblemEnvelope),
        ThreadNotFound,
        (status = 408, description = "The upload sent nothing for `UPLOAD_IDLE_TIMEOUT_SECONDS` (60 by default); nothing is kept and the connection is closed", body = ProblemEnvelope),
        (status = 409, description = "The Idempotency-Key was used with another request", body = ProblemEnvelope),
        (status = 413, description = "Bigger than `MAX_UPLOAD_BYTES` (100 MiB by default), refused before reading when `Content-Length` says so; nothing is kept", body = ProblemEnvelope),
        (status = 415, description = "Neither multipart/form-data nor JSON", body = ProblemEnvelope),
    ),
)]
#[post("/files", wrap = "from_fn(idempotency)")]
pub async fn create_file(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let is_multipart = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.type_() == "multipart" && m.subtype() == "form-data");
    if is_multipart {
        return upload(state, caller, req, payload).await;
    }
    require_json(&req).map_err(|_| {
        ApiError::UnsupportedMediaType(
            "this endpoint takes multipart/form-data or application/json".into(),
        )
    })?;
    let limit = state.settings.http.json_body_limit;
    let bytes = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?
        .map_err(|_| ApiError::Malformed("the request body could not be read".into()))?;
    let body: CreateExternalFileRequest = parse_json(&bytes)?;
    let fields = ExternalFields::try_from(body)?;
    let file = state
        .files
        .create_external(caller.principal(), fields)
        .await?;
    Ok(created(file))
}

fn created(file: File) -> HttpResponse {
    let location = format!("/api/v1/files/{}", file.id);
    envelope::created(&location, FileResponse::from(file))
}

/// Reads the parts as they stream: the `file` part goes straight to storage.
async fn upload(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let idempotency_key = key_of(&req)?;
    let mut parts = Multipart::new(req.headers(), payload);
    let mut draft = UploadDraft::default();
    let mut received: Option<ReceivedUpload> = None;
    let read = read_upload_parts(&state, &caller, &mut parts, &mut draft, &mut received).await;
    let Some(upload) = received else {
        read?;
        return Err(DomainError::invalid("file", "is required").into());
    };
    let fields = read.and_then(|()| Ok(UploadFields::parse(draft)?));
    let fields = match fields {
        Ok(fields) => fields,
        Err(err) => {
            state.files.discard(&upload).await;
            return Err(err);
        }
    };
    let Some(key) = idempotency_key else {
        let file = state
            .files
            .create_upload(caller.principal(), fields, upload)
            .await?;
        return Ok(created(file));
    };
    let hash = upload_fingerprint(&req, &fields, &upload);
    let held = match claim(&state, caller.principal(), &key, &hash).await {
        Ok(Claimed::Held(held)) => held,
        Ok(Claimed::Answered(response)) => {
            state.files.discard(&upload).await;
            return Ok(response);
        }
        Err(err) => {
            state.files.discard(&upload).await;
            return Err(err);
        }
    };
    // Within the claim: the file's record commits with the claim's receipt.
    let creating = state
        .files
        .create_upload(caller.principal(), fields, upload);
    let response = match within_claim(held.clone(), creating).await {
        Ok(file) => created(file),
        Err(err) => ApiError::from(err).to_problem(),
    };
    Ok(remember(&state, &held, response).await)
}

/// The caller's files, files of threads they are a member of and files attached there.
#[utoipa::path(
    tag = "files",
    params(ListFilesQuery),
    responses(
        (status = 200, description = "A page of files, newest first", body = Envelope<Vec<FileResponse>>),
        Protected,
        (status = 400, description = "Bad filter, limit or cursor", body = ProblemEnvelope),
        (status = 404, description = "`thread_id` names no thread you can read", body = ProblemEnvelope),
    ),
)]
#[get("/files")]
pub async fn list_files(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListFilesQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let filter = query.filter()?;
    let files = state.files.list(caller.principal(), &filter, &page);
    state
        .page_renders
        .render(&page, files, FileResponse::from)
        .await
}

/// A file's metadata. Its `ETag` is the record's version, for `If-Match`.
#[utoipa::path(
    tag = "files",
    params(PathId<FileId>),
    responses(
        (status = 200, description = "The file", body = Envelope<FileResponse>),
        Protected,
        FileNotFound,
    ),
)]
#[get("/files/{id}")]
pub async fn get_file(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<FileId>,
) -> ApiResult<HttpResponse> {
    let file = state.files.get(caller.principal(), &id).await?;
    let tag = file.etag();
    Ok(envelope::ok_tagged(FileResponse::from(file), &tag))
}

/// The bytes. One `Range` gives 206 (416 when it lies outside); `ETag` is the SHA-256
/// and `If-None-Match` gives 304. HTML, SVG, XML and scripts always come as an attachment
/// of type `application/octet-stream` with a sandboxing CSP. An external file redirects
/// (302) to its link.
#[utoipa::path(
    tag = "files",
    params(PathId<FileId>, ContentRequestHeaders),
    responses(
        (status = 200, description = "The bytes, as the file's own type (`content_type`; active content as `application/octet-stream`)", content_type = "*/*", body = Binary),
        (status = 206, description = "The requested range, with `Content-Range`, as the file's own type", content_type = "*/*", body = Binary),
        (status = 302, description = "An external file: `Location` is its link"),
        (status = 304, description = "Unchanged since the `ETag` in `If-None-Match`"),
        Protected,
        FileNotFound,
        (status = 416, description = "The range lies outside the file; `Content-Range: bytes */size`"),
    ),
)]
#[get("/files/{id}/content")]
pub async fn download_file(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_none_match: IfNoneMatch,
    req: HttpRequest,
    id: PathId<FileId>,
) -> ApiResult<HttpResponse> {
    content(state, caller, if_none_match, req, id, Body::Bytes).await
}

/// The headers of `GET /files/{id}/content` without the bytes: size (`Content-Length`),
/// type, `ETag`, and whether ranges are accepted, for download managers.
#[utoipa::path(
    tag = "files",
    params(PathId<FileId>, ContentRequestHeaders),
    responses(
        (status = 200, description = "The headers of the whole file"),
        (status = 206, description = "The headers of the requested range"),
        (status = 302, description = "An external file: `Location` is its link"),
        (status = 304, description = "Unchanged since the `ETag` in `If-None-Match`"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file, or not yours to see"),
        (status = 416, description = "The range lies outside the file; `Content-Range: bytes */size`"),
        (status = 429, description = "Over the caller's rate limit; `Retry-After` says when to try again"),
    ),
)]
#[head("/files/{id}/content")]
pub async fn file_content_headers(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_none_match: IfNoneMatch,
    req: HttpRequest,
    id: PathId<FileId>,
) -> ApiResult<HttpResponse> {
    content(state, caller, if_none_match, req, id, Body::HeadersOnly).await
}

/// Whether a content response carries the bytes (`GET`) or only their headers (`HEAD`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Bytes,
    HeadersOnly,
}

async fn content(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_none_match: IfNoneMatch,
    req: HttpRequest,
    id: PathId<FileId>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let file = state.files.get(caller.principal(), &id).await?;
    let digest = match &file.source {
        FileSource::Stored(digest) => digest.clone(),
        FileSource::External(url) => {
            return Ok(HttpResponse::Found()
                .insert_header((header::LOCATION, url.as_str()))
                .finish())
        }
    };
    let etag = format!("\"{}\"", digest.as_str());
    if if_none_match.matches(&etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let size = file.size_bytes;
    let range = match requested_range(&req, &etag, size) {
        Ok(range) => range,
        Err(()) => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .insert_header((header::ACCEPT_RANGES, "bytes"))
                .finish())
        }
    };
    let mut response = match range {
        Some(r) => {
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end),
            ));
            partial
        }
        None => HttpResponse::Ok(),
    };
    // Active content goes out as opaque bytes: a browser neither renders it nor runs it
    // as a script, whatever page refers to it.
    let served_as = if file.is_active() {
        "application/octet-stream"
    } else {
        file.content_type().as_str()
    };
    response
        .insert_header((header::CONTENT_TYPE, served_as))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_DISPOSITION, disposition(&file)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if file.is_active() {
        response.insert_header((header::CONTENT_SECURITY_POLICY, SANDBOX_CSP));
    }
    let length = range.map_or(size, |r| r.length());
    let response = response.no_chunking(length);
    if body == Body::HeadersOnly {
        // The declared length stays; actix sends no body in answer to HEAD.
        return Ok(response.streaming(futures_util::stream::empty::<ApiResult<Bytes>>()));
    }
    let bytes = state.files.read_bytes(&file, range).await?;
    Ok(response.streaming(bytes.map_err(ApiError::from)))
}

/// A thumbnail (longest side at most 512 px) of a JPEG, PNG, GIF or WebP image, made on
/// the first request and kept.
#[utoipa::path(
    tag = "files",
    params(PathId<FileId>),
    responses(
        (status = 200, description = "JPEG for JPEG images, PNG otherwise", content(
            (Binary = "image/jpeg"),
            (Binary = "image/png"),
        )),
        Protected,
        (status = 404, description = "No such file, not yours to see, or no preview for this file", body = ProblemEnvelope),
    ),
)]
#[get("/files/{id}/preview")]
pub async fn preview_file(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<FileId>,
) -> ApiResult<HttpResponse> {
    let thumbnail = state.files.preview(caller.principal(), &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, thumbnail.content_type))
        // Revalidated on every use, so revoked access or a deleted file shows at once.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(thumbnail.bytes))
}

one_handler! {
    async fn update(
        state: web::Data<AppState>,
        caller: Authenticated,
        if_match: IfMatch,
        body: JsonBody<UpdateFileRequest>,
        id: PathId<FileId>,
    ) -> ApiResult<HttpResponse> {
        let changes = FileChanges::try_from(body.into_inner())?;
        let file = state
            .files
            .update(caller.principal(), &id, changes, &if_match.0)
            .await?;
        let tag = file.etag();
        Ok(envelope::ok_tagged(FileResponse::from(file), &tag))
    }
    openapi(
        tag = "files",
        params(
            PathId<FileId>,
            ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the change is based on"),
        ),
        request_body = UpdateFileRequest,
        responses(
            (status = 200, description = "The changed file", body = Envelope<FileResponse>),
            Protected, JsonBodyErrors, Conditional, StorageFull,
            (status = 403, description = "Not the owner", body = ProblemEnvelope),
            FileNotFound,
        ),
    );
    /// Renames a file or replaces its metadata (same as PATCH).
    replace_file: put("/files/{id}");
    /// Renames a file or replaces its metadata (the owner).
    update_file: patch("/files/{id}");
}

/// Deletes a file (the owner or ADMIN) and its attachment links; the bytes go when no
/// file references them any more.
#[utoipa::path(
    tag = "files",
    params(
        PathId<FileId>,
        ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        Protected, Conditional, StorageFull,
        (status = 403, description = "Neither the owner nor ADMIN", body = ProblemEnvelope),
        FileNotFound,
    ),
)]
#[delete("/files/{id}")]
pub async fn delete_file(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_match: IfMatch,
    id: PathId<FileId>,
) -> ApiResult<HttpResponse> {
    state
        .files
        .delete(caller.principal(), &id, &if_match.0)
        .await?;
    Ok(envelope::deleted(id.as_str()))
}
