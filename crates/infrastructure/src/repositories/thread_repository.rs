use async_trait::async_trait;
use domain::{
    audit::NewAuditEntry,
    event::NewEvent,
    id::{ThreadId, UserId},
    json_object::{Memory, Metadata},
    pagination::{Page, PageRequest},
    thread::{
        Member, MemberRole, NewThread, Thread, ThreadChanges, ThreadDescription, ThreadFilter,
        ThreadRepository, ThreadStatus, ThreadTitle, ThreadView, LAST_OWNER,
    },
    time::Timestamp,
    user::{AvatarUrl, UserName},
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Expr, IntoCondition, LikeExpr},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr,
    EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    SqlErr, TransactionTrait,
};

use super::{
    audit_log,
    db_error::{classify, converted, converted_one, corrupt, unchanged, unexpected},
    escape_like, event_log,
    keyset::TimeKey,
    versioned::{self, SetChanged},
};
use crate::database::Pools;
use crate::entities::{thread, thread_member, user};

pub struct SeaThreadRepository {
    db: Pools,
}

impl SeaThreadRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }

    async fn find(&self, id: &ThreadId) -> DomainResult<Option<Thread>> {
        let found = thread::Entity::find_by_id(id.as_str())
            .one(&self.db.read)
            .await;
        converted_one(found, to_thread)
    }

    /// The member a write has just added or changed.
    async fn written_member(&self, id: &ThreadId, user: &UserId) -> DomainResult<Member> {
        let member = self.member(id, user).await?;
        member.ok_or(DomainError::NotFound("member"))
    }

    /// After a conditional write touched no row: was the row gone or had it moved on?
    async fn why_unchanged(&self, id: &ThreadId) -> DomainError {
        unchanged(self.find(id).await, "thread")
    }
}

#[async_trait]
impl ThreadRepository for SeaThreadRepository {
    async fn insert(&self, new: &NewThread, event: &NewEvent) -> DomainResult<Thread> {
        let fields = &new.fields;
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let row = thread::ActiveModel {
            id: Set(new.id.to_string()),
            title: Set(fields.title.as_str().to_owned()),
            title_lower: Set(fields.title.as_str().to_lowercase()),
            description: Set(fields.description.as_str().to_owned()),
            status: Set(ThreadStatus::Active.as_str().to_owned()),
            pinned: Set(fields.pinned),
            metadata: Set(fields.metadata.clone().into_value()),
            memory: Set(fields.memory.clone().into_value()),
            owner_id: Set(new.owner_id.to_string()),
            message_count: Set(0),
            last_message_at: Set(None),
            created_at: Set(new.created_at),
            updated_at: Set(new.created_at),
        };
        let model = thread::Entity::insert(row)
            .exec_with_returning(&tx)
            .await
            .map_err(unexpected)?;
        thread_member::Entity::insert(thread_member::ActiveModel {
            thread_id: Set(new.id.to_string()),
            user_id: Set(new.owner_id.to_string()),
            role: Set(MemberRole::Owner.as_str().to_owned()),
            added_at: Set(new.created_at),
        })
        .exec_without_returning(&tx)
        .await
        .map_err(unexpected)?;
        event_log::append(&tx, event).await?;
        tx.commit().await.map_err(unexpected)?;
        to_thread(model)
    }

    async fn find_with_role(
        &self,
        id: &ThreadId,
        user: &UserId,
    ) -> DomainResult<Option<(Thread, Option<MemberRole>)>> {
        let user = user.to_string();
        let membership = thread::Relation::Members
            .def()
            .on_condition(move |_, member| {
                Expr::col((member, thread_member::Column::UserId))
                    .eq(user.clone())
                    .into_condition()
            });
        let Some((model, member)) = thread::Entity::find_by_id(id.as_str())
            .select_also(thread_member::Entity)
            .join(JoinType::LeftJoin, membership)
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        let role = member.map(|m| parse_role(&m.role)).transpose()?;
        Ok(Some((to_thread(model)?, role)))
    }

