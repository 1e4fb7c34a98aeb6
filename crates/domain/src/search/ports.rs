use async_trait::async_trait;

use super::{MessageHit, SearchRequest};
use crate::DomainResult;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SearchRepository: Send + Sync {
    /// Messages containing every term, best match first, within the request's scope and
    /// thread; up to `limit + 1` hits after skipping `offset`, so the caller learns
    /// whether more exist.
    async fn search_messages(&self, request: &SearchRequest) -> DomainResult<Vec<MessageHit>>;
}
