//! Search, limited to what the caller can read.

use std::sync::Arc;

use super::{MessageHit, SearchKind, SearchRepository, SearchRequest, SearchScope, SearchText};
use crate::api_key::Scope;
use crate::{
    access::{AccessControl, ThreadAction},
    auth::Principal,
    id::ThreadId,
    pagination::{Page, PageRequest},
    DomainError, DomainResult,
};

pub struct SearchService {
    search: Arc<dyn SearchRepository>,
    access: Arc<AccessControl>,
}

impl SearchService {
    pub fn new(search: Arc<dyn SearchRepository>, access: Arc<AccessControl>) -> Self {
        Self { search, access }
    }

    /// Ranked hits; pages continue by position (the cursor holds how many came before).
    /// Artifacts are not searchable yet, so `type=artifact` finds nothing.
    #[tracing::instrument(skip(self, caller, text), fields(caller = %caller.user.id))]
    pub async fn search(
        &self,
        caller: &Principal,
        text: SearchText,
        thread_id: Option<ThreadId>,
        kind: SearchKind,
        page: &PageRequest,
    ) -> DomainResult<Page<MessageHit>> {
        caller.require_scope(Scope::MessagesRead)?;
        let offset = match &page.after {
            None => 0,
            Some(cursor) => cursor
                .key()
                .parse::<u64>()
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?,
        };
        if let Some(id) = &thread_id {
            self.access.thread(caller, id, ThreadAction::Read).await?;
        }
        if kind == SearchKind::Artifact {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let scope = if caller.is_admin() {
            SearchScope::Everything
        } else {
            SearchScope::MemberOf(caller.user.id.clone())
        };
        let request = SearchRequest {
            text,
            scope,
            thread_id,
            limit: page.limit,
            offset,
        };
        let hits = self.search.search_messages(&request).await?;
        Ok(Page::from_overfetch_at(hits, page.limit, offset))
    }
}
