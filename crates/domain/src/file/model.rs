//! Files: uploaded bytes kept by their SHA-256, or a link to bytes stored elsewhere.

use std::fmt;

use serde_json::Value;

use crate::{
    error::Validator,
    id::{FileId, ThreadId, UserId},
    json_object::Metadata,
    precondition::EntityTag,
    time::Timestamp,
    DomainError,
};

/// A filename safe to show and to put in a `Content-Disposition`: no path separators, no
/// control characters, at most 255 characters, never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub const MAX_CHARS: usize = 255;

    /// Cleans what a client sent: separators become `_` (a name, never a path), control
    /// and invisible formatting characters go (bidi overrides could disguise
    /// `evil\u{202e}txt.exe`), surrounding whitespace is trimmed.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let cleaned = Self::clean(raw);
        let cleaned = cleaned.trim();
        if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
            return Err(DomainError::invalid("", "must name the file"));
        }
        if cleaned.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(cleaned.to_owned()))
    }

    /// The name of an upload's part, which is never refused: a missing or unusable name
    /// becomes `upload`, a long one is shortened, keeping a short extension.
    pub fn of_upload(raw: Option<&str>) -> Self {
        let cleaned = raw.map(Self::clean).unwrap_or_default();
        let cleaned = cleaned.trim();
        if cleaned.chars().count() > Self::MAX_CHARS {
            let extension = cleaned
                .rsplit_once('.')
                .map(|(_, ext)| ext)
                .filter(|ext| (1..=16).contains(&ext.chars().count()))
                .map_or(String::new(), |ext| format!(".{ext}"));
            let keep = Self::MAX_CHARS - extension.chars().count();
            let stem: String = cleaned.chars().take(keep).collect();
            return Self(format!("{}{extension}", stem.trim_end()));
        }
        Self::parse(cleaned).unwrap_or_else(|_| Self("upload".into()))
    }

    fn clean(raw: &str) -> String {
        raw.chars()
            .filter(|c| !c.is_control() && !is_invisible_format(*c))
            .map(|c| if c == '/' || c == '\\' { '_' } else { c })
            .collect()
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Bidirectional overrides and isolates, zero-width characters and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// A media type such as `image/png` or `text/plain; charset=utf-8`, lowercased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType(String);

/// Types a browser would run or render as a document: served only as downloads, sandboxed.
/// The JavaScript types are the WHATWG MIME Sniffing standard's list.
const ACTIVE_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/xsl",
    "application/x-shellscript",
    "application/ecmascript",
    "application/javascript",
    "application/x-ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/javascript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "text/jscript",
    "text/livescript",
    "text/x-ecmascript",
    "text/x-javascript",
];

/// Types the preview renderer decodes.
const PREVIEWABLE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

impl MediaType {
    pub const MAX_LEN: usize = 255;

    pub fn octet_stream() -> Self {
        Self("application/octet-stream".into())
    }

    /// `type/subtype` of RFC 6838 token characters, optionally followed by parameters.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_ascii_lowercase();
        let essence = value.split(';').next().unwrap_or_default().trim();
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        let well_formed = essence
            .split_once('/')
            .is_some_and(|(kind, sub)| token(kind) && token(sub));
        let printable = value.bytes().all(|b| (0x20..0x7f).contains(&b));
        if !well_formed || !printable || value.len() > Self::MAX_LEN {
            return Err(DomainError::invalid(
                "",
                "must be a media type such as image/png",
            ));
        }
        Ok(Self(value))
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The type without parameters: `text/plain` of `text/plain; charset=utf-8`.
    pub fn essence(&self) -> &str {
        self.0.split(';').next().unwrap_or_default().trim()
    }

    /// Whether a browser could run it: HTML, SVG, XML, scripts.
    pub fn is_active(&self) -> bool {
        let essence = self.essence();
        ACTIVE_TYPES.contains(&essence) || essence.ends_with("+xml")
    }

    pub fn is_previewable(&self) -> bool {
        PREVIEWABLE_TYPES.contains(&self.essence())
    }

