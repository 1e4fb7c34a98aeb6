//! `ExternalUrl`: an http or https link to bytes kept elsewhere.

use crate::DomainError;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
}
