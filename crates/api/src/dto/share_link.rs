//! Share links on the wire: the link as listed (never its token), the link with its token
//! and URL as shown once, the request that makes one, and the shared thread as a reader
//! without an account sees it.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use domain::{
    error::Validator,
    share_link::{
        future_expiry, CreateShareLink, IssuedShareLink, MaxViews, ShareLink, SharePassword,
        SharedMessage, SharedThread,
    },
    thread::Thread,
    time::{self, Timestamp},
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    message::{MessageRoleDto, MessageStatusDto},
    rfc3339,
    user::PublicUserResponse,
    CheckOptional,
};

/// A share link as listed: everything but its token (and so its URL), which are shown
/// only when it is made.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ShareLink)]
pub struct ShareLinkResponse {
    #[schema(example = "shr_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    pub thread_id: String,
    /// After this the link answers 404; `null`: it does not expire.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// How many views it serves in all; `null`: no limit.
    #[schema(example = 5)]
    pub max_views: Option<u64>,
    /// Views served so far (a view is one successful `GET /shared/{token}`).
    #[schema(example = 0)]
    pub view_count: u64,
    /// Whether readers must send `X-Share-Password`.
    pub has_password: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<ShareLink> for ShareLinkResponse {
    fn from(link: ShareLink) -> Self {
        Self {
            has_password: link.has_password(),
            id: link.id.to_string(),
            thread_id: link.thread_id.to_string(),
            expires_at: link.expires_at.map(rfc3339),
            max_views: link.max_views.map(MaxViews::get),
            view_count: link.view_count,
            created_at: rfc3339(link.created_at),
        }
    }
}

/// A link just made, with its token and URL. The token is not stored and cannot be shown
/// again: keep it now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = IssuedShareLink)]
pub struct IssuedShareLinkResponse {
    #[serde(flatten)]
    pub link: ShareLinkResponse,
    /// `xs_` and 256 random bits.
    #[schema(example = "xs_U2hhcmUgdG9rZW4gZXhhbXBsZSwgbm90IGEgcmVhbCBvbmUu")]
    pub token: String,
    /// Absolute URL of `GET /api/v1/shared/{token}`.
    #[schema(
        example = "https://chat.example.com/api/v1/shared/xs_U2hhcmUgdG9rZW4gZXhhbXBsZSwgbm90IGEgcmVhbCBvbmUu"
    )]
    pub url: String,
}

impl IssuedShareLinkResponse {
    /// `url_of` turns the public path of the token into an absolute URL.
    pub fn new(issued: IssuedShareLink, url_of: impl FnOnce(&str) -> String) -> Self {
        let token = issued.token.expose().to_owned();
        Self {
            url: url_of(&shared_path(&token)),
            token,
            link: ShareLinkResponse::from(issued.link),
        }
    }
}

/// Where a token is read: `/api/v1/shared/{token}`.
pub fn shared_path(token: &str) -> String {
    format!("/api/v1/shared/{token}")
}

/// A new share link. Every field is optional: `{}` makes a link without expiry, limit or
/// password.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateShareLink)]
pub struct CreateShareLinkRequest {
    /// A future instant (RFC 3339); absent or `null`: the link does not expire.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// 8–256 characters; readers send it as `X-Share-Password`. Stored hashed (Argon2id).
    #[schema(example = "correct horse battery")]
    pub password: Option<String>,
    /// 1–1,000,000 views in all; absent or `null`: no limit.
    #[schema(minimum = 1, maximum = 1_000_000, example = 5)]
    pub max_views: Option<i64>,
}

impl TryFrom<CreateShareLinkRequest> for CreateShareLink {
    type Error = DomainError;

    fn try_from(body: CreateShareLinkRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let input = Self {
            expires_at: v.parsed("expires_at", body.expires_at.as_deref(), |raw| {
                future_expiry(parse_time(raw)?, time::now())
            }),
            password: v.parsed("password", body.password, SharePassword::parse),
            max_views: v.parsed("max_views", body.max_views, MaxViews::parse),
        };
        v.finish()?;
        Ok(input)
    }
}

fn parse_time(raw: &str) -> Result<Timestamp, DomainError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(3))
        .map_err(|_| DomainError::invalid("", "must be an RFC 3339 timestamp"))
}

/// The thread as a shared link shows it: no members, metadata or memory.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SharedThreadInfo)]
pub struct SharedThreadInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Thread> for SharedThreadInfo {
    fn from(thread: Thread) -> Self {
        Self {
            id: thread.id.to_string(),
            title: thread.title.as_str().to_owned(),
            description: thread.description.as_str().to_owned(),
            created_at: rfc3339(thread.created_at),
            updated_at: rfc3339(thread.updated_at),
        }
    }
}

/// A message as a shared link shows it: its author as a public profile, without its
/// metadata or attachments.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SharedMessage)]
pub struct SharedMessageResponse {
    pub id: String,
    pub role: MessageRoleDto,
    pub content: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub blocks: serde_json::Value,
    pub parent_id: Option<String>,
    pub status: MessageStatusDto,
    #[schema(example = json!({"thumbsup": 2}))]
    pub reaction_counts: BTreeMap<String, u64>,
    /// `null` when the author's account is gone.
    pub author: Option<PublicUserResponse>,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<SharedMessage> for SharedMessageResponse {
    fn from(shared: SharedMessage) -> Self {
        let message = shared.message;
        Self {
            id: message.id.to_string(),
            role: message.role.into(),
            content: message.content.map(|c| c.as_str().to_owned()),
            blocks: message.blocks.into_value(),
            parent_id: message.parent_id.map(|p| p.to_string()),
            status: message.status.into(),
            reaction_counts: message.reaction_counts,
            author: shared.author.map(PublicUserResponse::from),
            edited_at: message.edited_at.map(rfc3339),
            created_at: rfc3339(message.created_at),
            updated_at: rfc3339(message.updated_at),
        }
    }
}

/// One view of a shared thread: the thread and a page of its messages, oldest first
/// (`metadata.pagination` pages the messages).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SharedThread)]
pub struct SharedThreadResponse {
    pub thread: SharedThreadInfo,
    pub messages: Vec<SharedMessageResponse>,
}

impl From<SharedThread> for SharedThreadResponse {
    fn from(shared: SharedThread) -> Self {
        Self {
            thread: SharedThreadInfo::from(shared.thread),
            messages: shared
                .messages
                .items
                .into_iter()
                .map(SharedMessageResponse::from)
                .collect(),
        }
    }
}
