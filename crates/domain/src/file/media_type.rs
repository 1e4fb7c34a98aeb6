//! `MediaType`: a checked media type, and which types are active or previewable.

use std::fmt;

use crate::DomainError;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
}
