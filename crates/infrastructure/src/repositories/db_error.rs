//! The one translation of database failures into domain errors. Constraint violations are
//! recognised portably through `DbErr::sql_err()`, never by a backend's error code.

use domain::{DomainError, DomainResult};
use sea_orm::{sqlx, DbErr, RuntimeErr, SqlErr};

/// A unique violation becomes `Conflict(conflict)`; everything else is unexpected.
pub fn classify(err: DbErr, conflict: &'static str) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(conflict),
        _ => unexpected(err),
    }
}

/// A failure the caller could not have caused: `StorageFull` when the database has no room
/// left, otherwise unexpected.
pub fn unexpected(err: DbErr) -> DomainError {
    if is_storage_full(&err) {
        tracing::warn!(error = %err, "the database is full; the write was refused");
        return DomainError::StorageFull;
    }
    DomainError::Unexpected(anyhow::Error::new(err).context("database operation failed"))
}

/// SQLite's `SQLITE_FULL` (13: the disk or the database's size limit is reached) and
/// PostgreSQL's `disk_full` (53100). `DbErr::sql_err()` does not classify these.
fn is_storage_full(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx::Error::Database(database)) = runtime else {
        return false;
    };
    matches!(database.code().as_deref(), Some("13" | "53100"))
}

/// The rows a query returned, each made a domain value by `convert`.
pub fn converted<M, T>(
    rows: Result<Vec<M>, DbErr>,
    convert: impl FnMut(M) -> DomainResult<T>,
) -> DomainResult<Vec<T>> {
    rows.map_err(unexpected)?.into_iter().map(convert).collect()
}

/// The row a query found, if any, made a domain value by `convert`.
pub fn converted_one<M, T>(
    row: Result<Option<M>, DbErr>,
    convert: impl FnOnce(M) -> DomainResult<T>,
) -> DomainResult<Option<T>> {
    row.map_err(unexpected)?.map(convert).transpose()
}

/// A stored value that the domain refuses: the row was written by something else.
pub fn corrupt(what: &str, err: DomainError) -> DomainError {
    DomainError::Unexpected(anyhow::anyhow!("stored {what} is invalid: {err}"))
}

/// After a conditional write touched no row: the row is gone (`NotFound(what)`) or has
/// moved on from the version the caller named (`PreconditionFailed`).
pub fn unchanged<T>(still_there: DomainResult<Option<T>>, what: &'static str) -> DomainError {
    match still_there {
        Ok(Some(_)) => DomainError::PreconditionFailed,
        Ok(None) => DomainError::NotFound(what),
        Err(err) => err,
    }
}
