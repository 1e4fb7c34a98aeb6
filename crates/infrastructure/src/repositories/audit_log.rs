//! The `audit_log` table: appends inside a repository's transaction (`append`), the
//! standalone port (`SeaAuditLog`: entries that go with no other write, listing,
//! pruning and the verification walk).
//!
//! Each entry's `seq` is the last seq + 1 and its `prev_hash` the last entry's hash, read
//! in the writing transaction while it holds the chain: on PostgreSQL a
//! transaction-scoped advisory lock taken just before the read and held until commit;
//! on SQLite the one writer. Two concurrent writers therefore never pick the same seq or
//! fork the chain, and a rolled-back write takes its entry with it.

use async_trait::async_trait;
use domain::{
    audit::{
        pruned_details, AuditAction, AuditEntry, AuditFilter, AuditLog, ChainReport, ChainVerifier,
        NewAuditEntry, Outcome, GENESIS_HASH,
    },
    id::{AuditEntryId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainError, DomainResult,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::db_error::unexpected;
use crate::{
    database::Pools,
    entities::audit_log::{self, ActiveModel, Column, Entity},
};

/// Any fixed number: with the schema's name, the key of the advisory lock that serialises
/// appends to the chain. Advisory locks are per database; the schema in the key keeps
/// chains in different schemas of one database (tests, side-by-side deployments) apart.
const AUDIT_CHAIN_LOCK: i32 = 0x6175_6469;

/// How many entries the verification walk reads at a time.
const VERIFY_BATCH: u64 = 1000;

/// Appends `entries`, in order, to the chain inside `tx`. Call it after the audited
/// write succeeded and before `tx` commits (and before the event, whose lock comes
/// second everywhere).
pub async fn append(tx: &DatabaseTransaction, entries: &[&NewAuditEntry]) -> DomainResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev_hash) = lock_chain(tx).await?;
    for entry in entries {
        seq += 1;
        let hash = entry.chain_hash(seq, &prev_hash);
        Entity::insert(to_row(entry, seq, &prev_hash, &hash))
            .exec_without_returning(tx)
            .await
            .map_err(unexpected)?;
        prev_hash = hash;
    }
    Ok(())
}

/// Takes the chain for the rest of `tx` and reads its end: the last seq (0 when empty)
/// and the hash the next entry must follow.
async fn lock_chain(tx: &DatabaseTransaction) -> DomainResult<(i64, String)> {
    let lock = match tx.get_database_backend() {
        DatabaseBackend::Postgres => Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            [AUDIT_CHAIN_LOCK.into()],
        ),
        // A write that changes nothing makes the transaction the writer before it reads
        // the end of the chain (a deferred transaction that read first could not write
        // once another connection had committed: SQLITE_BUSY_SNAPSHOT). Where no write
        // came before it in the transaction, that matters; where one did, it is a no-op.
        backend => Statement::from_string(backend, "UPDATE audit_log SET seq = seq WHERE 0 = 1"),
    };
    tx.execute(lock).await.map_err(unexpected)?;
    let last = Entity::find()
        .select_only()
        .column(Column::Seq)
        .column(Column::Hash)
        .order_by_desc(Column::Seq)
        .into_tuple::<(i64, String)>()
        .one(tx)
        .await
        .map_err(unexpected)?;
    Ok(last.unwrap_or_else(|| (0, GENESIS_HASH.to_owned())))
}

fn to_row(entry: &NewAuditEntry, seq: i64, prev_hash: &str, hash: &str) -> ActiveModel {
    ActiveModel {
        id: Set(entry.id.to_string()),
        seq: Set(seq),
        action: Set(entry.action.as_str().to_owned()),
        actor_id: Set(entry.actor_id.as_ref().map(ToString::to_string)),
        actor_email: Set(entry.actor_email.clone()),
        ip: Set(entry.ip.clone()),
        user_agent: Set(entry.user_agent.clone()),
        resource_type: Set(entry.resource_type.clone()),
        resource_id: Set(entry.resource_id.clone()),
        outcome: Set(entry.outcome.as_str().to_owned()),
        details: Set(entry.details.clone()),
        occurred_at: Set(entry.occurred_at),
        prev_hash: Set(prev_hash.to_owned()),
        hash: Set(hash.to_owned()),
    }
}

