//! `FileName`: a filename safe to show and to send in a `Content-Disposition`.

use crate::DomainError;

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
}
