//! Pages of rows that may each be large (messages, revisions: up to 200,000 characters of
//! text plus their blocks). Their sizes are read first, which the databases answer from
//! the stored lengths without sending the values; the one pagination helper cuts the page
//! to its byte budget (`Page::from_overfetch`); then only the rows that fit are loaded. A
//! page of 100 large messages therefore never crosses the driver whole.

use domain::{
    pagination::{Limit, Page, Weigh},
    DomainResult,
};
use sea_orm::{
    sea_query::{Expr, SimpleExpr},
    ColumnAsExpr, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QuerySelect, Select,
};

use super::db_error::unexpected;

/// A row's sort key and the bytes of its large columns.
#[derive(Debug, FromQueryResult)]
struct SizedRow {
    pub key: String,
    pub bytes: i64,
}

/// What the row's other fields add, as `domain::weight` counts them.
const OTHER_FIELDS: usize = 512;

impl Weigh for SizedRow {
    fn weight(&self) -> usize {
        OTHER_FIELDS + usize::try_from(self.bytes).unwrap_or(0)
    }
}

/// The bytes stored in the given text and JSON columns of a row, as a `BIGINT`.
/// `octet_length` reads a value's length without its bytes on both databases (SQLite
/// 3.43+, from the record header; PostgreSQL from the TOAST header); JSON columns are
/// `json` on PostgreSQL, stored as text, and need the cast to be measured.
pub fn stored_bytes(backend: DbBackend, text: &[&str], json: &[&str]) -> SimpleExpr {
    let json_cast = match backend {
        DbBackend::Postgres => "::text",
        _ => "",
    };
    let terms: Vec<String> = text
        .iter()
        .map(|column| format!("COALESCE(octet_length(\"{column}\"), 0)"))
        .chain(
            json.iter()
                .map(|column| format!("COALESCE(octet_length(\"{column}\"{json_cast}), 0)")),
        )
        .collect();
    Expr::cust(format!("CAST({} AS BIGINT)", terms.join(" + ")))
}

/// The rows of `query` (filtered and ordered) that one page may hold: reads the `key` and
/// the `bytes` of `limit + 1` of them on `db` and cuts them to the page's byte budget. The
/// page's items are the keys of the rows to load, its cursor the one the loaded page
/// carries.
pub async fn fitting<E: EntityTrait>(
    query: Select<E>,
    key: impl ColumnAsExpr,
    bytes: SimpleExpr,
    db: &impl ConnectionTrait,
    limit: Limit,
) -> DomainResult<Page<String>> {
    let rows = query
        .select_only()
        .column_as(key, "key")
        .column_as(bytes, "bytes")
        .limit(limit.get() + 1)
        .into_model::<SizedRow>()
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(Page::from_overfetch(rows, limit, |row| row.key.clone()).map(|row| row.key))
}