/// A stored row as an entry. An action or outcome this build does not know (a row
/// written by a newer one, or tampered with) is kept as read so that verification
/// reports the entry instead of failing the walk.
pub(crate) fn to_entry(row: audit_log::Model) -> AuditEntry {
    AuditEntry {
        seq: row.seq,
        record: NewAuditEntry {
            id: AuditEntryId::from_trusted(row.id),
            action: AuditAction::parse(&row.action, "action").unwrap_or(AuditAction::AuditPruned),
            actor_id: row.actor_id.map(UserId::from_trusted),
            actor_email: row.actor_email,
            ip: row.ip,
            user_agent: row.user_agent,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            outcome: Outcome::parse(&row.outcome).unwrap_or(Outcome::Failure),
            details: row.details,
            occurred_at: row.occurred_at,
        },
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

pub struct SeaAuditLog {
    db: Pools,
}

impl SeaAuditLog {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl AuditLog for SeaAuditLog {
    async fn append(&self, entry: &NewAuditEntry) -> DomainResult<()> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        append(&tx, &[entry]).await?;
        tx.commit().await.map_err(unexpected)
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<AuditEntry>> {
        let mut query = Entity::find().order_by_desc(Column::Seq);
        if let Some(actor) = &filter.actor_id {
            query = query.filter(Column::ActorId.eq(actor.as_str()));
        }
        if let Some(action) = filter.action {
            query = query.filter(Column::Action.eq(action.as_str()));
        }
        if let Some(kind) = &filter.resource_type {
            query = query.filter(Column::ResourceType.eq(kind.as_str()));
        }
        if let Some(id) = &filter.resource_id {
            query = query.filter(Column::ResourceId.eq(id.as_str()));
        }
        if let Some(from) = filter.from {
            query = query.filter(Column::OccurredAt.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(Column::OccurredAt.lt(to));
        }
        if let Some(after) = &page.after {
            let seq: i64 = after
                .key()
                .parse()
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
            query = query.filter(Column::Seq.lt(seq));
        }
        let rows = query
            .limit(page.limit.get() + 1)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(Page::from_overfetch(
            rows.into_iter().map(to_entry).collect(),
            page.limit,
            |entry| entry.seq.to_string(),
        ))
    }

    async fn prune(&self, before: Timestamp, record: &NewAuditEntry) -> DomainResult<u64> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let (last_seq, _) = lock_chain(&tx).await?;
        // The prefix ends just before the first entry that is recent enough; when every
        // entry is old, it is the whole chain (the `audit.pruned` entry then starts it).
        let first_kept: Option<i64> = Entity::find()
            .select_only()
            .column_as(Column::Seq.min(), "seq")
            .filter(Column::OccurredAt.gte(before))
            .into_tuple::<Option<i64>>()
            .one(&tx)
            .await
            .map_err(unexpected)?
            .flatten();
        let through = first_kept.map_or(last_seq, |seq| seq - 1);
        let through_hash = Entity::find()
            .select_only()
            .column(Column::Hash)
            .filter(Column::Seq.eq(through))
            .into_tuple::<String>()
            .one(&tx)
            .await
            .map_err(unexpected)?;
        let Some(through_hash) = through_hash else {
            // Nothing older than the first kept entry is left.
            tx.rollback().await.map_err(unexpected)?;
            return Ok(0);
        };
        let removed = Entity::delete_many()
            .filter(Column::Seq.lte(through))
            .exec(&tx)
            .await
            .map_err(unexpected)?
            .rows_affected;
        let mut record = record.clone();
        record.details = pruned_details(through, &through_hash, removed).to_string();
        append(&tx, &[&record]).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(removed)
    }

    async fn verify(&self) -> DomainResult<ChainReport> {
        let mut verifier = ChainVerifier::new();
        let mut after: Option<i64> = None;
        loop {
            let mut query = Entity::find().order_by_asc(Column::Seq);
            if let Some(seq) = after {
                query = query.filter(Column::Seq.gt(seq));
            }
            let rows = query
                .limit(VERIFY_BATCH)
                .all(&self.db.read)
                .await
                .map_err(unexpected)?;
            let full = rows.len() as u64 == VERIFY_BATCH;
            for row in rows {
                after = Some(row.seq);
                if !verifier.check(&to_entry(row)) {
                    return Ok(verifier.finish());
                }
            }
            if !full {
                return Ok(verifier.finish());
            }
        }
    }
}
