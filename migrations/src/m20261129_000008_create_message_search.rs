//! Full-text indexes of message content: FTS5 on SQLite, a `tsvector` with a GIN index on
//! PostgreSQL. Both tokenise words without stemming (`unicode61` / the `simple`
//! configuration), so a query finds the same messages on either backend.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    // External content: the index holds only the tokens; text comes from `messages`, by its
    // integer key `seq` (SQLite only, see m20261129_000006).
    "CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='seq',
        tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.seq, coalesce(new.content, ''));
    END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.seq, coalesce(old.content, ''));
    END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.seq, coalesce(old.content, ''));
        INSERT INTO messages_fts(rowid, content) VALUES (new.seq, coalesce(new.content, ''));
    END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER messages_fts_update",
    "DROP TRIGGER messages_fts_delete",
    "DROP TRIGGER messages_fts_insert",
    "DROP TABLE messages_fts",
];

const POSTGRES_UP: &[&str] = &[
    // Punctuation becomes space first: PostgreSQL's parser would otherwise keep emails,
    // hosts, URLs, paths and numbers like `v3.14` as single tokens and drop `<tags>`, so
    // their words could not be found, while FTS5 (and `SearchText`) split them.
    "ALTER TABLE messages ADD COLUMN search tsvector
        GENERATED ALWAYS AS (to_tsvector('simple',
            regexp_replace(coalesce(content, ''), '[[:punct:]]+', ' ', 'g'))) STORED",
    "CREATE INDEX idx_messages_search ON messages USING GIN (search)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX idx_messages_search",
    "ALTER TABLE messages DROP COLUMN search",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_DOWN, POSTGRES_DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Sqlite => sqlite,
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!(
                "message search is not implemented for {other:?}"
            )))
        }
    };
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}
