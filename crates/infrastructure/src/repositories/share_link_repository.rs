//! Share links in the `share_links` table, looked up by the SHA-256 of their token (a
//! unique index). A view is counted by one conditional `UPDATE`, so a view limit holds
//! exactly however many readers open a link at once. Links go with their thread by a
//! cascading foreign key, inside the thread's own delete. Making and revoking one append
//! their audit entry in the same transaction.

use async_trait::async_trait;
use domain::{
    audit::NewAuditEntry,
    id::{ShareLinkId, ThreadId, UserId},
    pagination::{Page, PageRequest},
    share_link::{MaxViews, NewShareLink, ShareLink, ShareLinkRepository},
    time::Timestamp,
    user::PasswordHash,
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Condition, Expr},
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, QueryFilter, SqlErr, TransactionTrait,
};

use super::newest_first::newest_first;
use super::{
    audit_log,
    db_error::{classify, unexpected},
    versioned,
};
use crate::{
    database::Pools,
    entities::share_link::{self, ActiveModel, Column, Entity},
};

pub struct SeaShareLinkRepository {
    db: Pools,
}

impl SeaShareLinkRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl ShareLinkRepository for SeaShareLinkRepository {
    async fn insert(&self, new: &NewShareLink, audit: &NewAuditEntry) -> DomainResult<ShareLink> {
        let link = &new.link;
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let row = Entity::insert(ActiveModel {
            id: Set(link.id.to_string()),
            thread_id: Set(link.thread_id.to_string()),
            created_by: Set(link.created_by.to_string()),
            token_hash: Set(new.token_hash.clone()),
            password_hash: Set(link.password_hash.as_ref().map(|h| h.as_str().to_owned())),
            max_views: Set(link.max_views.map(|m| count_to_db(m.get()))),
            view_count: Set(count_to_db(link.view_count)),
            expires_at: Set(link.expires_at),
            created_at: Set(link.created_at),
        })
        .exec_with_returning(&tx)
        .await;
        let row = match row {
            Ok(row) => row,
            Err(err) => return versioned::rolled_back(tx, async { not_inserted(err) }).await,
        };
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(to_link(row))
    }

    async fn find(&self, id: &ShareLinkId) -> DomainResult<Option<ShareLink>> {
        Ok(Entity::find_by_id(id.as_str())
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
            .map(to_link))
    }

    async fn find_by_token_hash(&self, token_hash: &str) -> DomainResult<Option<ShareLink>> {
        Ok(Entity::find()
            .filter(Column::TokenHash.eq(token_hash))
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
            .map(to_link))
    }

    async fn list(&self, thread: &ThreadId, page: &PageRequest) -> DomainResult<Page<ShareLink>> {
        let query = Entity::find().filter(Column::ThreadId.eq(thread.as_str()));
        newest_first(query, Column::Id, page, &self.db.read, to_link, |l| {
            l.id.to_string()
        })
        .await
    }

    async fn delete(&self, id: &ShareLinkId, audit: &NewAuditEntry) -> DomainResult<()> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let result = Entity::delete_by_id(id.as_str())
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        if result.rows_affected != 1 {
            let gone = async { DomainError::NotFound("share link") };
            return versioned::rolled_back(tx, gone).await;
        }
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)
    }

    async fn record_view(&self, id: &ShareLinkId, now: Timestamp) -> DomainResult<bool> {
        // One statement decides and counts: PostgreSQL re-checks the condition on the row
        // a concurrent update left, SQLite runs one writer at a time.
        let result = Entity::update_many()
            .col_expr(Column::ViewCount, Expr::col(Column::ViewCount).add(1))
            .filter(Column::Id.eq(id.as_str()))
            .filter(
                Condition::any()
                    .add(Column::MaxViews.is_null())
                    .add(Expr::col(Column::ViewCount).lt(Expr::col(Column::MaxViews))),
            )
            .filter(
                Condition::any()
                    .add(Column::ExpiresAt.is_null())
                    .add(Column::ExpiresAt.gt(now)),
            )
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }
}

/// A thread deleted after the service checked it breaks the foreign key: not found.
fn not_inserted(err: DbErr) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::NotFound("thread"),
        _ => classify(err, "share link already exists"),
    }
}

fn count_to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_link(row: share_link::Model) -> ShareLink {
    ShareLink {
        id: ShareLinkId::from_trusted(row.id),
        thread_id: ThreadId::from_trusted(row.thread_id),
        created_by: UserId::from_trusted(row.created_by),
        expires_at: row.expires_at,
        max_views: row
            .max_views
            .map(|n| MaxViews::from_trusted(u64::try_from(n).unwrap_or(0))),
        view_count: u64::try_from(row.view_count).unwrap_or(0),
        password_hash: row.password_hash.map(PasswordHash::new),
        created_at: row.created_at,
    }
}
