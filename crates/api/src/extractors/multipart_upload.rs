//! Streamed `multipart/form-data` uploads: reading the parts, and what identifies an upload.

use actix_multipart::{Field, Multipart};
use actix_web::HttpRequest;
use domain::{
    file::{ReceivedUpload, UploadDraft, UploadFields},
    id::ThreadId,
    DomainError, FieldErrors,
};
use futures_util::{StreamExt, TryStreamExt};

use crate::{
    error::{ApiError, ApiResult},
    extractors::Authenticated,
    middleware::idempotency::fingerprint,
    state::AppState,
};

/// Text parts of an upload (`thread_id`, `metadata`) are small; this bounds them.
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Reads the parts into `draft` as they stream; the `file` part goes straight to storage
/// and lands in `received`. A second `file`, a repeated field or an unknown part is
/// refused; unknown parts are all named, and so is a `file` part missing after them.
pub(crate) async fn read_upload_parts(
    state: &AppState,
    caller: &Authenticated,
    parts: &mut Multipart,
    draft: &mut UploadDraft,
    received: &mut Option<ReceivedUpload>,
) -> ApiResult<()> {
    let mut unknown = FieldErrors::new();
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(cut_off)?;
        let name = part.name().unwrap_or_default().to_owned();
        match name.as_str() {
            // The upload is refused already: the file need not be stored to say so.
            "file" if !unknown.is_empty() => return Err(DomainError::Validation(unknown).into()),
            "file" if received.is_none() => {
                draft.filename = part
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(str::to_owned);
                draft.declared_type = part.content_type().map(|m| m.to_string());
                // Refuse before streaming when the target thread is already known.
                if let Some(thread) = &draft.thread_id {
                    if let Ok(thread) = ThreadId::parse(thread) {
                        state
                            .files
                            .check_upload_target(caller.principal(), &thread)
                            .await?;
                    }
                }
                // A body that stalls ends here as an error (`middleware::request_body`),
                // which discards the partial bytes.
                let bytes = part.map_err(|e| {
                    DomainError::invalid("file", format!("the upload was cut off: {e}"))
                });
                let upload = state.files.receive(caller.principal(), bytes).await?;
                metrics::counter!("uploads_total").increment(1);
                metrics::counter!("upload_bytes_total").increment(upload.size_bytes);
                *received = Some(upload);
            }
            "file" => return Err(DomainError::invalid("file", "send one file per request").into()),
            "thread_id" | "metadata" if repeated(&name, draft) => {
                return Err(DomainError::invalid(name, "send it once").into())
            }
            "thread_id" => draft.thread_id = Some(text_part(&mut part, "thread_id").await?),
            "metadata" => {
                let text = text_part(&mut part, "metadata").await?;
                let value = serde_json::from_str(&text)
                    .map_err(|_| DomainError::invalid("metadata", "must be a JSON object"))?;
                draft.metadata = Some(value);
            }
            other => {
                let name = if other.is_empty() { "(unnamed)" } else { other };
                unknown.insert(
                    name.into(),
                    vec!["is not a part this endpoint takes".into()],
                );
                while let Some(chunk) = part.next().await {
                    chunk.map_err(cut_off)?;
                }
            }
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    if received.is_none() {
        unknown.insert("file".into(), vec!["is required".into()]);
    }
    Err(DomainError::Validation(unknown).into())
}

fn repeated(name: &str, draft: &UploadDraft) -> bool {
    match name {
        "thread_id" => draft.thread_id.is_some(),
        _ => draft.metadata.is_some(),
    }
}

async fn text_part(part: &mut Field, name: &str) -> ApiResult<String> {
    let bytes = part
        .bytes(MAX_FIELD_BYTES)
        .await
        .map_err(|_| DomainError::invalid(name, "is too long"))?
        .map_err(cut_off)?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| DomainError::invalid(name, "must be UTF-8 text").into())
}

fn cut_off(err: actix_multipart::MultipartError) -> ApiError {
    ApiError::Malformed(format!("the multipart body could not be read: {err}"))
}

/// What makes two uploads "the same request": the route, the fields and the bytes' digest
/// (the body itself streamed past without being kept).
pub(crate) fn upload_fingerprint(
    req: &HttpRequest,
    fields: &UploadFields,
    upload: &ReceivedUpload,
) -> String {
    let metadata = serde_json::Value::Object(fields.metadata.as_map().clone()).to_string();
    let size = upload.size_bytes.to_string();
    let parts = [
        fields.filename.as_str(),
        fields.declared_type.as_str(),
        fields.thread_id.as_ref().map_or("", |t| t.as_str()),
        &metadata,
        upload.digest.as_str(),
        &size,
    ];
    fingerprint(req, &parts.map(str::as_bytes))
}
