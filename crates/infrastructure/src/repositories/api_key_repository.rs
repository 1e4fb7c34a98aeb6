//! API keys in the `api_keys` table, looked up by the SHA-256 of their secret (a unique
//! index). Changes, rotation and deletion are conditional writes of one row at the
//! version the caller read, as for the other versioned resources.

use async_trait::async_trait;
use domain::{
    api_key::{ApiKey, ApiKeyChanges, ApiKeyName, ApiKeyRepository, NewApiKey, Scopes},
    audit::NewAuditEntry,
    id::{ApiKeyId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Condition, Expr},
    ActiveValue::Set,
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};

use super::newest_first::newest_first;
use super::{
    audit_log,
    db_error::{classify, unchanged, unexpected},
    versioned::{self, SetChanged, Versioned},
};
use crate::{
    database::Pools,
    entities::api_key::{self, ActiveModel, Column, Entity},
};

impl Versioned for Entity {
    const ID: Column = Column::Id;
    const UPDATED_AT: Column = Column::UpdatedAt;
}

pub struct SeaApiKeyRepository {
    db: Pools,
}

impl SeaApiKeyRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl ApiKeyRepository for SeaApiKeyRepository {
    async fn insert(&self, new: &NewApiKey, audit: &NewAuditEntry) -> DomainResult<ApiKey> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let key = &new.key;
        let row = Entity::insert(ActiveModel {
            id: Set(key.id.to_string()),
            user_id: Set(key.user_id.to_string()),
            name: Set(key.name.as_str().to_owned()),
            scopes: Set(key.scopes.to_stored()),
            prefix: Set(key.prefix.clone()),
            secret_hash: Set(new.secret_hash.clone()),
            created_at: Set(key.created_at),
            updated_at: Set(key.updated_at),
            last_used_at: Set(key.last_used_at),
            expires_at: Set(key.expires_at),
        })
        .exec_with_returning(&tx)
        .await
        .map_err(|e| classify(e, "api key already exists"))?;
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(to_key(row))
    }

    async fn find(&self, id: &ApiKeyId) -> DomainResult<Option<ApiKey>> {
        Ok(Entity::find_by_id(id.as_str())
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
            .map(to_key))
    }

    async fn find_by_secret_hash(&self, secret_hash: &str) -> DomainResult<Option<ApiKey>> {
        Ok(Entity::find()
            .filter(Column::SecretHash.eq(secret_hash))
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
            .map(to_key))
    }

    async fn list(&self, user_id: &UserId, page: &PageRequest) -> DomainResult<Page<ApiKey>> {
        let query = Entity::find().filter(Column::UserId.eq(user_id.as_str()));
        newest_first(query, Column::Id, page, &self.db.read, to_key, |k| {
            k.id.to_string()
        })
        .await
    }

    async fn update(
        &self,
        id: &ApiKeyId,
        changes: &ApiKeyChanges,
        expected: Option<Timestamp>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<ApiKey> {
        let update = versioned::update::<Entity>(id.as_str(), expected, now)
            .set_changed(Column::Name, changes.name.as_ref().map(ApiKeyName::as_str))
            .set_changed(
                Column::Scopes,
                changes.scopes.as_ref().map(Scopes::to_stored),
            );
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let result = update.exec(&tx).await;
        self.written(id, tx, result, audit).await
    }

    async fn rotate(
        &self,
        id: &ApiKeyId,
        secret_hash: &str,
        prefix: &str,
        expected: Option<Timestamp>,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<ApiKey> {
        let update = versioned::update::<Entity>(id.as_str(), expected, now)
            .col_expr(Column::SecretHash, Expr::value(secret_hash))
            .col_expr(Column::Prefix, Expr::value(prefix));
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let result = update.exec(&tx).await;
        self.written(id, tx, result, audit).await
    }

    async fn delete(
        &self,
        id: &ApiKeyId,
        expected: Option<Timestamp>,
        audit: &NewAuditEntry,
    ) -> DomainResult<()> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let result = versioned::delete::<Entity>(id.as_str(), expected)
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        if result.rows_affected != 1 {
            tx.rollback().await.map_err(unexpected)?;
            return Err(unchanged(self.find(id).await, "api key"));
        }
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)
    }

    async fn touch(&self, id: &ApiKeyId, now: Timestamp, since: Timestamp) -> DomainResult<()> {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(Some(now)))
            .filter(Column::Id.eq(id.as_str()))
            .filter(
                Condition::any()
                    .add(Column::LastUsedAt.is_null())
                    .add(Column::LastUsedAt.lt(since)),
            )
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

impl SeaApiKeyRepository {
    /// Ends `tx` after a conditional write: appends `audit` and commits when it wrote
    /// the key, and gives the key; otherwise rolls back and says why it touched nothing.
    async fn written(
        &self,
        id: &ApiKeyId,
        tx: DatabaseTransaction,
        result: Result<sea_orm::UpdateResult, sea_orm::DbErr>,
        audit: &NewAuditEntry,
    ) -> DomainResult<ApiKey> {
        let written = match result {
            Ok(result) => result.rows_affected,
            Err(err) => {
                tx.rollback().await.map_err(unexpected)?;
                return Err(classify(err, "api key already exists"));
            }
        };
        if written != 1 {
            tx.rollback().await.map_err(unexpected)?;
            return Err(unchanged(self.find(id).await, "api key"));
        }
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)?;
        self.find(id).await?.ok_or(DomainError::NotFound("api key"))
    }
}

pub(super) fn to_key(row: api_key::Model) -> ApiKey {
    ApiKey {
        id: ApiKeyId::from_trusted(row.id),
        user_id: UserId::from_trusted(row.user_id),
        name: ApiKeyName::from_trusted(row.name),
        scopes: Scopes::from_stored(&row.scopes),
        prefix: row.prefix,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
    }
}
