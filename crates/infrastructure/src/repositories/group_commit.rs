//! The group-commit writer of new messages: `MessageWriter`, one task per process that
//! writes one or many messages per transaction.
//!
//! With one transaction per message, the cost of a message is the cost of a commit. On
//! SQLite (one writer; every statement a round trip to the driver's worker thread) the
//! writer spends its time waiting on round trips; on PostgreSQL every commit waits for its
//! WAL flush while holding the thread's row lock and the event-order lock, so messages to
//! one thread, and events everywhere, go one flush at a time. So new messages queue here,
//! and one task per process writes whatever has queued up (up to `MAX_BATCH`) in a single
//! transaction: one counter update per thread (in id order, so concurrent batches lock rows
//! in the same order), one multi-row insert of the messages, one of their events. That is
//! group commit: every caller still gets its answer only after its message is durable. If a
//! batch fails, its messages are written one by one, so one bad message cannot fail the
//! others.
//!
//! The composition root starts the writer (`MessageWriter::start`) and hands it to
//! `SeaMessageRepository::new`; repositories sharing one writer share its queue.

use std::{collections::BTreeMap, panic::AssertUnwindSafe};

use futures_util::FutureExt;

use domain::{
    event::NewEvent,
    id::ThreadId,
    idempotency::{current_claim, HeldClaim, Receipt},
    message::NewMessage,
    time::Timestamp,
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Expr, SimpleExpr},
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::{db_error::unexpected, event_log, idempotency_receipt};
use crate::entities::{message, message_attachment, thread};

/// Messages per transaction at most; SQLite's bound-parameter limit is far above this.
const MAX_BATCH: usize = 64;

/// One message to write, its event, and the `Idempotency-Key` claim it commits under.
type Item<'a> = (&'a NewMessage, &'a NewEvent, Option<&'a HeldClaim>);

/// One message waiting to be written, and who waits for it.
struct Pending {
    message: NewMessage,
    event: NewEvent,
    /// Taken from the caller's task: this task does not see the caller's claim.
    claim: Option<HeldClaim>,
    done: oneshot::Sender<DomainResult<()>>,
}

/// The queue in front of the task that writes new messages. Cloning it gives another handle
/// to the same queue; the task ends once every handle is dropped.
#[derive(Clone)]
pub struct MessageWriter {
    queue: mpsc::Sender<Pending>,
}

impl MessageWriter {
    /// Spawns the writing task on the current Tokio runtime, writing through `db` (the
    /// write pool). Panics when called outside a Tokio runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, pending) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_queued(db, pending));
        Self { queue }
    }

    /// Queues the message and answers once the transaction that wrote it has committed.
    pub async fn insert(&self, message: &NewMessage, event: &NewEvent) -> DomainResult<()> {
        let (done, result) = oneshot::channel();
        let pending = Pending {
            message: message.clone(),
            event: event.clone(),
            claim: current_claim(),
            done,
        };
        let stopped = || DomainError::Unexpected(anyhow::anyhow!("the message writer stopped"));
        self.queue.send(pending).await.map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

async fn write_queued(db: DatabaseConnection, mut queue: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let items: Vec<_> = batch
            .iter()
            .map(|p| (&p.message, &p.event, p.claim.as_ref()))
            .collect();
        metrics::histogram!("group_commit_batch_size").record(items.len() as f64);
        let outcomes = write_batch(&db, &items).await;
        for (pending, outcome) in batch.drain(..).zip(outcomes) {
            // A caller that went away (client disconnected) needs no answer.
            let _ = pending.done.send(outcome);
        }
    }
}

/// One outcome per message. A message the database refuses (its parent or one of its files
/// was deleted meanwhile) fails the batch, which is then written one message at a time so
/// that only that message fails. A failure of the database itself (unreachable, timed out) or a bug
/// (a panic) fails every message of the batch at once and leaves the writer running.
async fn write_batch(db: &DatabaseConnection, items: &[Item<'_>]) -> Vec<DomainResult<()>> {
    match guarded(insert_messages(db, items)).await {
        Ok(outcomes) => outcomes,
        Err(err @ DomainError::Unexpected(_)) => {
            tracing::error!(error = ?err, messages = items.len(), "writing a batch of messages failed");
            items
                .iter()
                .map(|_| {
                    Err(DomainError::Unexpected(anyhow::anyhow!(
                        "writing messages failed"
                    )))
                })
                .collect()
        }
        // No room: every message of the batch would fail alike.
        Err(DomainError::StorageFull) => items
            .iter()
            .map(|_| Err(DomainError::StorageFull))
            .collect(),
        Err(err) if items.len() == 1 => vec![Err(err)],
        Err(_) => {
            let mut outcomes = Vec::with_capacity(items.len());
            for item in items {
                outcomes.push(single(guarded(insert_messages(db, &[*item])).await));
            }
            outcomes
        }
    }
}

/// Turns a panic while writing into an unexpected error.
async fn guarded<T>(write: impl std::future::Future<Output = DomainResult<T>>) -> DomainResult<T> {
    AssertUnwindSafe(write)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(DomainError::Unexpected(anyhow::anyhow!(
                "the message writer panicked"
            )))
        })
}

