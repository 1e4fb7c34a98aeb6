use async_trait::async_trait;
use domain::{
    audit::NewAuditEntry,
    auth::{ClientInfo, RefreshTokenRecord, Rotation, Session, SessionRepository},
    id::{SessionId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};

use super::newest_first::newest_first;
use super::{
    audit_log,
    db_error::{classify, unexpected},
};
use crate::database::Pools;
use crate::entities::{refresh_token, session};

pub struct SeaSessionRepository {
    db: Pools,
}

impl SeaSessionRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl SessionRepository for SeaSessionRepository {
    async fn create(
        &self,
        id: &SessionId,
        user_id: &UserId,
        refresh_token_hash: &str,
        client: &ClientInfo,
        now: Timestamp,
        expires_at: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<Session> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let model = session::Entity::insert(session::ActiveModel {
            id: Set(id.to_string()),
            user_id: Set(user_id.to_string()),
            created_at: Set(now),
            last_used_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            user_agent: Set(client.user_agent.clone()),
            ip: Set(client.ip.clone()),
        })
        .exec_with_returning(&tx)
        .await
        .map_err(|e| classify(e, "session already exists"))?;
        insert_refresh_token(&tx, id, refresh_token_hash, now).await?;
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(to_session(model))
    }

    async fn find(&self, id: &SessionId) -> DomainResult<Option<Session>> {
        Ok(session::Entity::find_by_id(id.as_str())
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
            .map(to_session))
    }

    async fn find_by_refresh_token(
        &self,
        token_hash: &str,
    ) -> DomainResult<Option<RefreshTokenRecord>> {
        let Some(token) = refresh_token::Entity::find_by_id(token_hash)
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        let session = session::Entity::find_by_id(token.session_id.as_str())
            .one(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(session.map(|s| RefreshTokenRecord {
            session: to_session(s),
            used_at: token.used_at,
        }))
    }

    async fn rotate(
        &self,
        session_id: &SessionId,
        old_hash: &str,
        new_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> DomainResult<Rotation> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        // The conditional update is the arbiter: of two concurrent exchanges of the same
        // token, exactly one sees `used_at IS NULL`.
        let marked = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now)))
            .filter(refresh_token::Column::TokenHash.eq(old_hash))
            .filter(refresh_token::Column::SessionId.eq(session_id.as_str()))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        if marked.rows_affected != 1 {
            tx.rollback().await.map_err(unexpected)?;
            return Ok(Rotation::AlreadyUsed);
        }
        insert_refresh_token(&tx, session_id, new_hash, now).await?;
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
            .filter(session::Column::Id.eq(session_id.as_str()))
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        tx.commit().await.map_err(unexpected)?;
        Ok(Rotation::Rotated)
    }

    async fn revoke(
        &self,
        id: &SessionId,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<()> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let ended = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(Some(now)))
            .filter(session::Column::Id.eq(id.as_str()))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        // Revoking an ended session changes nothing, and records nothing.
        if ended.rows_affected == 1 {
            audit_log::append(&tx, &[audit]).await?;
        }
        tx.commit().await.map_err(unexpected)
    }

    async fn list_active(
        &self,
        user_id: &UserId,
        now: Timestamp,
        page: &PageRequest,
    ) -> DomainResult<Page<Session>> {
        let query = session::Entity::find()
            .filter(session::Column::UserId.eq(user_id.as_str()))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now));
        newest_first(
            query,
            session::Column::Id,
            page,
            &self.db.read,
            to_session,
            |s| s.id.to_string(),
        )
        .await
    }
}

async fn insert_refresh_token(
    tx: &sea_orm::DatabaseTransaction,
    session_id: &SessionId,
    hash: &str,
    now: Timestamp,
) -> DomainResult<()> {
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        token_hash: Set(hash.to_owned()),
        session_id: Set(session_id.to_string()),
        issued_at: Set(now),
        used_at: Set(None),
    })
    .exec_without_returning(tx)
    .await
    .map_err(|e| classify(e, "refresh token already exists"))?;
    Ok(())
}

pub(super) fn to_session(model: session::Model) -> Session {
    Session {
        id: SessionId::from_trusted(model.id),
        user_id: UserId::from_trusted(model.user_id),
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        expires_at: model.expires_at,
        revoked_at: model.revoked_at,
        user_agent: model.user_agent,
        ip: model.ip,
    }
}
