//! What share links need from storage.

use async_trait::async_trait;

use super::{NewShareLink, ShareLink};
use crate::{
    audit::NewAuditEntry,
    id::{ShareLinkId, ThreadId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

/// Storage of share links. A link's token is never given to it, only the token's hash.
/// Links go with their thread (a cascading foreign key, in the thread's own delete).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ShareLinkRepository: Send + Sync {
    /// Stores a new link and appends `audit` in the same transaction. `NotFound("thread")`
    /// when the thread is gone; `Conflict` if its id or token hash exists already.
    async fn insert(&self, link: &NewShareLink, audit: &NewAuditEntry) -> DomainResult<ShareLink>;

    /// The link with this id, whichever thread it shares.
    async fn find(&self, id: &ShareLinkId) -> DomainResult<Option<ShareLink>>;

    /// The link whose token hashes to `token_hash`, live or not.
    async fn find_by_token_hash(&self, token_hash: &str) -> DomainResult<Option<ShareLink>>;

    /// A page of the thread's links, newest first (by id).
    async fn list(&self, thread: &ThreadId, page: &PageRequest) -> DomainResult<Page<ShareLink>>;

    /// Deletes the link and appends `audit` in the same transaction: its token stops
    /// working when this returns. `NotFound("share link")` when it is gone.
    async fn delete(&self, id: &ShareLinkId, audit: &NewAuditEntry) -> DomainResult<()>;

    /// Counts one view in one conditional write, if the link still exists, has not
    /// expired at `now` and has views left; `true` when the view was counted (and may be
    /// served). Of concurrent calls, no more succeed than the link has views left.
    async fn record_view(&self, id: &ShareLinkId, now: Timestamp) -> DomainResult<bool>;
}