fn single(outcome: DomainResult<Vec<DomainResult<()>>>) -> DomainResult<()> {
    outcome.and_then(|mut outcomes| outcomes.pop().unwrap_or(Ok(())))
}

/// Writes the messages, their attachment links and their events in one transaction,
/// moving each thread's `message_count`, `last_message_at` and `updated_at`. The outcome
/// per message is `NotFound("thread")` when its thread is gone (nothing of it is written);
/// an `Err` of the whole call means nothing was written.
async fn insert_messages(
    db: &DatabaseConnection,
    items: &[Item<'_>],
) -> DomainResult<Vec<DomainResult<()>>> {
    let mut per_thread: BTreeMap<&ThreadId, (i64, Timestamp)> = BTreeMap::new();
    for (message, _, _) in items {
        let entry = per_thread
            .entry(&message.thread_id)
            .or_insert((0, message.created_at));
        entry.0 += 1;
        entry.1 = entry.1.max(message.created_at);
    }
    let tx = db.begin().await.map_err(unexpected)?;
    // The counters first: the write takes SQLite's lock before any read, and a missing
    // thread is found before anything of its messages is written.
    let mut missing = Vec::new();
    for (thread_id, (count, at)) in &per_thread {
        let bumped = thread::Entity::update_many()
            .col_expr(
                thread::Column::MessageCount,
                Expr::col(thread::Column::MessageCount).add(*count),
            )
            .col_expr(
                thread::Column::LastMessageAt,
                latest(thread::Column::LastMessageAt, *at),
            )
            .col_expr(
                thread::Column::UpdatedAt,
                latest(thread::Column::UpdatedAt, *at),
            )
            .filter(thread::Column::Id.eq(thread_id.as_str()))
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        if bumped.rows_affected == 0 {
            missing.push(*thread_id);
        }
    }
    let kept: Vec<_> = items
        .iter()
        .filter(|(message, _, _)| !missing.contains(&&message.thread_id))
        .collect();
    if !kept.is_empty() {
        message::Entity::insert_many(kept.iter().map(|(message, _, _)| row(message)))
            .exec_without_returning(&tx)
            .await
            .map_err(parent_gone)?;
        let links: Vec<_> = kept
            .iter()
            .flat_map(|(message, _, _)| attachment_rows(message))
            .collect();
        if !links.is_empty() {
            message_attachment::Entity::insert_many(links)
                .exec_without_returning(&tx)
                .await
                .map_err(file_gone)?;
        }
        // A claim taken over by a retry refuses the batch; written one by one, only its
        // own message then fails.
        for (_, event, claim) in &kept {
            if let Some(claim) = claim {
                idempotency_receipt::record(&tx, claim, &Receipt::of_event(event)).await?;
            }
        }
        let events: Vec<&NewEvent> = kept.iter().map(|(_, event, _)| *event).collect();
        event_log::append_all(&tx, &events).await?;
    }
    tx.commit().await.map_err(unexpected)?;
    Ok(items
        .iter()
        .map(|(message, _, _)| {
            if missing.contains(&&message.thread_id) {
                Err(DomainError::NotFound("thread"))
            } else {
                Ok(())
            }
        })
        .collect())
}

/// The threads exist (checked above), so a foreign key can only fail on `parent_id`: the
/// parent was deleted after the service checked it.
fn parent_gone(err: DbErr) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            DomainError::invalid("parent_id", "is not a message of this thread")
        }
        _ => unexpected(err),
    }
}

/// The messages exist (inserted just before), so a foreign key can only fail on a file:
/// it was deleted after the service checked it.
fn file_gone(err: DbErr) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            DomainError::invalid("attachments", "a file was deleted")
        }
        _ => unexpected(err),
    }
}

/// The links of a message to its files, in the order they were attached.
fn attachment_rows(new: &NewMessage) -> impl Iterator<Item = message_attachment::ActiveModel> + '_ {
    new.attachments
        .iter()
        .zip(0_i32..)
        .map(|(file, position)| message_attachment::ActiveModel {
            message_id: Set(new.id.to_string()),
            file_id: Set(file.id.to_string()),
            position: Set(position),
        })
}

fn row(new: &NewMessage) -> message::ActiveModel {
    let fields = &new.fields;
    message::ActiveModel {
        id: Set(new.id.to_string()),
        thread_id: Set(new.thread_id.to_string()),
        author_id: Set(new.author_id.to_string()),
        role: Set(fields.role.as_str().to_owned()),
        content: Set(fields.content.as_ref().map(|c| c.as_str().to_owned())),
        blocks: Set(fields.blocks.clone().into_value()),
        metadata: Set(fields.metadata.clone().into_value()),
        parent_id: Set(fields.parent_id.as_ref().map(ToString::to_string)),
        status: Set(fields.status.as_str().to_owned()),
        edited_at: Set(None),
        created_at: Set(new.created_at),
        updated_at: Set(new.created_at),
    }
}

/// `max(column, at)`, where NULL is earliest: moves a time forward, never back (batches
/// from several instances may commit out of `created_at` order).
fn latest(column: thread::Column, at: Timestamp) -> SimpleExpr {
    let earlier = Condition::any()
        .add(Expr::col(column).is_null())
        .add(Expr::col(column).lt(at));
    Expr::case(earlier, Expr::val(at))
        .finally(Expr::col(column))
        .into()
}
