use domain::{
    error::Validator,
    id::ThreadId,
    search::{MessageHit, SearchKind, SearchText},
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{message::MessageRoleDto, rfc3339};

/// What to search: `message` or `artifact`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = SearchType)]
pub enum SearchTypeDto {
    Message,
    Artifact,
}

list_query! {
    /// What to find, where, and a page of it.
    pub struct SearchQuery {
        /// Words to find (all of them), 1 to 200 characters. Any text is safe: quotes and
        /// operators are searched as words.
        #[garde(skip)]
        pub q: String,
        /// Only this thread.
        #[garde(length(max = 64))]
        pub thread_id: Option<String>,
        /// `message` or `artifact`; both when absent (artifacts are not searchable yet).
        #[garde(skip)]
        #[serde(rename = "type")]
        #[param(rename = "type", value_type = Option<SearchTypeDto>)]
        pub kind: Option<String>,
    }
}

/// The parsed query: what to find, where, and of which kind.
pub struct ParsedSearch {
    pub text: SearchText,
    pub thread_id: Option<ThreadId>,
    pub kind: SearchKind,
}

impl SearchQuery {
    pub fn parse(&self) -> Result<ParsedSearch, DomainError> {
        let mut v = Validator::new();
        let text = v.check("q", SearchText::parse(&self.q));
        let thread_id = v.check(
            "thread_id",
            self.thread_id.as_deref().map(ThreadId::parse).transpose(),
        );
        let kind = v.check(
            "type",
            self.kind.as_deref().map(SearchKind::parse).transpose(),
        );
        v.finish()?;
        match (text, thread_id, kind) {
            (Some(text), Some(thread_id), Some(kind)) => Ok(ParsedSearch {
                text,
                thread_id,
                kind: kind.unwrap_or_default(),
            }),
            _ => Err(DomainError::invalid("q", "is not a valid search")),
        }
    }
}

/// A message that matched.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SearchHit)]
pub struct SearchHitResponse {
    /// `message` (artifacts later).
    #[serde(rename = "type")]
    #[schema(example = "message")]
    pub kind: &'static str,
    /// The message id.
    pub id: String,
    pub thread_id: String,
    pub author_id: String,
    pub role: MessageRoleDto,
    /// An excerpt around the matches: HTML-escaped text with matches in `<mark>…</mark>`.
    #[schema(example = "…the <mark>deploy</mark> plan for Friday…")]
    pub snippet: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<MessageHit> for SearchHitResponse {
    fn from(hit: MessageHit) -> Self {
        Self {
            kind: "message",
            id: hit.message_id.to_string(),
            thread_id: hit.thread_id.to_string(),
            author_id: hit.author_id.to_string(),
            role: hit.role.into(),
            snippet: hit.snippet.as_str().to_owned(),
            created_at: rfc3339(hit.created_at),
        }
    }
}
