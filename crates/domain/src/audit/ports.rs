//! What the audit log needs from storage. Audited writes append their entry through
//! their own repository's port, inside their transaction; this port appends entries
//! that go with no other write, and reads.

use async_trait::async_trait;

use super::{AuditEntry, AuditFilter, ChainReport, NewAuditEntry};
use crate::{
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry that goes with no other write (a failed sign-in).
    async fn append(&self, entry: &NewAuditEntry) -> DomainResult<()>;

    /// A page of the entries matching `filter`, newest (highest seq) first.
    async fn list(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<AuditEntry>>;

    /// Removes the oldest entries, those before the first one that occurred at or after
    /// `before`, and appends `record` (an `audit.pruned` entry, whose details the store
    /// fills with the last removed seq and hash) in the same transaction. Returns how many
    /// were removed; 0 removes nothing and appends nothing.
    async fn prune(&self, before: Timestamp, record: &NewAuditEntry) -> DomainResult<u64>;

    /// Walks the whole chain in seq order, in bounded memory.
    async fn verify(&self) -> DomainResult<ChainReport>;
}
