use async_trait::async_trait;
use domain::{
    idempotency::{
        IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotencyStore, StoredResponse,
    },
    time::Timestamp,
    DomainResult,
};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
};

use super::db_error::unexpected;
use crate::database::Pools;
use crate::entities::idempotency_key::{ActiveModel, Column, Entity};

pub struct SeaIdempotencyStore {
    db: Pools,
}

impl SeaIdempotencyStore {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl IdempotencyStore for SeaIdempotencyStore {
    async fn insert_pending(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        now: Timestamp,
    ) -> DomainResult<bool> {
        // `ON CONFLICT DO NOTHING` makes the claim atomic: of two concurrent first uses,
        // exactly one inserts.
        let inserted = Entity::insert(ActiveModel {
            scope: Set(scope.as_str().to_owned()),
            key: Set(key.as_str().to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status_code: Set(None),
            response_body: Set(None),
            location: Set(None),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([Column::Scope, Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db.write)
        .await
        .map_err(unexpected)?;
        Ok(inserted == 1)
    }

    async fn find(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> DomainResult<Option<IdempotencyRecord>> {
        let row = Entity::find_by_id((scope.as_str().to_owned(), key.as_str().to_owned()))
            .one(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(row.map(|row| IdempotencyRecord {
            request_hash: row.request_hash,
            created_at: row.created_at,
            response: match (row.status_code, row.response_body) {
                (Some(status), Some(body)) => Some(StoredResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                    location: row.location,
                }),
                _ => None,
            },
        }))
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> DomainResult<()> {
        Entity::update_many()
            .col_expr(Column::StatusCode, Expr::value(i32::from(response.status)))
            .col_expr(Column::ResponseBody, Expr::value(response.body.clone()))
            .col_expr(Column::Location, Expr::value(response.location.clone()))
            .filter(Column::Scope.eq(scope.as_str()))
            .filter(Column::Key.eq(key.as_str()))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn renew_expired(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> DomainResult<bool> {
        let renewed = Entity::update_many()
            .col_expr(Column::RequestHash, Expr::value(request_hash))
            .col_expr(Column::CreatedAt, Expr::value(now))
            .col_expr(Column::StatusCode, Expr::value(Option::<i32>::None))
            .col_expr(Column::ResponseBody, Expr::value(Option::<String>::None))
            .col_expr(Column::Location, Expr::value(Option::<String>::None))
            .filter(Column::Scope.eq(scope.as_str()))
            .filter(Column::Key.eq(key.as_str()))
            .filter(Column::CreatedAt.lte(cutoff))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(renewed.rows_affected == 1)
    }

    async fn remove(&self, scope: &IdempotencyScope, key: &IdempotencyKey) -> DomainResult<()> {
        Entity::delete_many()
            .filter(Column::Scope.eq(scope.as_str()))
            .filter(Column::Key.eq(key.as_str()))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn remove_created_before(&self, cutoff: Timestamp) -> DomainResult<u64> {
        let removed = Entity::delete_many()
            .filter(Column::CreatedAt.lt(cutoff))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(removed.rows_affected)
    }
}
