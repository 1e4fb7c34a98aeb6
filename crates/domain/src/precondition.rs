//! Entity tags for optimistic concurrency (`ETag` / `If-Match`).
//!
//! A resource's tag is derived from its `updated_at`, which every change moves forward, so
//! the tag can be computed from the entity alone without storing anything extra.

use crate::{time::Timestamp, DomainError};

/// The version of a resource as clients see it in `ETag`, without the quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityTag(String);

impl EntityTag {
    pub fn of(updated_at: Timestamp) -> Self {
        Self(format!("{:x}", updated_at.timestamp_millis()))
    }

    /// A tag that also moves with what changes a representation without a write to the
    /// resource itself (a thread's message count, a message's reactions).
    pub fn with_state(updated_at: Timestamp, state: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(state);
        let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("{:x}-{short}", updated_at.timestamp_millis()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an `If-Match` header asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Precondition {
    /// No header: the write goes ahead.
    #[default]
    None,
    /// `If-Match: *` or a list of tags; the write goes ahead only if one matches.
    IfMatch(Vec<String>),
}

impl Precondition {
    /// Fails with `PreconditionFailed` when the current version is not one the client named.
    pub fn check(&self, current: &EntityTag) -> Result<(), DomainError> {
        match self {
            Self::None => Ok(()),
            Self::IfMatch(tags) if tags.iter().any(|t| t == "*" || t == current.as_str()) => Ok(()),
            Self::IfMatch(_) => Err(DomainError::PreconditionFailed),
        }
    }

    /// The version a write must still find, given the one the check passed against: only
    /// a client that named a version needs the write to be conditional; the others simply
    /// go ahead (last write wins).
    pub fn write_condition(&self, checked: Timestamp) -> Option<Timestamp> {
        match self {
            Self::None => None,
            Self::IfMatch(_) => Some(checked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_passes_only_for_the_current_tag_or_a_star() {
        let now = crate::time::now();
        let tag = EntityTag::of(now);
        assert!(Precondition::None.check(&tag).is_ok());
        assert!(Precondition::IfMatch(vec!["*".into()]).check(&tag).is_ok());
        assert!(Precondition::IfMatch(vec![tag.as_str().into()])
            .check(&tag)
            .is_ok());
        assert!(matches!(
            Precondition::IfMatch(vec!["stale".into()]).check(&tag),
            Err(DomainError::PreconditionFailed)
        ));
    }
}
