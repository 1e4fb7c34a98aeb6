//! The link, its token, its limits, and what a reader of a shared thread sees.

use std::fmt;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    auth::Password,
    id::{ShareLinkId, ThreadId, UserId},
    message::Message,
    pagination::{Page, Weigh},
    thread::Thread,
    time::Timestamp,
    user::{PasswordHash, PublicProfile},
    DomainError,
};

/// A link's secret as handed to its creator, once: `xs_` and 256 random bits
/// (base64url). Only its SHA-256 is stored; like an API key's secret, it cannot be
/// guessed however fast a guess is, so a fast hash finds the link in one indexed read.
#[derive(Clone)]
pub struct ShareToken(String);

impl ShareToken {
    pub const PREFIX: &'static str = "xs_";
    /// Longer than any token we issue (`xs_` and 43 characters): refused unread.
    pub const MAX_CHARS: usize = 128;

    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{}{}", Self::PREFIX, URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// What a reader presented, if it could be one of ours at all.
    pub fn from_client(raw: &str) -> Option<Self> {
        (raw.starts_with(Self::PREFIX) && raw.len() <= Self::MAX_CHARS)
            .then(|| Self(raw.to_owned()))
    }

    /// Hex SHA-256: what the link is stored and looked up by.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ShareToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShareToken(..)")
    }
}

/// How many times a link may be opened: 1 to 1,000,000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxViews(u64);

impl MaxViews {
    pub const MAX: u64 = 1_000_000;

    pub fn parse(raw: i64) -> Result<Self, DomainError> {
        match u64::try_from(raw) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(DomainError::invalid("", "must be between 1 and 1000000")),
        }
    }

    pub fn from_trusted(n: u64) -> Self {
        Self(n)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// The password a link may be put behind: 8 to 256 characters.
#[derive(Debug)]
pub struct SharePassword(Password);

impl SharePassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: String) -> Result<Self, DomainError> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(DomainError::invalid(
                "",
                "must be between 8 and 256 characters",
            ));
        }
        Password::parse(raw).map(Self)
    }

    pub fn as_password(&self) -> &Password {
        &self.0
    }
}

/// A link's expiry as asked for: it must lie after `now`.
pub fn future_expiry(at: Timestamp, now: Timestamp) -> Result<Timestamp, DomainError> {
    if at <= now {
        return Err(DomainError::invalid("", "must be in the future"));
    }
    Ok(at)
}

/// A stored link, without its token.
#[derive(Clone, Debug, PartialEq)]
pub struct ShareLink {
    pub id: ShareLinkId,
    pub thread_id: ThreadId,
    /// Who made it.
    pub created_by: UserId,
    /// `None`: never expires.
    pub expires_at: Option<Timestamp>,
    /// `None`: no limit.
    pub max_views: Option<MaxViews>,
    /// Views served so far.
    pub view_count: u64,
    /// Argon2id of the password, if the link has one.
    pub password_hash: Option<PasswordHash>,
    pub created_at: Timestamp,
}

impl ShareLink {
    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    /// Whether the link may still serve a view at `now` (the repository decides again,
    /// atomically, when it counts one).
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|at| at > now)
            && self.max_views.is_none_or(|max| self.view_count < max.get())
    }
}

impl Weigh for ShareLink {
    fn weight(&self) -> usize {
        512
    }
}

/// A link to store, with the hash of its token.
#[derive(Clone, Debug, PartialEq)]
pub struct NewShareLink {
    pub link: ShareLink,
    pub token_hash: String,
}

/// A link just made, with the token its creator sees this once.
#[derive(Clone, Debug)]
pub struct IssuedShareLink {
    pub link: ShareLink,
    pub token: ShareToken,
}

/// What a link may be created with.
#[derive(Debug, Default)]
pub struct CreateShareLink {
    pub expires_at: Option<Timestamp>,
    pub password: Option<SharePassword>,
    pub max_views: Option<MaxViews>,
}

/// One message as a shared thread shows it: the message and its author's public profile
/// (`None` when the author's account is gone).
#[derive(Clone, Debug, PartialEq)]
pub struct SharedMessage {
    pub message: Message,
    pub author: Option<PublicProfile>,
}

/// What one view of a link shows: the thread as it is now and a page of its messages,
/// oldest first.
#[derive(Clone, Debug)]
pub struct SharedThread {
    pub thread: Thread,
    pub messages: Page<SharedMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_only_their_hash_identifies_them() {
        let a = ShareToken::generate();
        let b = ShareToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("xs_"));
        assert_eq!(a.expose().len(), 3 + 43);
        assert_eq!(a.hash().len(), 64);
        assert_eq!(
            ShareToken::from_client(a.expose()).map(|t| t.hash()),
            Some(a.hash())
        );
        assert!(ShareToken::from_client("xl_not-a-share-token").is_none());
        assert!(ShareToken::from_client(&format!("xs_{}", "a".repeat(200))).is_none());
        assert_eq!(format!("{a:?}"), "ShareToken(..)");
    }

    #[test]
    fn max_views_are_1_to_a_million() {
        assert!(MaxViews::parse(0).is_err());
        assert!(MaxViews::parse(-1).is_err());
        assert_eq!(MaxViews::parse(1).map(MaxViews::get).ok(), Some(1));
        assert_eq!(
            MaxViews::parse(1_000_000).map(MaxViews::get).ok(),
            Some(1_000_000)
        );
        assert!(MaxViews::parse(1_000_001).is_err());
    }

    #[test]
    fn passwords_are_8_to_256_characters() {
        assert!(SharePassword::parse("short".into()).is_err());
        assert!(SharePassword::parse("é".repeat(8)).is_ok());
        assert!(SharePassword::parse("é".repeat(256)).is_ok());
        assert!(SharePassword::parse("é".repeat(257)).is_err());
    }
}
