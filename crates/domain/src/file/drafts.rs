//! What creating a file takes: an upload's form fields or an external link's body, as the
//! request carried them (`*Draft`) and once checked (`*Fields`).

use serde_json::Value;

use super::{ExternalUrl, FileName, MediaType};
use crate::{error::Validator, id::ThreadId, json_object::Metadata, DomainError};

/// The form fields of a multipart upload, as the request carried them.
#[derive(Clone, Debug, Default)]
pub struct UploadDraft {
    /// The `filename` of the `file` part.
    pub filename: Option<String>,
    /// The `Content-Type` of the `file` part.
    pub declared_type: Option<String>,
    pub thread_id: Option<String>,
    pub metadata: Option<Value>,
}

/// A checked upload, before its bytes arrive.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadFields {
    pub filename: FileName,
    pub declared_type: MediaType,
    pub thread_id: Option<ThreadId>,
    pub metadata: Metadata,
}

impl UploadFields {
    /// Every bad field at once. A missing or unusable filename becomes `upload`, a
    /// missing type `application/octet-stream`: browsers send both, other clients may not.
    pub fn parse(draft: UploadDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let declared_type = v.check(
            "file",
            draft
                .declared_type
                .as_deref()
                .map(MediaType::parse)
                .transpose(),
        );
        let thread_id = v.check(
            "thread_id",
            draft.thread_id.as_deref().map(ThreadId::parse).transpose(),
        );
        let metadata = v.check("metadata", draft.metadata.map(Metadata::parse).transpose());
        v.finish()?;
        Ok(Self {
            filename: FileName::of_upload(draft.filename.as_deref()),
            declared_type: declared_type
                .flatten()
                .unwrap_or_else(MediaType::octet_stream),
            thread_id: thread_id.flatten(),
            metadata: metadata.flatten().unwrap_or_default(),
        })
    }
}

/// A JSON body recording a file stored elsewhere, as the request carried it.
#[derive(Clone, Debug, Default)]
pub struct ExternalDraft {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub url: String,
    pub thread_id: Option<String>,
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternalFields {
    pub filename: FileName,
    pub content_type: MediaType,
    pub size_bytes: u64,
    pub url: ExternalUrl,
    pub thread_id: Option<ThreadId>,
    pub metadata: Metadata,
}

impl ExternalFields {
    pub fn parse(draft: ExternalDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let filename = v.check("filename", FileName::parse(&draft.filename));
        let content_type = v.check("content_type", MediaType::parse(&draft.content_type));
        let size_bytes = v.check(
            "size_bytes",
            u64::try_from(draft.size_bytes)
                .map_err(|_| DomainError::invalid("", "must not be negative")),
        );
        let url = v.check("url", ExternalUrl::parse(&draft.url));
        let thread_id = v.check(
            "thread_id",
            draft.thread_id.as_deref().map(ThreadId::parse).transpose(),
        );
        let metadata = v.check("metadata", draft.metadata.map(Metadata::parse).transpose());
        v.finish()?;
        match (filename, content_type, size_bytes, url, thread_id, metadata) {
            (
                Some(filename),
                Some(content_type),
                Some(size_bytes),
                Some(url),
                Some(thread_id),
                Some(metadata),
            ) => Ok(Self {
                filename,
                content_type,
                size_bytes,
                url,
                thread_id,
                metadata: metadata.unwrap_or_default(),
            }),
            _ => Err(DomainError::invalid("", "is invalid")),
        }
    }
}
