//! Reading the audit log (ADMIN only), and keeping it within its retention.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{AuditAction, AuditEntry, AuditFilter, AuditLog, ChainReport, NewAuditEntry};
use crate::{
    api_key::Scope,
    auth::{ClientInfo, Principal},
    pagination::{Page, PageRequest},
    user::Role,
    DomainError, DomainResult,
};

pub struct AuditService {
    log: Arc<dyn AuditLog>,
    /// Entries older than this are pruned; `None` keeps them forever.
    retention: Option<ChronoDuration>,
}

impl AuditService {
    pub fn new(log: Arc<dyn AuditLog>, retention_days: u32) -> Self {
        let retention = (retention_days > 0).then(|| ChronoDuration::days(retention_days.into()));
        Self { log, retention }
    }

    /// A page of entries, newest first. ADMIN only, and a key needs the `admin` scope.
    #[tracing::instrument(skip_all, fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<AuditEntry>> {
        caller.require_scope(Scope::Admin)?;
        caller.require_role(Role::Admin)?;
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from > to {
                return Err(DomainError::invalid("from", "must not be after `to`"));
            }
        }
        if let Some(after) = &page.after {
            if after.key().parse::<i64>().map_or(true, |seq| seq < 1) {
                return Err(DomainError::invalid(
                    "cursor",
                    "is not a cursor this API returned",
                ));
            }
        }
        self.log.list(filter, page).await
    }

    /// Removes entries older than the retention, recording that it did. Returns how many
    /// were removed (0 when retention is off).
    #[tracing::instrument(skip_all)]
    pub async fn prune(&self) -> DomainResult<u64> {
        let Some(retention) = self.retention else {
            return Ok(0);
        };
        let record = NewAuditEntry::new(AuditAction::AuditPruned, &ClientInfo::default())
            .on("audit_log", "audit_log");
        let before = record.occurred_at - retention;
        self.log.prune(before, &record).await
    }

    /// Walks the chain (the operator's `audit verify`).
    pub async fn verify(&self) -> DomainResult<ChainReport> {
        self.log.verify().await
    }
}
