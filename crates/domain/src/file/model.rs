//! The `File` entity: uploaded bytes kept by their SHA-256, or a link to bytes stored
//! elsewhere; what a message shows of it, and changes to its record.

use super::{ExternalUrl, FileName, MediaType, Sha256Digest};
use crate::{
    id::{FileId, ThreadId, UserId},
    json_object::Metadata,
    precondition::EntityTag,
    time::Timestamp,
};

/// Where a file's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSource {
    /// In our blob store, under their digest.
    Stored(Sha256Digest),
    /// Elsewhere; we only keep the link.
    External(ExternalUrl),
}

/// Whether a stored image has a thumbnail; kept per blob, since it depends on the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewState {
    /// Not asked for yet: made on the first request.
    Pending,
    Ready,
    /// The bytes could not be previewed (corrupt, or too many pixels).
    Unavailable,
}

impl PreviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn from_trusted(raw: &str) -> Self {
        match raw {
            "ready" => Self::Ready,
            "unavailable" => Self::Unavailable,
            _ => Self::Pending,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub id: FileId,
    pub owner_id: UserId,
    pub thread_id: Option<ThreadId>,
    pub filename: FileName,
    /// What the client said the bytes are.
    pub declared_type: MediaType,
    /// What the bytes say they are, when they say.
    pub detected_type: Option<MediaType>,
    pub size_bytes: u64,
    pub source: FileSource,
    pub preview: PreviewState,
    pub metadata: Metadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl File {
    /// The type the file is served as: the sniffed one when the bytes told, else the
    /// declared one.
    pub fn content_type(&self) -> &MediaType {
        self.detected_type.as_ref().unwrap_or(&self.declared_type)
    }

    /// Active if either the client or the bytes say so: a page uploaded as `image/png`
    /// is still a page.
    pub fn is_active(&self) -> bool {
        self.declared_type.is_active() || self.detected_type.as_ref().is_some_and(|t| t.is_active())
    }

    pub fn sha256(&self) -> Option<&Sha256Digest> {
        match &self.source {
            FileSource::Stored(digest) => Some(digest),
            FileSource::External(_) => None,
        }
    }

    /// Only stored images whose bytes the sniffer recognised; never on the client's word.
    pub fn has_preview(&self) -> bool {
        self.sha256().is_some()
            && self
                .detected_type
                .as_ref()
                .is_some_and(MediaType::is_previewable)
            && self.preview != PreviewState::Unavailable
    }

    pub fn status(&self) -> &'static str {
        match self.source {
            FileSource::Stored(_) => "ready",
            FileSource::External(_) => "external",
        }
    }

    /// The version of the record (name, metadata), for `If-Match`.
    pub fn etag(&self) -> EntityTag {
        EntityTag::of(self.updated_at)
    }

    pub fn summary(&self) -> FileSummary {
        FileSummary {
            id: self.id.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type().clone(),
            size_bytes: self.size_bytes,
            has_preview: self.has_preview(),
            external_url: match &self.source {
                FileSource::External(url) => Some(url.clone()),
                FileSource::Stored(_) => None,
            },
        }
    }
}

/// What a message shows of each attached file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSummary {
    pub id: FileId,
    pub filename: FileName,
    pub content_type: MediaType,
    pub size_bytes: u64,
    pub has_preview: bool,
    pub external_url: Option<ExternalUrl>,
}

/// A change to a file's record; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileChanges {
    pub filename: Option<FileName>,
    pub metadata: Option<Metadata>,
}
