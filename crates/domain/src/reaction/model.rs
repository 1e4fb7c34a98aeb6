use crate::{
    id::{MessageId, ReactionId, UserId},
    time::Timestamp,
    DomainError,
};

/// A Unicode emoji (`👍`, `👍🏽`) or a shortcode (`thumbsup`, `+1`, `party_parrot`):
/// `[a-z0-9_+-]{1,64}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let shortcode = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'+' | b'-'));
        if shortcode || emojis::get(raw).is_some() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                "",
                "must be a Unicode emoji or a shortcode of a-z, 0-9, _, + and - (1 to 64)",
            ))
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

/// A reaction to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReaction {
    pub id: ReactionId,
    pub message_id: MessageId,
    pub user_id: UserId,
    pub emoji: Emoji,
    pub created_at: Timestamp,
}

/// What a toggle did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toggled {
    Added,
    Removed,
    /// The emoji is new to the message, which already has the most distinct ones allowed.
    TooManyEmoji,
}

/// The reactions of a message with one emoji.
#[derive(Clone, Debug, PartialEq)]
pub struct ReactionGroup {
    pub emoji: Emoji,
    /// In the order they reacted.
    pub users: Vec<UserId>,
    /// Whether the caller is one of them.
    pub me: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_are_unicode_emoji_or_shortcodes() {
        for good in [
            "👍",
            "👍🏽",
            "🇫🇷",
            "❤️",
            "thumbsup",
            "+1",
            "-1",
            "party_parrot",
        ] {
            assert!(Emoji::parse(good).is_ok(), "{good} should be accepted");
        }
        for bad in ["", "Thumbs", "a b", "x;drop", "👍👍", &"a".repeat(65), "é"] {
            assert!(Emoji::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
