//! `AccountRepository` on SeaORM: keyset reads of one user's data for an export, and the
//! erasure of an account in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use domain::{
    account::{
        AccountRepository, Erased, Erasure, ExportedFile, ExportedMessage, ExportedReaction,
        ExportedThread, DELETED_USER_NAME,
    },
    api_key::ApiKey,
    audit::AuditEntry,
    auth::Session,
    event::{EventKind, NewEvent},
    file::Sha256Digest,
    id::{MessageId, ReactionId, ThreadId, UserId},
    thread::MemberRole,
    time::Timestamp,
    user::{Role, UserStatus},
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait,
};
use serde_json::json;

use super::{
    api_key_repository::to_key,
    audit_log,
    db_error::{converted, unexpected},
    event_log,
    file_repository::{to_file, with_preview, FileRow},
    message_repository::{to_message, to_revision},
    session_repository::to_session,
    thread_repository::{parse_role, to_thread},
};
use crate::{
    database::Pools,
    entities::{
        api_key, audit_log as audit_row, file, message, message_revision, reaction, session,
        share_link, thread, thread_member, user,
    },
};

pub struct SeaAccountRepository {
    db: Pools,
}

impl SeaAccountRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl AccountRepository for SeaAccountRepository {
    async fn sessions(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<Session>> {
        let mut query = session::Entity::find().filter(session::Column::UserId.eq(user.as_str()));
        if let Some(after) = after {
            query = query.filter(session::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(session::Column::Id)
            .limit(limit)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(rows.into_iter().map(to_session).collect())
    }

    async fn api_keys(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ApiKey>> {
        let mut query = api_key::Entity::find().filter(api_key::Column::UserId.eq(user.as_str()));
        if let Some(after) = after {
            query = query.filter(api_key::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(api_key::Column::Id)
            .limit(limit)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(rows.into_iter().map(to_key).collect())
    }

    async fn threads(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedThread>> {
        let mut query =
            thread_member::Entity::find().filter(thread_member::Column::UserId.eq(user.as_str()));
        if let Some(after) = after {
            query = query.filter(thread_member::Column::ThreadId.gt(after));
        }
        let memberships = query
            .order_by_asc(thread_member::Column::ThreadId)
            .limit(limit)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        let ids: Vec<&str> = memberships.iter().map(|m| m.thread_id.as_str()).collect();
        let threads = thread::Entity::find()
            .filter(thread::Column::Id.is_in(ids))
            .all(&self.db.read)
            .await;
        let mut threads: HashMap<String, thread::Model> = converted(threads, Ok)?
            .into_iter()
            .map(|t| (t.id.clone(), t))
            .collect();
        let mut exported = Vec::with_capacity(memberships.len());
        for membership in memberships {
            // A thread deleted between the two reads is simply not exported.
            if let Some(row) = threads.remove(&membership.thread_id) {
                exported.push(ExportedThread {
                    thread: to_thread(row)?,
                    role: parse_role(&membership.role)?,
                });
            }
        }
        Ok(exported)
    }

    async fn messages(
        &self,
        user: &UserId,
        thread: &ThreadId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedMessage>> {
        let mut query = message::Entity::find()
            .filter(message::Column::ThreadId.eq(thread.as_str()))
            .filter(message::Column::AuthorId.eq(user.as_str()));
        if let Some(after) = after {
            query = query.filter(message::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(message::Column::Id)
            .limit(limit)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        let ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
        let revisions = message_revision::Entity::find()
            .filter(message_revision::Column::MessageId.is_in(ids))
            .order_by_asc(message_revision::Column::MessageId)
            .order_by_asc(message_revision::Column::Number)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        let mut by_message: HashMap<String, Vec<message_revision::Model>> = HashMap::new();
        for revision in revisions {
            by_message
                .entry(revision.message_id.clone())
                .or_default()
                .push(revision);
        }
        rows.into_iter()
            .map(|row| {
                let revisions = by_message
                    .remove(&row.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(to_revision)
                    .collect::<DomainResult<Vec<_>>>()?;
                Ok(ExportedMessage {
                    message: to_message(row, BTreeMap::new(), Vec::new())?,
                    revisions,
                })
            })
            .collect()
    }

    async fn reactions(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedReaction>> {
        let mut query = reaction::Entity::find().filter(reaction::Column::UserId.eq(user.as_str()));
        if let Some(after) = after {
            query = query.filter(reaction::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(reaction::Column::Id)
            .limit(limit)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        let message_ids: BTreeSet<&str> = rows.iter().map(|r| r.message_id.as_str()).collect();
        let threads: HashMap<String, String> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::ThreadId)
            .filter(message::Column::Id.is_in(message_ids))
            .into_tuple::<(String, String)>()
            .all(&self.db.read)
            .await
            .map_err(unexpected)?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let thread_id = threads.get(&row.message_id)?.clone();
                Some(ExportedReaction {
                    id: ReactionId::from_trusted(row.id),
                    message_id: MessageId::from_trusted(row.message_id),
                    thread_id: ThreadId::from_trusted(thread_id),
                    emoji: row.emoji,
                    created_at: row.created_at,
                })
            })
            .collect())
    }

    async fn files(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<ExportedFile>> {
        let mut query =
            with_preview(file::Entity::find()).filter(file::Column::OwnerId.eq(user.as_str()));
        if let Some(after) = after {
            query = query.filter(file::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(file::Column::Id)
            .limit(limit)
            .into_model::<FileRow>()
            .all(&self.db.read)
            .await;
        converted(rows, |row| to_file(row.file, row.preview))
    }

    async fn audit_entries(
        &self,
        user: &UserId,
        after: Option<String>,
        limit: u64,
    ) -> DomainResult<Vec<AuditEntry>> {
        let about = Condition::any()
            .add(audit_row::Column::ActorId.eq(user.as_str()))
            .add(
                Condition::all()
                    .add(audit_row::Column::ResourceType.eq("user"))
                    .add(audit_row::Column::ResourceId.eq(user.as_str())),
            );
        let mut query = audit_row::Entity::find().filter(about);
        if let Some(after) = after {
            let seq: i64 = after
                .parse()
                .map_err(|_| DomainError::invalid("after", "is not an audit entry's seq"))?;
            query = query.filter(audit_row::Column::Seq.gt(seq));
        }
        let rows = query
            .order_by_asc(audit_row::Column::Seq)
            .limit(limit)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(rows.into_iter().map(audit_log::to_entry).collect())
    }

    async fn erased_at(&self, user: &UserId) -> DomainResult<Option<Timestamp>> {
        let erased: Option<Option<Timestamp>> = user::Entity::find_by_id(user.as_str())
            .select_only()
            .column(user::Column::DeletedAt)
            .into_tuple()
            .one(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(erased.flatten())
    }

    async fn erase(&self, erasure: &Erasure) -> DomainResult<Erased> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        match erase_in(&tx, erasure).await {
            Ok(erased) => {
                tx.commit().await.map_err(unexpected)?;
                Ok(erased)
            }
            Err(err) => {
                tx.rollback().await.map_err(unexpected)?;
                Err(err)
            }
        }
    }
}

/// Everything `erase` does, inside `tx`; the caller commits or rolls back.
async fn erase_in(tx: &DatabaseTransaction, erasure: &Erasure) -> DomainResult<Erased> {
    let postgres = tx.get_database_backend() == DatabaseBackend::Postgres;
    let id = erasure.user_id.as_str();
    let now = erasure.now;

    let mut target = user::Entity::find_by_id(id).filter(user::Column::DeletedAt.is_null());
    if postgres {
        target = target.lock_exclusive();
    }
    let Some(target) = target.one(tx).await.map_err(unexpected)? else {
        return Err(DomainError::NotFound("user"));
    };
    if erasure
        .expected_updated_at
        .is_some_and(|expected| expected != target.updated_at)
    {
        return Err(DomainError::PreconditionFailed);
    }
    refuse_last_admin(tx, &target, postgres).await?;

    let mut events = Vec::new();
    let mut threads = Vec::new();
    let event = |kind, thread: &str, payload| {
        NewEvent::new(
            kind,
            &ThreadId::from_trusted(thread.to_owned()),
            &erasure.actor_id,
            payload,
            now,
        )
    };

    // Reactions first: those on messages of threads deleted below go by cascade anyway.
    let reactions: Vec<(String, String)> = reaction::Entity::find()
        .select_only()
        .column(reaction::Column::MessageId)
        .column(reaction::Column::Emoji)
        .filter(reaction::Column::UserId.eq(id))
        .into_tuple()
        .all(tx)
        .await
        .map_err(unexpected)?;
    let message_ids: BTreeSet<&str> = reactions.iter().map(|(m, _)| m.as_str()).collect();
    let thread_of: HashMap<String, String> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .column(message::Column::ThreadId)
        .filter(message::Column::Id.is_in(message_ids))
        .into_tuple::<(String, String)>()
        .all(tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .collect();
    reaction::Entity::delete_many()
        .filter(reaction::Column::UserId.eq(id))
        .exec(tx)
        .await
        .map_err(unexpected)?;
    for (message_id, emoji) in &reactions {
        if let Some(thread_id) = thread_of.get(message_id) {
            events.push(event(
                EventKind::ReactionRemoved,
                thread_id,
                json!({ "message_id": message_id, "user_id": id, "emoji": emoji }),
            ));
        }
    }

    let memberships = thread_member::Entity::find()
        .filter(thread_member::Column::UserId.eq(id))
        .order_by_asc(thread_member::Column::ThreadId)
        .all(tx)
        .await
        .map_err(unexpected)?;
    for membership in memberships {
        let thread_id = membership.thread_id.as_str();
        threads.push(ThreadId::from_trusted(membership.thread_id.clone()));
        if parse_role(&membership.role)? == MemberRole::Owner {
            let mut others = thread_member::Entity::find()
                .filter(thread_member::Column::ThreadId.eq(thread_id))
                .filter(thread_member::Column::UserId.ne(id))
                .order_by_asc(thread_member::Column::AddedAt)
                .order_by_asc(thread_member::Column::UserId);
            if postgres {
                others = others.lock_exclusive();
            }
            let others = others.all(tx).await.map_err(unexpected)?;
            let owner = MemberRole::Owner.as_str();
            if others.is_empty() {
                // Nobody else uses it: it goes with everything in it (by cascade).
                thread::Entity::delete_by_id(thread_id)
                    .exec(tx)
                    .await
                    .map_err(unexpected)?;
                events.push(event(
                    EventKind::ThreadDeleted,
                    thread_id,
                    json!({ "thread_id": thread_id }),
                ));
                continue;
            }
            if !others.iter().any(|m| m.role == owner) {
                let heir = &others[0];
                thread_member::Entity::update_many()
                    .col_expr(thread_member::Column::Role, Expr::value(owner))
                    .filter(thread_member::Column::ThreadId.eq(thread_id))
                    .filter(thread_member::Column::UserId.eq(heir.user_id.as_str()))
                    .exec(tx)
                    .await
                    .map_err(unexpected)?;
                events.push(event(
                    EventKind::MemberUpdated,
                    thread_id,
                    json!({ "thread_id": thread_id, "user_id": heir.user_id, "role": owner }),
                ));
            }
        }
        thread_member::Entity::delete_many()
            .filter(thread_member::Column::ThreadId.eq(thread_id))
            .filter(thread_member::Column::UserId.eq(id))
            .exec(tx)
            .await
            .map_err(unexpected)?;
        events.push(event(
            EventKind::MemberRemoved,
            thread_id,
            json!({ "thread_id": thread_id, "user_id": id }),
        ));
    }
    // A thread's recorded creator moves to its longest-standing owner.
    tx.execute(Statement::from_sql_and_values(
        tx.get_database_backend(),
        if postgres {
            MOVE_CREATOR_POSTGRES
        } else {
            MOVE_CREATOR_SQLITE
        },
        [id.into()],
    ))
    .await
    .map_err(unexpected)?;

    // Their files: records (and attachment links, by cascade) now, bytes after commit.
    let digests: Vec<Option<String>> = file::Entity::find()
        .select_only()
        .column(file::Column::Digest)
        .filter(file::Column::OwnerId.eq(id))
        .into_tuple()
        .all(tx)
        .await
        .map_err(unexpected)?;
    let blobs: BTreeSet<String> = digests.into_iter().flatten().collect();
    file::Entity::delete_many()
        .filter(file::Column::OwnerId.eq(id))
        .exec(tx)
        .await
        .map_err(unexpected)?;

    // Credentials die with the commit (refresh tokens by cascade from their sessions).
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(tx)
        .await
        .map_err(unexpected)?;
    api_key::Entity::delete_many()
        .filter(api_key::Column::UserId.eq(id))
        .exec(tx)
        .await
        .map_err(unexpected)?;
    // Share links they made are tokens they issued: they stop too.
    share_link::Entity::delete_many()
        .filter(share_link::Column::CreatedBy.eq(id))
        .exec(tx)
        .await
        .map_err(unexpected)?;

    // The tombstone: the id stays (their messages name it), nothing personal does.
    user::Entity::update(user::ActiveModel {
        id: Set(id.to_owned()),
        email: Set(erasure.tombstone_email.as_str().to_owned()),
        name: Set(DELETED_USER_NAME.to_owned()),
        avatar_url: Set(None),
        role: Set(Role::User.as_str().to_owned()),
        status: Set(UserStatus::Suspended.as_str().to_owned()),
        preferences: Set(json!({})),
        password_hash: Set(None),
        external_subject: Set(None),
        created_at: Set(target.created_at),
        updated_at: Set(now),
        deleted_at: Set(Some(now)),
    })
    .exec(tx)
    .await
    .map_err(unexpected)?;

    // Recorded once every write succeeded, before the events (whose lock comes second).
    audit_log::append(tx, &[&erasure.audit]).await?;
    let refs: Vec<&NewEvent> = events.iter().collect();
    event_log::append_all(tx, &refs).await?;
    Ok(Erased {
        threads,
        blobs: blobs
            .iter()
            .map(|d| Sha256Digest::parse(d))
            .collect::<Result<_, _>>()
            .map_err(|e| super::db_error::corrupt("file", e))?,
    })
}

/// `Conflict` when `target` is the last active ADMIN. On PostgreSQL the active ADMINs'
/// rows are locked (in id order), so two ADMINs erasing themselves at once cannot both
/// see the other still there; SQLite has one writer at a time.
async fn refuse_last_admin(
    tx: &DatabaseTransaction,
    target: &user::Model,
    postgres: bool,
) -> DomainResult<()> {
    let active = UserStatus::Active.as_str();
    if target.role != Role::Admin.as_str() || target.status != active {
        return Ok(());
    }
    let mut admins = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Status.eq(active))
        .filter(user::Column::DeletedAt.is_null())
        .order_by_asc(user::Column::Id);
    if postgres {
        admins = admins.lock_exclusive();
    }
    let admins: Vec<String> = admins.into_tuple().all(tx).await.map_err(unexpected)?;
    if admins.iter().all(|admin| admin == &target.id) {
        return Err(DomainError::Conflict(
            "the last active ADMIN cannot delete their account; make another user ADMIN first",
        ));
    }
    Ok(())
}

const MOVE_CREATOR_POSTGRES: &str = "UPDATE threads SET owner_id = COALESCE((\
    SELECT m.user_id FROM thread_members m WHERE m.thread_id = threads.id \
    AND m.role = 'owner' ORDER BY m.added_at, m.user_id LIMIT 1), owner_id) \
    WHERE owner_id = $1";
const MOVE_CREATOR_SQLITE: &str = "UPDATE threads SET owner_id = COALESCE((\
    SELECT m.user_id FROM thread_members m WHERE m.thread_id = threads.id \
    AND m.role = 'owner' ORDER BY m.added_at, m.user_id LIMIT 1), owner_id) \
    WHERE owner_id = ?";
