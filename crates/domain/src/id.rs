//! Opaque, time-ordered identifiers with a type prefix (`usr_…`, `ses_…`).
//!
//! The text after the prefix is a UUIDv7 in lowercase hex, so ids sort by creation time and
//! keyset pagination can order by id. Clients never parse them; the domain only checks the
//! prefix so that a session id is never mistaken for a user id.

use std::fmt;

use crate::DomainError;

/// What every kind of id offers, for code that reads any of them (the api's path
/// extractor).
pub trait PrefixedId: Sized {
    /// The kind in words, as errors name it: `"thread"`.
    const KIND: &'static str;

    /// Accepts only well-formed ids of this kind (see each id's own `parse`).
    fn parse(raw: &str) -> Result<Self, DomainError>;
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id, later than every id this process made before.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Accepts only well-formed ids of this kind. Anything else cannot name an
            /// existing resource, so callers usually answer it as "not found".
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                let valid = raw
                    .strip_prefix($prefix)
                    .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
                if valid {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(DomainError::invalid("", concat!("is not a valid ", $what, " id")))
                }
            }

            /// Wraps a value read back from our own storage.
            pub fn from_trusted(raw: String) -> Self {
                Self(raw)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl PrefixedId for $name {
            const KIND: &'static str = $what;

            fn parse(raw: &str) -> Result<Self, DomainError> {
                Self::parse(raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(
    /// Identifies a user.
    UserId, "usr_", "user"
);
prefixed_id!(
    /// Identifies a login session (one refresh-token family).
    SessionId, "ses_", "session"
);
prefixed_id!(
    /// Identifies a thread (a conversation).
    ThreadId, "thr_", "thread"
);
prefixed_id!(
    /// Identifies a message in a thread.
    MessageId, "msg_", "message"
);
prefixed_id!(
    /// Identifies one user's reaction to a message.
    ReactionId, "rxn_", "reaction"
);
prefixed_id!(
    /// Identifies a file (uploaded bytes or a link to bytes stored elsewhere).
    FileId, "fil_", "file"
);
prefixed_id!(
    /// Identifies an API key (not its secret, which is never stored).
    ApiKeyId, "key_", "api key"
);
prefixed_id!(
    /// Identifies a share link of a thread (not its token, which is never stored).
    ShareLinkId, "shr_", "share link"
);
prefixed_id!(
    /// Identifies an entry of the audit log.
    AuditEntryId, "aud_", "audit entry"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_carry_their_prefix_and_sort_by_creation() {
        let first = UserId::generate();
        let second = UserId::generate();
        assert!(first.as_str().starts_with("usr_"));
        assert!(first < second);
    }

    #[test]
    fn parse_accepts_own_ids_and_refuses_others() {
        let id = SessionId::generate();
        assert_eq!(SessionId::parse(id.as_str()).ok(), Some(id.clone()));
        assert!(UserId::parse(id.as_str()).is_err());
        assert!(UserId::parse("usr_").is_err());
        assert!(UserId::parse("usr_../../etc/passwd00000000000000000").is_err());
        assert!(UserId::parse(&format!("usr_{}", "A".repeat(32))).is_err());
    }
}
