//! Message search: SQLite FTS5 or PostgreSQL full-text search, one query per backend.
//!
//! The domain hands over plain words (letters and digits only); each becomes a quoted
//! FTS5 phrase or a `plainto_tsquery` word, so no text can reach either engine as syntax.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    id::{MessageId, ThreadId, UserId},
    message::MessageRole,
    search::{
        MessageHit, SearchRepository, SearchRequest, SearchScope, Snippet, MATCH_END, MATCH_START,
    },
    DomainResult,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};

use super::db_error::{corrupt, unexpected};
use crate::database::Pools;

/// Words of context around the matches in a snippet (PostgreSQL: at most and at least).
const SNIPPET_WORDS: i64 = 16;
const SNIPPET_MIN_WORDS: i64 = 10;

/// PostgreSQL: put around each punctuation character before `ts_headline`, so that its
/// parser splits words where the index did (no email, URL or `<tag>` tokens, which it
/// would not mark or, for tags, would drop), and removed from the snippet again. Message
/// content never holds it: control characters are refused.
const SPLIT: char = '\u{1}';

pub struct SeaSearchRepository {
    db: Pools,
}

impl SeaSearchRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[derive(FromQueryResult)]
struct HitRow {
    id: String,
    thread_id: String,
    author_id: String,
    role: String,
    created_at: DateTime<Utc>,
    snippet: String,
}

#[async_trait]
impl SearchRepository for SeaSearchRepository {
    async fn search_messages(&self, request: &SearchRequest) -> DomainResult<Vec<MessageHit>> {
        let backend = self.db.read.get_database_backend();
        let statement = match backend {
            DatabaseBackend::Postgres => postgres_query(request),
            _ => sqlite_query(request),
        };
        HitRow::find_by_statement(statement)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|row| {
                Ok(MessageHit {
                    message_id: MessageId::from_trusted(row.id),
                    thread_id: ThreadId::from_trusted(row.thread_id),
                    author_id: UserId::from_trusted(row.author_id),
                    role: MessageRole::parse(&row.role).map_err(|e| corrupt("message", e))?,
                    snippet: Snippet::from_marked(&row.snippet.replace(SPLIT, "")),
                    created_at: row.created_at,
                })
            })
            .collect()
    }
}

/// The filters both backends share, with the placeholder style of each.
struct Filters {
    sql_join: String,
    sql_where: String,
    values: Vec<Value>,
}

fn filters(request: &SearchRequest, mut placeholder: impl FnMut() -> String) -> Filters {
    let mut values = Vec::new();
    let mut sql_join = String::new();
    let mut sql_where = String::new();
    if let SearchScope::MemberOf(user) = &request.scope {
        sql_join = format!(
            " JOIN thread_members tm ON tm.thread_id = m.thread_id AND tm.user_id = {}",
            placeholder()
        );
        values.push(user.to_string().into());
    }
    if let Some(thread) = &request.thread_id {
        sql_where = format!(" AND m.thread_id = {}", placeholder());
        values.push(thread.to_string().into());
    }
    Filters {
        sql_join,
        sql_where,
        values,
    }
}

fn page_values(request: &SearchRequest) -> [Value; 2] {
    let limit = i64::try_from(request.limit.get() + 1).unwrap_or(i64::MAX);
    let offset = i64::try_from(request.offset).unwrap_or(i64::MAX);
    [limit.into(), offset.into()]
}

fn sqlite_query(request: &SearchRequest) -> Statement {
    // Every term a quoted phrase: `"deploy" "plan"` finds messages with both words.
    let phrase = request
        .text
        .terms()
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" ");
    let f = filters(request, || "?".to_owned());
    let sql = format!(
        "SELECT m.id, m.thread_id, m.author_id, m.role, m.created_at, \
         snippet(messages_fts, 0, ?, ?, '…', {SNIPPET_WORDS}) AS snippet \
         FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid{join} \
         WHERE messages_fts MATCH ?{filter} \
         ORDER BY messages_fts.rank, m.id DESC LIMIT ? OFFSET ?",
        join = f.sql_join,
        filter = f.sql_where,
    );
    let mut values: Vec<Value> = vec![MATCH_START.to_string().into(), MATCH_END.to_string().into()];
    // The join's value comes before MATCH, the thread filter's after it.
    let mut rest = f.values.into_iter();
    if matches!(request.scope, SearchScope::MemberOf(_)) {
        values.extend(rest.next());
    }
    values.push(phrase.into());
    values.extend(rest);
    values.extend(page_values(request));
    Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values)
}

fn postgres_query(request: &SearchRequest) -> Statement {
    let words = request.text.terms().join(" ");
    let options = format!(
        "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_MIN_WORDS}"
    );
    let mut n = 2;
    let f = filters(request, || {
        n += 1;
        format!("${n}")
    });
    let sql = format!(
        "SELECT m.id, m.thread_id, m.author_id, m.role, m.created_at, \
         ts_headline('simple', regexp_replace(coalesce(m.content, ''), '([[:punct:]])', \
         chr(1) || '\\1' || chr(1), 'g'), q, $2) AS snippet \
         FROM messages m CROSS JOIN plainto_tsquery('simple', $1) q{join} \
         WHERE m.search @@ q{filter} \
         ORDER BY ts_rank(m.search, q) DESC, m.id DESC LIMIT ${limit} OFFSET ${offset}",
        join = f.sql_join,
        filter = f.sql_where,
        limit = n + 1,
        offset = n + 2,
    );
    let mut values: Vec<Value> = vec![words.into(), options.into()];
    values.extend(f.values);
    values.extend(page_values(request));
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}