    async fn list_for_member(
        &self,
        user: &UserId,
        filter: &ThreadFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<ThreadView>> {
        let mut condition = Condition::all().add(thread_member::Column::UserId.eq(user.as_str()));
        if let Some(status) = filter.status {
            condition = condition.add(thread::Column::Status.eq(status.as_str()));
        }
        if let Some(pinned) = filter.pinned {
            condition = condition.add(thread::Column::Pinned.eq(pinned));
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            condition = condition.add(
                Expr::col((thread::Entity, thread::Column::TitleLower))
                    .like(LikeExpr::new(pattern).escape('\\')),
            );
        }
        if let Some(after) = &page.after {
            let key = TimeKey::decode(after.key())?;
            condition = condition.add(
                Condition::any()
                    .add(thread::Column::UpdatedAt.lt(key.at))
                    .add(
                        Condition::all()
                            .add(thread::Column::UpdatedAt.eq(key.at))
                            .add(thread::Column::Id.lt(key.id.as_str())),
                    ),
            );
        }
        let rows = thread::Entity::find()
            .select_also(thread_member::Entity)
            .join(JoinType::InnerJoin, thread::Relation::Members.def())
            .filter(condition)
            .order_by_desc(thread::Column::UpdatedAt)
            .order_by_desc(thread::Column::Id)
            .limit(page.limit.get() + 1)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|(model, member)| {
                Ok(ThreadView {
                    thread: to_thread(model)?,
                    my_role: member.map(|m| parse_role(&m.role)).transpose()?,
                })
            })
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(rows, page.limit, |view| {
            TimeKey::encode(view.thread.updated_at, view.thread.id.as_str())
        }))
    }

    async fn update(
        &self,
        id: &ThreadId,
        changes: &ThreadChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Thread> {
        use thread::Column;
        let title = changes.title.as_ref().map(ThreadTitle::as_str);
        let description = changes.description.as_ref().map(ThreadDescription::as_str);
        let metadata = changes.metadata.clone().map(Metadata::into_value);
        let memory = changes.memory.clone().map(Memory::into_value);
        let update = versioned::update::<thread::Entity>(id.as_str(), expected_updated_at, now)
            .set_changed(Column::Title, title)
            .set_changed(Column::TitleLower, title.map(str::to_lowercase))
            .set_changed(Column::Description, description)
            .set_changed(Column::Metadata, metadata)
            .set_changed(Column::Memory, memory)
            .set_changed(Column::Status, changes.status.map(ThreadStatus::as_str))
            .set_changed(Column::Pinned, changes.pinned);
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let result = update.exec(&tx).await.map_err(unexpected)?;
        versioned::commit_one(tx, result.rows_affected, event, self.why_unchanged(id)).await?;
        self.find(id).await?.ok_or(DomainError::NotFound("thread"))
    }

    async fn delete(
        &self,
        id: &ThreadId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<()> {
        let delete = versioned::delete::<thread::Entity>(id.as_str(), expected_updated_at);
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        // Members, messages, revisions, reactions and share links go by cascade, in this
        // transaction.
        let result = delete.exec(&tx).await.map_err(unexpected)?;
        if result.rows_affected == 1 {
            audit_log::append(&tx, &[audit]).await?;
        }
        versioned::commit_one(tx, result.rows_affected, event, self.why_unchanged(id)).await
    }

    async fn members(&self, id: &ThreadId, page: &PageRequest) -> DomainResult<Page<Member>> {
        let mut query = thread_member::Entity::find()
            .select_also(user::Entity)
            .join(JoinType::InnerJoin, thread_member::Relation::User.def())
            .filter(thread_member::Column::ThreadId.eq(id.as_str()));
        if let Some(after) = &page.after {
            query = query.filter(thread_member::Column::UserId.gt(after.key()));
        }
        let rows = query
            .order_by_asc(thread_member::Column::UserId)
            .limit(page.limit.get() + 1)
            .all(&self.db.read)
            .await;
        let rows = converted(rows, to_member)?;
        Ok(Page::from_overfetch(rows, page.limit, |m| {
            m.user_id.to_string()
        }))
    }

    async fn member(&self, id: &ThreadId, user: &UserId) -> DomainResult<Option<Member>> {
        let found = thread_member::Entity::find()
            .select_also(user::Entity)
            .join(JoinType::InnerJoin, thread_member::Relation::User.def())
            .filter(thread_member::Column::ThreadId.eq(id.as_str()))
            .filter(thread_member::Column::UserId.eq(user.as_str()))
            .one(&self.db.read)
            .await;
        converted_one(found, to_member)
    }

    async fn add_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        now: Timestamp,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<Member> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        thread_member::Entity::insert(thread_member::ActiveModel {
            thread_id: Set(id.to_string()),
            user_id: Set(user.to_string()),
            role: Set(role.as_str().to_owned()),
            added_at: Set(now),
        })
        .exec_without_returning(&tx)
        .await
        .map_err(member_not_added)?;
        audit_log::append(&tx, &[audit]).await?;
        event_log::append(&tx, event).await?;
        tx.commit().await.map_err(unexpected)?;
        self.written_member(id, user).await
    }

    async fn change_role(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<Member> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        lock_owners(&tx, id).await?;
        let result = thread_member::Entity::update_many()
            .col_expr(thread_member::Column::Role, Expr::value(role.as_str()))
            .filter(thread_member::Column::ThreadId.eq(id.as_str()))
            .filter(thread_member::Column::UserId.eq(user.as_str()))
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        commit_member_change(tx, result.rows_affected, id, event, audit).await?;
        self.written_member(id, user).await
    }

    async fn remove_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        event: &NewEvent,
        audit: &NewAuditEntry,
    ) -> DomainResult<()> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        lock_owners(&tx, id).await?;
        let result = thread_member::Entity::delete_many()
            .filter(thread_member::Column::ThreadId.eq(id.as_str()))
            .filter(thread_member::Column::UserId.eq(user.as_str()))
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        commit_member_change(tx, result.rows_affected, id, event, audit).await
    }

    async fn count_owners(&self, id: &ThreadId) -> DomainResult<u64> {
        thread_member::Entity::find()
            .filter(thread_member::Column::ThreadId.eq(id.as_str()))
            .filter(thread_member::Column::Role.eq(MemberRole::Owner.as_str()))
            .count(&self.db.read)
            .await
            .map_err(unexpected)
    }
}

