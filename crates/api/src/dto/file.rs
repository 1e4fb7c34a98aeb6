use domain::{
    error::Validator,
    file::{
        ContentTypeFilter, ExternalDraft, ExternalFields, File, FileChanges, FileFilter, FileName,
        FileSource, FileSummary,
    },
    id::{FileId, ThreadId},
    json_object::Metadata,
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{changed, rfc3339, CheckOptional};

/// Where clients fetch a file's bytes: our content route, or the external link.
fn download_url(id: &FileId, external: Option<&str>) -> String {
    external.map_or_else(|| format!("/api/v1/files/{id}/content"), str::to_owned)
}

fn preview_url(id: &FileId, has_preview: bool) -> Option<String> {
    has_preview.then(|| format!("/api/v1/files/{id}/preview"))
}

/// A file: uploaded bytes, or a link to bytes stored elsewhere.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = File)]
pub struct FileResponse {
    #[schema(example = "fil_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    #[schema(example = "report.pdf")]
    pub filename: String,
    /// The type the file is served as: sniffed from the bytes when they tell, else the
    /// declared one.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    /// The type the uploader declared.
    pub declared_content_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the bytes in hex; also the content's `ETag`. `null` for external files.
    pub sha256: Option<String>,
    pub owner_id: String,
    pub thread_id: Option<String>,
    /// `ready` (bytes stored here) or `external` (a link).
    #[schema(example = "ready")]
    pub status: String,
    /// Whether `GET /files/{id}/preview` has a thumbnail (JPEG, PNG, GIF, WebP).
    pub has_preview: bool,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// `/api/v1/files/{id}/content` for stored files; the link for external ones.
    pub download_url: String,
    pub preview_url: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<File> for FileResponse {
    fn from(file: File) -> Self {
        let external = match &file.source {
            FileSource::External(url) => Some(url.as_str().to_owned()),
            FileSource::Stored(_) => None,
        };
        Self {
            download_url: download_url(&file.id, external.as_deref()),
            preview_url: preview_url(&file.id, file.has_preview()),
            has_preview: file.has_preview(),
            status: file.status().to_owned(),
            content_type: file.content_type().to_string(),
            declared_content_type: file.declared_type.to_string(),
            sha256: file.sha256().map(|d| d.as_str().to_owned()),
            id: file.id.to_string(),
            filename: file.filename.as_str().to_owned(),
            size_bytes: file.size_bytes,
            owner_id: file.owner_id.to_string(),
            thread_id: file.thread_id.map(|t| t.to_string()),
            metadata: file.metadata.into_value(),
            created_at: rfc3339(file.created_at),
            updated_at: rfc3339(file.updated_at),
        }
    }
}

/// What a message shows of an attached file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FileSummary)]
pub struct FileSummaryResponse {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub has_preview: bool,
    pub download_url: String,
    pub preview_url: Option<String>,
}

impl From<FileSummary> for FileSummaryResponse {
    fn from(file: FileSummary) -> Self {
        Self {
            download_url: download_url(&file.id, file.external_url.as_ref().map(|u| u.as_str())),
            preview_url: preview_url(&file.id, file.has_preview),
            id: file.id.to_string(),
            filename: file.filename.as_str().to_owned(),
            content_type: file.content_type.to_string(),
            size_bytes: file.size_bytes,
            has_preview: file.has_preview,
        }
    }
}

/// A multipart upload: the `file` part, and optionally `thread_id` and `metadata` (a JSON
/// object as text). Parts may come in any order; `thread_id` before `file` fails faster.
#[derive(Debug, ToSchema)]
#[schema(as = UploadFile)]
#[allow(dead_code)] // documents the form; the handler reads the parts as they stream
pub struct UploadFileForm {
    /// The bytes, with the part's `filename` and `Content-Type`.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// A thread the caller may write to; its members may then read the file.
    pub thread_id: Option<String>,
    /// A JSON object, at most 16 KiB.
    #[schema(example = "{\"source\": \"upload\"}")]
    pub metadata: Option<String>,
}

/// Records a file stored elsewhere; its bytes are not fetched.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateExternalFile)]
pub struct CreateExternalFileRequest {
    #[schema(example = "dataset.csv")]
    pub filename: String,
    #[schema(example = "text/csv")]
    pub content_type: String,
    pub size_bytes: i64,
    /// `http` or `https`.
    #[schema(example = "https://storage.example.com/dataset.csv")]
    pub url: String,
    pub thread_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

impl TryFrom<CreateExternalFileRequest> for ExternalFields {
    type Error = DomainError;

    fn try_from(body: CreateExternalFileRequest) -> Result<Self, DomainError> {
        ExternalFields::parse(ExternalDraft {
            filename: body.filename,
            content_type: body.content_type,
            size_bytes: body.size_bytes,
            url: body.url,
            thread_id: body.thread_id,
            metadata: body.metadata,
        })
    }
}

/// The fields to change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFileRequest {
    pub filename: Option<String>,
    /// Replaces the whole object.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Object, required = false)]
    pub metadata: Option<Option<serde_json::Value>>,
}

impl TryFrom<UpdateFileRequest> for FileChanges {
    type Error = DomainError;

    fn try_from(body: UpdateFileRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let changes = Self {
            filename: v.parsed("filename", body.filename.as_deref(), FileName::parse),
            metadata: v.optional("metadata", changed(body.metadata, Metadata::parse)),
        };
        v.finish()?;
        Ok(changes)
    }
}

list_query! {
    /// Filters and paging of the files the caller can see, newest first.
    pub struct ListFilesQuery {
        /// Files of this thread and files attached in it.
        #[garde(skip)]
        pub thread_id: Option<String>,
        /// An exact type (`image/png`) or a family (`image/*`).
        #[garde(length(max = 255))]
        pub content_type: Option<String>,
    }
}

impl ListFilesQuery {
    pub fn filter(&self) -> Result<FileFilter, DomainError> {
        let mut v = Validator::new();
        let filter = FileFilter {
            thread_id: v.parsed("thread_id", self.thread_id.as_deref(), ThreadId::parse),
            content_type: v.parsed(
                "content_type",
                self.content_type.as_deref(),
                ContentTypeFilter::parse,
            ),
        };
        v.finish()?;
        Ok(filter)
    }
}

/// The request headers of `GET` and `HEAD /files/{id}/content`, for the OpenAPI document;
/// the handler reads them itself.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct ContentRequestHeaders {
    /// One byte range, e.g. `bytes=0-1023`
    #[param(rename = "Range")]
    range: Option<String>,
    /// An `ETag` the client has
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
    /// Apply `Range` only if the `ETag` still matches
    #[param(rename = "If-Range")]
    if_range: Option<String>,
}

/// Raw bytes in a response, for the OpenAPI document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(Vec<u8>);
