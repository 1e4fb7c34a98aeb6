//! Marks an `Idempotency-Key` claim committed, inside the transaction of the claim's write.
//!
//! The receipt commits or rolls back with the write itself, so after a crash a claim with a
//! receipt names a write that happened, and a claim without one a write that did not.

use domain::{
    idempotency::{current_claim, HeldClaim, Receipt},
    DomainError, DomainResult,
};
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::db_error::unexpected;
use crate::entities::idempotency_key::{Column, Entity};

/// Records `receipt` on `claim` as a write of `tx`. Refuses with `Conflict` (so that `tx`
/// rolls back) when `claim` no longer holds its key: its lease ran out and a retry took the
/// key over, and that retry's write is the one that counts.
pub async fn record(
    tx: &DatabaseTransaction,
    claim: &HeldClaim,
    receipt: &Receipt,
) -> DomainResult<()> {
    let marked = Entity::update_many()
        .col_expr(Column::Receipt, Expr::value(to_text(receipt)))
        .filter(Column::Scope.eq(claim.scope.as_str()))
        .filter(Column::Key.eq(claim.key.as_str()))
        .filter(Column::ClaimToken.eq(claim.token.as_str()))
        .exec(tx)
        .await
        .map_err(unexpected)?;
    if marked.rows_affected == 0 {
        return Err(DomainError::Conflict(
            "this Idempotency-Key's claim ran out and was taken over by a retry",
        ));
    }
    Ok(())
}

/// `record` for the claim of the request running on this task, if it holds one.
pub async fn record_current(tx: &DatabaseTransaction, receipt: &Receipt) -> DomainResult<()> {
    match current_claim() {
        Some(claim) => record(tx, &claim, receipt).await,
        None => Ok(()),
    }
}

pub(super) fn to_text(receipt: &Receipt) -> String {
    json!({ "kind": receipt.kind, "ids": receipt.ids }).to_string()
}

pub(super) fn from_text(text: &str) -> Option<Receipt> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let kind = value.get("kind")?.as_str()?;
    Some(Receipt::new(kind, value.get("ids")?.clone()))
}