/// Serialises the transactions that change a thread's owners, so that each sees the
/// others' result: PostgreSQL locks the owner rows; SQLite has one writer already.
async fn lock_owners(tx: &DatabaseTransaction, id: &ThreadId) -> DomainResult<()> {
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        let _: Vec<String> = thread_member::Entity::find()
            .select_only()
            .column(thread_member::Column::UserId)
            .filter(thread_member::Column::ThreadId.eq(id.as_str()))
            .filter(thread_member::Column::Role.eq(MemberRole::Owner.as_str()))
            .lock_exclusive()
            .into_tuple()
            .all(tx)
            .await
            .map_err(unexpected)?;
    }
    Ok(())
}

/// Ends `tx`, in which a change to one member of thread `id` changed `written` rows:
/// rolls back with `NotFound` when there was no such member, or with `Conflict` when the
/// thread was left without an owner (two owners demoting each other at the same moment);
/// otherwise appends `audit` and `event` and commits.
async fn commit_member_change(
    tx: DatabaseTransaction,
    written: u64,
    id: &ThreadId,
    event: &NewEvent,
    audit: &NewAuditEntry,
) -> DomainResult<()> {
    let checked = if written == 1 {
        still_owned(&tx, id).await
    } else {
        Err(DomainError::NotFound("member"))
    };
    if let Err(err) = checked {
        tx.rollback().await.map_err(unexpected)?;
        return Err(err);
    }
    audit_log::append(&tx, &[audit]).await?;
    event_log::append(&tx, event).await?;
    tx.commit().await.map_err(unexpected)
}

/// `Conflict` when thread `id` has no owner left, inside the transaction that changed it.
async fn still_owned(tx: &DatabaseTransaction, id: &ThreadId) -> DomainResult<()> {
    let owners = thread_member::Entity::find()
        .filter(thread_member::Column::ThreadId.eq(id.as_str()))
        .filter(thread_member::Column::Role.eq(MemberRole::Owner.as_str()))
        .count(tx)
        .await
        .map_err(unexpected)?;
    if owners == 0 {
        return Err(DomainError::Conflict(LAST_OWNER));
    }
    Ok(())
}

/// A duplicate is a conflict; a missing thread (deleted since the access check, perhaps by
/// cascade with its creator's account) is not found.
fn member_not_added(err: DbErr) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::NotFound("thread"),
        _ => classify(err, "the user is already a member of this thread"),
    }
}

pub(super) fn parse_role(raw: &str) -> DomainResult<MemberRole> {
    MemberRole::parse(raw).map_err(|e| corrupt("member role", e))
}

pub(super) fn to_thread(model: thread::Model) -> DomainResult<Thread> {
    let bad = |e| corrupt("thread", e);
    Ok(Thread {
        id: ThreadId::from_trusted(model.id),
        title: ThreadTitle::parse(&model.title).map_err(bad)?,
        description: ThreadDescription::parse(&model.description).map_err(bad)?,
        status: ThreadStatus::parse(&model.status).map_err(bad)?,
        pinned: model.pinned,
        metadata: Metadata::from_trusted(model.metadata),
        memory: Memory::from_trusted(model.memory),
        owner_id: UserId::from_trusted(model.owner_id),
        message_count: u64::try_from(model.message_count).unwrap_or(0),
        last_message_at: model.last_message_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

fn to_member((member, user): (thread_member::Model, Option<user::Model>)) -> DomainResult<Member> {
    let user = user.ok_or_else(|| {
        DomainError::Unexpected(anyhow::anyhow!("thread member without a user row"))
    })?;
    let bad = |e| corrupt("member", e);
    Ok(Member {
        user_id: UserId::from_trusted(member.user_id),
        name: UserName::parse(&user.name).map_err(bad)?,
        avatar_url: user
            .avatar_url
            .as_deref()
            .map(AvatarUrl::parse)
            .transpose()
            .map_err(bad)?,
        role: parse_role(&member.role)?,
        added_at: member.added_at,
    })
}
