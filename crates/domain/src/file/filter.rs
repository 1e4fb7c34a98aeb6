//! `FileFilter`: which files a listing shows, by thread and content type.

use super::MediaType;
use crate::{id::ThreadId, DomainError};

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
