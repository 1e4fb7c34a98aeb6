//! The one translation of database failures into domain errors. Constraint violations are
//! recognised portably through `DbErr::sql_err()`, never by a backend's error code.

use domain::{DomainError, DomainResult};
use sea_orm::{DbErr, SqlErr};

/// A unique violation becomes `Conflict(conflict)`; everything else is unexpected.
pub fn classify(err: DbErr, conflict: &'static str) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(conflict),
        _ => unexpected(err),
    }
}

pub fn unexpected(err: DbErr) -> DomainError {
    DomainError::Unexpected(anyhow::Error::new(err).context("database operation failed"))
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
