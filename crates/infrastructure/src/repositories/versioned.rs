//! Writes to one row on the condition that it is still at the version the caller read
//! (`expected_updated_at`, when given), and the end of their transactions: the event and
//! the commit when the row was written, the rollback and the reason when it was not.

use std::future::Future;

use domain::{event::NewEvent, time::Timestamp, DomainError, DomainResult};
use sea_orm::{
    sea_query::{Expr, IntoIden, SimpleExpr},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DeleteMany, EntityTrait, QueryFilter,
    UpdateMany,
};

use super::{
    db_error::{unchanged, unexpected},
    event_log,
};
use crate::entities::{file, message, thread, user};

/// An entity whose rows have an id and a version: the time of their last change.
pub trait Versioned: EntityTrait {
    const ID: Self::Column;
    const UPDATED_AT: Self::Column;
}

macro_rules! versioned {
    ($($entity:ident),*) => {
        $(impl Versioned for $entity::Entity {
            const ID: $entity::Column = $entity::Column::Id;
            const UPDATED_AT: $entity::Column = $entity::Column::UpdatedAt;
        })*
    };
}

versioned!(file, message, thread, user);

/// `UPDATE … SET updated_at = now WHERE id = … [AND updated_at = expected]`, to which the
/// caller adds the changed columns (`set_changed`).
pub fn update<E: Versioned>(
    id: &str,
    expected: Option<Timestamp>,
    now: Timestamp,
) -> UpdateMany<E> {
    let update = E::update_many()
        .col_expr(E::UPDATED_AT, Expr::value(now))
        .filter(E::ID.eq(id));
    if_current::<E, _>(update, expected)
}

/// `DELETE … WHERE id = … [AND updated_at = expected]`.
pub fn delete<E: Versioned>(id: &str, expected: Option<Timestamp>) -> DeleteMany<E> {
    if_current::<E, _>(E::delete_many().filter(E::ID.eq(id)), expected)
}

fn if_current<E: Versioned, Q: QueryFilter>(query: Q, expected: Option<Timestamp>) -> Q {
    match expected {
        Some(expected) => query.filter(E::UPDATED_AT.eq(expected)),
        None => query,
    }
}

/// Sets a column of an update to a change's new value, when the change has one.
pub trait SetChanged: Sized {
    fn set_changed<V: Into<SimpleExpr>>(self, column: impl IntoIden, value: Option<V>) -> Self;
}

impl<E: EntityTrait> SetChanged for UpdateMany<E> {
    fn set_changed<V: Into<SimpleExpr>>(self, column: impl IntoIden, value: Option<V>) -> Self {
        match value {
            Some(value) => self.col_expr(column, Expr::value(value)),
            None => self,
        }
    }
}

/// After a conditional write touched no row: is the row gone (`NotFound(what)`) or has it
/// moved on from the version the caller named?
pub async fn why_unchanged<E: Versioned>(
    db: &impl ConnectionTrait,
    id: &str,
    what: &'static str,
) -> DomainError {
    let found = E::find()
        .filter(E::ID.eq(id))
        .one(db)
        .await
        .map_err(unexpected);
    unchanged(found, what)
}

/// Ends `tx`, in which a write had to change exactly one row and changed `written`: when
/// it did, appends `event` and commits; otherwise rolls back and fails with what `why`
/// then finds out (after the rollback, so that it reads what is committed).
pub async fn commit_one(
    tx: DatabaseTransaction,
    written: u64,
    event: &NewEvent,
    why: impl Future<Output = DomainError>,
) -> DomainResult<()> {
    if written != 1 {
        return rolled_back(tx, why).await;
    }
    event_log::append(&tx, event).await?;
    tx.commit().await.map_err(unexpected)
}

/// Rolls `tx` back and fails with what `why` then finds out.
pub async fn rolled_back<T>(
    tx: DatabaseTransaction,
    why: impl Future<Output = DomainError>,
) -> DomainResult<T> {
    tx.rollback().await.map_err(unexpected)?;
    Err(why.await)
}
