//! The key, its scopes, its name and its secret.

use std::{collections::BTreeSet, fmt, str::FromStr};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    id::{ApiKeyId, UserId},
    pagination::Weigh,
    precondition::EntityTag,
    time::Timestamp,
    DomainError,
};

/// One permission a key may hold. A key holds a set of them; a bearer token holds none
/// and may do everything its role allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    ThreadsRead,
    ThreadsWrite,
    MessagesRead,
    MessagesWrite,
    /// Post messages as `assistant`, `system` or `tool` (with `messages:write`; the owner
    /// must also be an ADMIN).
    MessagesAssistant,
    FilesRead,
    FilesWrite,
    ArtifactsRead,
    ArtifactsWrite,
    /// Use the owner's ADMIN powers over users (list, create, change, delete).
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::ThreadsRead,
        Scope::ThreadsWrite,
        Scope::MessagesRead,
        Scope::MessagesWrite,
        Scope::MessagesAssistant,
        Scope::FilesRead,
        Scope::FilesWrite,
        Scope::ArtifactsRead,
        Scope::ArtifactsWrite,
        Scope::Admin,
    ];

    /// The name clients send and see: `threads:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ThreadsRead => "threads:read",
            Scope::ThreadsWrite => "threads:write",
            Scope::MessagesRead => "messages:read",
            Scope::MessagesWrite => "messages:write",
            Scope::MessagesAssistant => "messages:assistant",
            Scope::FilesRead => "files:read",
            Scope::FilesWrite => "files:write",
            Scope::ArtifactsRead => "artifacts:read",
            Scope::ArtifactsWrite => "artifacts:write",
            Scope::Admin => "admin",
        }
    }

    /// Scopes only an ADMIN may put on a key: they reach beyond what a USER can do.
    pub fn is_admin_only(self) -> bool {
        matches!(self, Scope::MessagesAssistant | Scope::Admin)
    }
}

impl FromStr for Scope {
    type Err = DomainError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == raw)
            .ok_or_else(|| DomainError::invalid("", format!("`{raw}` is not a scope")))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes of a key: at least one, each once, in a fixed order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Result<Self, DomainError> {
        let set: BTreeSet<Scope> = scopes.into_iter().collect();
        if set.is_empty() {
            return Err(DomainError::invalid("", "must name at least one scope"));
        }
        Ok(Self(set))
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// The first scope that only an ADMIN may grant, if any.
    pub fn admin_only(&self) -> Option<Scope> {
        self.iter().find(|scope| scope.is_admin_only())
    }

    /// Space-separated names, as stored.
    pub fn to_stored(&self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Reads back what [`Self::to_stored`] wrote; unknown names (none today) are skipped
    /// rather than granted.
    pub fn from_stored(raw: &str) -> Self {
        Self(raw.split(' ').filter_map(|s| s.parse().ok()).collect())
    }
}

/// What a key is called by its owner: 1–100 characters on one line, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyName(String);

impl ApiKeyName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid("", "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid("", "must be at most 100 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DomainError::invalid("", "must be one line of text"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key's secret as handed to its owner, once: `xl_` and 256 random bits (base64url).
///
/// Only its SHA-256 is stored. A fast hash is enough here, unlike for passwords: Argon2
/// makes guessing low-entropy secrets expensive, but 256 bits from a CSPRNG cannot be
/// guessed however fast each guess is, and a fast hash lets every request look the key up
/// by its hash in one indexed read instead of running a deliberately slow function.
#[derive(Clone)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    pub const PREFIX: &'static str = "xl_";
    /// How much of the secret is kept in clear to recognise a key: `xl_` and 8 more.
    pub const SHOWN_CHARS: usize = 11;

    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{}{}", Self::PREFIX, URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// What a client presented; it proves something only if its hash is stored.
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first characters, for lists: enough to tell keys apart, too few to use.
    pub fn shown_prefix(&self) -> String {
        self.0.chars().take(Self::SHOWN_CHARS).collect()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(..)")
    }
}

/// A stored key, without its secret.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: ApiKeyName,
    pub scopes: Scopes,
    pub prefix: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    pub fn etag(&self) -> EntityTag {
        EntityTag::of(self.updated_at)
    }
}

impl Weigh for ApiKey {
    fn weight(&self) -> usize {
        512 + self.name.as_str().len()
    }
}

/// A key to store, with the hash of its secret.
#[derive(Clone, Debug, PartialEq)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub secret_hash: String,
}

/// A key just made (or rotated), with the secret its owner sees this once.
#[derive(Clone, Debug)]
pub struct IssuedApiKey {
    pub key: ApiKey,
    pub secret: ApiKeySecret,
}

/// What a key may be created with.
#[derive(Clone, Debug)]
pub struct CreateApiKey {
    pub name: ApiKeyName,
    pub scopes: Scopes,
    pub expires_at: Option<Timestamp>,
}

/// The fields a change sets; `None` leaves one alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiKeyChanges {
    pub name: Option<ApiKeyName>,
    pub scopes: Option<Scopes>,
}

/// What a caller who authenticated with a key carries: which key, and what it may do.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyGrant {
    pub id: ApiKeyId,
    pub scopes: Scopes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_by_their_names_only() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().ok(), Some(scope));
        }
        assert!("threads:delete".parse::<Scope>().is_err());
        assert!("THREADS:READ".parse::<Scope>().is_err());
    }

    #[test]
    fn a_scope_set_is_never_empty_and_round_trips_through_storage() {
        assert!(Scopes::new([]).is_err());
        let scopes = Scopes::new([Scope::MessagesWrite, Scope::ThreadsRead, Scope::ThreadsRead])
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(scopes.to_stored(), "threads:read messages:write");
        assert_eq!(Scopes::from_stored(&scopes.to_stored()), scopes);
        assert_eq!(scopes.admin_only(), None);
    }

    #[test]
    fn assistant_and_admin_are_the_admin_only_scopes() {
        let only: Vec<_> = Scope::ALL
            .into_iter()
            .filter(|s| s.is_admin_only())
            .collect();
        assert_eq!(only, vec![Scope::MessagesAssistant, Scope::Admin]);
    }

    #[test]
    fn names_are_one_trimmed_line_of_1_to_100_characters() {
        assert_eq!(
            ApiKeyName::parse("  ci bot ")
                .map(|n| n.as_str().to_owned())
                .ok(),
            Some("ci bot".to_owned())
        );
        assert!(ApiKeyName::parse("   ").is_err());
        assert!(ApiKeyName::parse(&"é".repeat(101)).is_err());
        assert!(ApiKeyName::parse(&"é".repeat(100)).is_ok());
        assert!(ApiKeyName::parse("two\nlines").is_err());
    }

    #[test]
    fn secrets_carry_256_random_bits_and_only_their_hash_identifies_them() {
        let a = ApiKeySecret::generate();
        let b = ApiKeySecret::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("xl_"));
        // 32 bytes in unpadded base64url are 43 characters.
        assert_eq!(a.expose().len(), 3 + 43);
        assert_eq!(a.hash().len(), 64);
        assert_eq!(ApiKeySecret::from_client(a.expose()).hash(), a.hash());
        assert_eq!(a.shown_prefix().len(), ApiKeySecret::SHOWN_CHARS);
        assert!(a.expose().starts_with(&a.shown_prefix()));
        assert_eq!(format!("{a:?}"), "ApiKeySecret(..)");
    }
}
