use crate::{
    id::{MessageId, ThreadId, UserId},
    message::MessageRole,
    pagination::Limit,
    text::{self, Lines},
    time::Timestamp,
    DomainError,
};

/// What to search for: up to 200 characters, searched as plain words. Quotes, operators,
/// `*` and `NEAR(` are text like any other: adapters quote every term, so no query
/// syntax of the underlying engine reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchText {
    terms: Vec<String>,
}

impl SearchText {
    pub const MAX_CHARS: usize = 200;
    pub const MAX_TERMS: usize = 16;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = text::bounded(raw.trim(), Self::MAX_CHARS, Lines::Single)?;
        // A term is a run of letters and digits: what both engines' tokenizers index.
        let terms: Vec<String> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect();
        if terms.is_empty() {
            return Err(DomainError::invalid("", "must contain a letter or digit"));
        }
        if terms.len() > Self::MAX_TERMS {
            return Err(DomainError::invalid(
                "",
                format!("must have at most {} words", Self::MAX_TERMS),
            ));
        }
        Ok(Self { terms })
    }

    /// The words to find, all of them, in any order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

/// Whose threads a search covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchScope {
    /// Threads the user is a member of.
    MemberOf(UserId),
    /// Every thread (ADMINs).
    Everything,
}

/// What kinds of things to search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchKind {
    #[default]
    All,
    Message,
    Artifact,
}

impl SearchKind {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "message" => Ok(Self::Message),
            "artifact" => Ok(Self::Artifact),
            _ => Err(DomainError::invalid("", "must be message or artifact")),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchRequest {
    pub text: SearchText,
    pub scope: SearchScope,
    pub thread_id: Option<ThreadId>,
    pub limit: Limit,
    /// How many hits earlier pages showed.
    pub offset: u64,
}

/// Where a snippet's match starts and ends, in the text adapters hand back. Control
/// characters, which message content may not contain (`text::bounded`), so no message can
/// forge them into markup.
pub const MATCH_START: char = '\u{2}';
pub const MATCH_END: char = '\u{3}';

/// An excerpt around the matches, as HTML-safe text in which matches are wrapped in
/// `<mark>…</mark>`; everything else is escaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet(String);

impl Snippet {
    /// From an excerpt in which an adapter put `MATCH_START` / `MATCH_END` around matches.
    pub fn from_marked(raw: &str) -> Self {
        let mut html = String::with_capacity(raw.len() + 16);
        for c in raw.chars() {
            match c {
                MATCH_START => html.push_str("<mark>"),
                MATCH_END => html.push_str("</mark>"),
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
        }
        Self(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message that matched.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageHit {
    pub message_id: MessageId,
    pub thread_id: ThreadId,
    pub author_id: UserId,
    pub role: MessageRole,
    pub snippet: Snippet,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_is_only_text() {
        let text = SearchText::parse(r#"  "deploy" OR NEAR(plan* -x) 'a'  "#);
        assert_eq!(
            text.ok().map(|t| t.terms),
            Some(
                vec!["deploy", "or", "near", "plan", "x", "a"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
        assert!(SearchText::parse("\"*\" ()").is_err());
        assert!(SearchText::parse("").is_err());
        assert!(SearchText::parse(&"a ".repeat(17)).is_err());
        assert!(SearchText::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        let raw = format!("<b>{MATCH_START}deploy{MATCH_END}</b> & co");
        assert_eq!(
            Snippet::from_marked(&raw).as_str(),
            "&lt;b&gt;<mark>deploy</mark>&lt;/b&gt; &amp; co"
        );
    }
}
