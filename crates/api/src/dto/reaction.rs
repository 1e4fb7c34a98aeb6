use domain::reaction::ReactionGroup;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The users who reacted to a message with one emoji.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ReactionGroup)]
pub struct ReactionGroupResponse {
    #[schema(example = "thumbsup")]
    pub emoji: String,
    pub count: u64,
    /// In the order they reacted.
    pub users: Vec<String>,
    /// Whether the caller is one of them.
    pub me: bool,
}

impl From<ReactionGroup> for ReactionGroupResponse {
    fn from(group: ReactionGroup) -> Self {
        Self {
            emoji: group.emoji.as_str().to_owned(),
            count: group.users.len() as u64,
            users: group.users.iter().map(ToString::to_string).collect(),
            me: group.me,
        }
    }
}

/// A Unicode emoji (`👍`) or a shortcode `[a-z0-9_+-]{1,64}` (`thumbsup`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToggleReactionRequest {
    #[schema(example = "thumbsup")]
    pub emoji: String,
}

/// What the toggle did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToggledReaction {
    pub emoji: String,
    /// `true` when the reaction was added, `false` when it was removed.
    pub added: bool,
}

/// The `{emoji}` segment of `DELETE /messages/{id}/reactions/{emoji}`, decoded; the
/// handler parses it, so a bad one is a validation error naming `emoji`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EmojiSegment {
    /// The emoji or shortcode, URL-encoded
    pub emoji: String,
}
