//! `Sha256Digest`: the hex SHA-256 that addresses stored bytes.

use crate::DomainError;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn digests_are_lowercase_hex_of_64() {
        assert!(Sha256Digest::parse(&"a".repeat(64)).is_ok());
        assert!(Sha256Digest::parse(&"A".repeat(64)).is_err());
        assert!(Sha256Digest::parse("../../etc").is_err());
        assert_eq!(Sha256Digest::of_digest(&[0xab, 0x01]).as_str(), "ab01");
    }
}