    /// What the bytes themselves say they are, from their first bytes; `None` when they
    /// do not say (plain text, most documents).
    pub fn sniff(head: &[u8]) -> Option<Self> {
        infer::get(head).map(|kind| Self(kind.mime_type().to_owned()))
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 of a file's bytes in lowercase hex: its storage address and its `ETag`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(String);

impl Sha256Digest {
    pub fn of_digest(digest: &[u8]) -> Self {
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Accepts only 64 lowercase hex digits, so a digest is always a safe storage key.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let valid = raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid("", "is not a SHA-256 in hex"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link to bytes kept outside this server: `http` or `https` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalUrl(String);

impl ExternalUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let parsed = url::Url::parse(raw)
            .map_err(|_| DomainError::invalid("", "must be an absolute http or https URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(DomainError::invalid("", "must be an http or https URL"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(DomainError::invalid(
                "",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        Ok(Self(parsed.to_string()))
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

/// A change to a file's record; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileChanges {
    pub filename: Option<FileName>,
    pub metadata: Option<Metadata>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileFilter {
    pub thread_id: Option<ThreadId>,
    /// An exact type (`image/png`) or a family (`image/*`), matched against the type the
    /// file is served as.
    pub content_type: Option<ContentTypeFilter>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentTypeFilter {
    Exact(String),
    Family(String),
}

impl ContentTypeFilter {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let lowered = raw.trim().to_ascii_lowercase();
        if let Some(family) = lowered.strip_suffix("/*") {
            MediaType::parse(&format!("{family}/x"))?;
            return Ok(Self::Family(format!("{family}/")));
        }
        let parsed = MediaType::parse(&lowered)?;
        Ok(Self::Exact(parsed.essence().to_owned()))
    }
}

/// A byte range of a stored file, already checked against its size: `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// How many bytes: never zero, since `end` is inclusive.
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn filenames_lose_separators_and_control_characters() {
        let name = FileName::parse("../etc/pa\u{0}ss\nwd\\x.txt ").unwrap();
        assert_eq!(name.as_str(), ".._etc_passwd_x.txt");
        assert!(FileName::parse(" \u{7} ").is_err());
        assert!(FileName::parse("..").is_err());
        assert!(FileName::parse(&"é".repeat(256)).is_err());
        assert_eq!(
            FileName::parse(&"é".repeat(255))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            255
        );
    }

    #[test]
    fn invisible_formatting_characters_are_removed() {
        let name = FileName::parse("evil\u{202e}txt.exe\u{200b}").unwrap();
        assert_eq!(name.as_str(), "eviltxt.exe");
    }

    #[test]
    fn upload_names_are_never_refused_and_long_ones_keep_their_extension() {
        assert_eq!(FileName::of_upload(None).as_str(), "upload");
        assert_eq!(FileName::of_upload(Some(" / ")).as_str(), "_");
        assert_eq!(FileName::of_upload(Some("\u{7}")).as_str(), "upload");
        let long = format!("{}.pdf", "a".repeat(300));
        let shortened = FileName::of_upload(Some(&long));
        assert_eq!(shortened.as_str().chars().count(), FileName::MAX_CHARS);
        assert!(shortened.as_str().ends_with("aaa.pdf"));
    }

    #[test]
    fn every_javascript_type_is_active() {
        for t in [
            "text/x-javascript",
            "text/jscript",
            "application/x-ecmascript",
            "text/livescript",
        ] {
            assert!(MediaType::parse(t).unwrap().is_active(), "{t}");
        }
    }

    #[test]
    fn media_types_are_checked_and_classified() {
        assert_eq!(
            MediaType::parse("Text/HTML; charset=UTF-8")
                .unwrap()
                .essence(),
            "text/html"
        );
        assert!(MediaType::parse("text/html; charset=utf-8")
            .unwrap()
            .is_active());
        assert!(MediaType::parse("image/svg+xml").unwrap().is_active());
        assert!(MediaType::parse("application/atom+xml")
            .unwrap()
            .is_active());
        assert!(!MediaType::parse("image/png").unwrap().is_active());
        assert!(MediaType::parse("image/webp").unwrap().is_previewable());
        assert!(!MediaType::parse("image/svg+xml").unwrap().is_previewable());
        for bad in [
            "",
            "png",
            "image/",
            "/png",
            "image/p ng",
            "text/plain\r\nX: y",
        ] {
            assert!(MediaType::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sniffing_reads_the_bytes_not_the_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(MediaType::sniff(png).unwrap().as_str(), "image/png");
        assert_eq!(MediaType::sniff(b"just some words"), None);
    }

    #[test]
    fn external_urls_are_http_or_https() {
        assert!(ExternalUrl::parse("https://cdn.example.com/a.pdf").is_ok());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://x/y",
            "/relative",
            "http://",
        ] {
            assert!(ExternalUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_are_lowercase_hex_of_64() {
        assert!(Sha256Digest::parse(&"a".repeat(64)).is_ok());
        assert!(Sha256Digest::parse(&"A".repeat(64)).is_err());
        assert!(Sha256Digest::parse("../../etc").is_err());
        assert_eq!(Sha256Digest::of_digest(&[0xab, 0x01]).as_str(), "ab01");
    }

    #[test]
    fn content_type_filters_take_a_type_or_a_family() {
        assert_eq!(
            ContentTypeFilter::parse("image/*").unwrap(),
            ContentTypeFilter::Family("image/".into())
        );
        assert_eq!(
            ContentTypeFilter::parse("Image/PNG").unwrap(),
            ContentTypeFilter::Exact("image/png".into())
        );
        assert!(ContentTypeFilter::parse("*").is_err());
    }
}
