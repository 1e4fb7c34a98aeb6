//! Appends to the `events` table inside a repository's transaction.

use domain::{event::NewEvent, idempotency::Receipt, DomainResult};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, Statement,
};

use super::{db_error::unexpected, idempotency_receipt};
use crate::entities::event;

/// Any fixed number: the key of the advisory lock that orders event commits.
const EVENT_ORDER_LOCK: i64 = 0x6576_656e_7473;

/// Appends `event` as the last write of `tx`.
///
/// Readers resume a stream "after id N", so ids must become visible in increasing order.
/// SQLite has one writer at a time, which gives that for free. PostgreSQL draws ids from
/// a sequence at insert time but shows rows at commit, so two transactions could commit
/// out of id order; a transaction-scoped advisory lock, taken just before the insert and
/// held until commit, makes event-writing commits follow their ids.
///
/// When the request holds an `Idempotency-Key` claim, the event is also its receipt, so the
/// claim is marked committed in `tx` too (and `tx` refused if the claim was taken over).
pub async fn append(tx: &DatabaseTransaction, event: &NewEvent) -> DomainResult<()> {
    idempotency_receipt::record_current(tx, &Receipt::of_event(event)).await?;
    append_all(tx, &[event]).await
}

/// Appends `events` in order, as the last write of `tx` (see `append`). Records no
/// receipt: the message writer (`group_commit.rs`), which writes for many requests from
/// its own task, records each request's own.
pub async fn append_all(tx: &DatabaseTransaction, events: &[&NewEvent]) -> DomainResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        tx.execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [EVENT_ORDER_LOCK.into()],
        ))
        .await
        .map_err(unexpected)?;
    }
    event::Entity::insert_many(events.iter().map(|event| event::ActiveModel {
        id: NotSet,
        kind: Set(event.kind.as_str().to_owned()),
        thread_id: Set(event.thread_id.to_string()),
        actor_id: Set(event.actor_id.to_string()),
        payload: Set(event.payload.clone()),
        created_at: Set(event.created_at),
    }))
    .exec_without_returning(tx)
    .await
    .map_err(unexpected)?;
    Ok(())
}
