use async_trait::async_trait;
use domain::{
    idempotency::{
        HeldClaim, IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotencyStore,
        StoredResponse,
    },
    time::Timestamp,
    DomainResult,
};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter,
};

use super::{db_error::unexpected, idempotency_receipt};
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

/// The rows of one key.
fn of_key(scope: &IdempotencyScope, key: &IdempotencyKey) -> Condition {
    Condition::all()
        .add(Column::Scope.eq(scope.as_str()))
        .add(Column::Key.eq(key.as_str()))
}

/// The row of one key while `claim` holds it.
fn held_by(claim: &HeldClaim) -> Condition {
    of_key(&claim.scope, &claim.key).add(Column::ClaimToken.eq(claim.token.as_str()))
}

#[async_trait]
impl IdempotencyStore for SeaIdempotencyStore {
    async fn insert_pending(
        &self,
        claim: &HeldClaim,
        request_hash: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> DomainResult<bool> {
        // `ON CONFLICT DO NOTHING` makes the claim atomic: of two concurrent first uses,
        // exactly one inserts.
        let inserted = Entity::insert(ActiveModel {
            scope: Set(claim.scope.as_str().to_owned()),
            key: Set(claim.key.as_str().to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status_code: Set(None),
            response_body: Set(None),
            location: Set(None),
            created_at: Set(now),
            claim_token: Set(claim.token.clone()),
            lease_until: Set(Some(lease_until)),
            receipt: Set(None),
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
            token: row.claim_token,
            lease_until: row.lease_until,
            receipt: row
                .receipt
                .as_deref()
                .and_then(idempotency_receipt::from_text),
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

    async fn complete(&self, claim: &HeldClaim, response: &StoredResponse) -> DomainResult<()> {
        Entity::update_many()
            .col_expr(Column::StatusCode, Expr::value(i32::from(response.status)))
            .col_expr(Column::ResponseBody, Expr::value(response.body.clone()))
            .col_expr(Column::Location, Expr::value(response.location.clone()))
            .filter(held_by(claim))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn renew_expired(
        &self,
        claim: &HeldClaim,
        request_hash: &str,
        cutoff: Timestamp,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> DomainResult<bool> {
        let renewed = Entity::update_many()
            .col_expr(Column::RequestHash, Expr::value(request_hash))
            .col_expr(Column::CreatedAt, Expr::value(now))
            .col_expr(Column::StatusCode, Expr::value(Option::<i32>::None))
            .col_expr(Column::ResponseBody, Expr::value(Option::<String>::None))
            .col_expr(Column::Location, Expr::value(Option::<String>::None))
            .col_expr(Column::ClaimToken, Expr::value(claim.token.clone()))
            .col_expr(Column::LeaseUntil, Expr::value(Some(lease_until)))
            .col_expr(Column::Receipt, Expr::value(Option::<String>::None))
            .filter(of_key(&claim.scope, &claim.key))
            .filter(Column::CreatedAt.lte(cutoff))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(renewed.rows_affected == 1)
    }

    async fn take_over(
        &self,
        claim: &HeldClaim,
        previous_token: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> DomainResult<bool> {
        // Every condition is re-checked by the update itself: on PostgreSQL a concurrent
        // take-over or receipt waits on the row lock and then no longer matches.
        let lease_over = Condition::any()
            .add(Column::LeaseUntil.is_null())
            .add(Column::LeaseUntil.lte(now));
        let taken = Entity::update_many()
            .col_expr(Column::ClaimToken, Expr::value(claim.token.clone()))
            .col_expr(Column::LeaseUntil, Expr::value(Some(lease_until)))
            .filter(of_key(&claim.scope, &claim.key))
            .filter(Column::ClaimToken.eq(previous_token))
            .filter(Column::Receipt.is_null())
            .filter(Column::StatusCode.is_null())
            .filter(lease_over)
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(taken.rows_affected == 1)
    }

    async fn release(&self, claim: &HeldClaim) -> DomainResult<()> {
        Entity::delete_many()
            .filter(held_by(claim))
            .filter(Column::Receipt.is_null())
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
