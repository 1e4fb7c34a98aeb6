//! Memory for the list responses being built at one time, shared by all of them.
//!
//! A page is bounded by its byte budget (`domain::pagination::PAGE_BUDGET_BYTES`), but while
//! it is read, converted and serialized it exists several times over: the rows, the domain
//! values (and a cached copy), the response types and the JSON. Each list handler reserves
//! [`PageRenders::PER_PAGE_BYTES`] before reading and keeps it until its response is built,
//! so N concurrent readers hold at most `RESPONSE_MEMORY_BUDGET_MIB` between them; the
//! rest wait their turn. Ordinary pages take microseconds to build, so the wait only shows
//! when many large pages are built at once.

use std::{future::Future, sync::Arc};

use actix_web::HttpResponse;
use domain::{
    pagination::{Page, PageRequest, PAGE_BUDGET_BYTES},
    DomainError,
};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{
    envelope,
    error::{ApiError, ApiResult},
};

/// One permit is one KiB.
const PERMIT_BYTES: usize = 1024;

pub struct PageRenders {
    permits: Arc<Semaphore>,
    per_page: u32,
}

/// Memory reserved for one response being built; given back when dropped.
#[must_use = "the reservation ends when this is dropped"]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl PageRenders {
    /// What one page costs while it is built: its budget four times over (rows, values,
    /// response types, JSON with its growth).
    pub const PER_PAGE_BYTES: usize = 4 * PAGE_BUDGET_BYTES;

    /// Shares `total_bytes` between the pages being built; at least one page is always
    /// allowed, however small the total.
    pub fn new(total_bytes: usize) -> Self {
        let total = (total_bytes / PERMIT_BYTES).max(1);
        let per_page = (Self::PER_PAGE_BYTES / PERMIT_BYTES).min(total);
        Self {
            permits: Arc::new(Semaphore::new(total)),
            per_page: u32::try_from(per_page).unwrap_or(u32::MAX),
        }
    }

    /// Waits until a page's worth of the budget is free and holds it.
    pub async fn reserve(&self) -> ApiResult<Reservation> {
        self.permits
            .clone()
            .acquire_many_owned(self.per_page)
            .await
            .map(|permit| Reservation { _permit: permit })
            .map_err(|closed| ApiError::Domain(DomainError::Unexpected(anyhow::Error::new(closed))))
    }

    /// The one way a list handler answers: reads `page` once a page's worth of the budget
    /// is held (`read` is a future, so it starts only when awaited here), then renders each
    /// item into the envelope with the pagination metadata.
    pub async fn render<T, U: Serialize, E>(
        &self,
        page: &PageRequest,
        read: impl Future<Output = Result<Page<T>, E>>,
        render: impl FnMut(T) -> U,
    ) -> ApiResult<HttpResponse>
    where
        ApiError: From<E>,
    {
        let _building = self.reserve().await?;
        let items = read.await?;
        Ok(envelope::page(items, page.limit.get(), render))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn pages_beyond_the_total_wait_until_one_is_done() {
        let renders = Arc::new(PageRenders::new(2 * PageRenders::PER_PAGE_BYTES));
        let first = renders.reserve().await.unwrap();
        let _second = renders.reserve().await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(50), renders.reserve()).await;
        assert!(third.is_err(), "a third page must wait");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(50), renders.reserve()).await;
        assert!(third.is_ok(), "the third page goes once the first is done");
    }

    #[tokio::test]
    async fn a_total_smaller_than_a_page_still_lets_one_page_through() {
        let renders = PageRenders::new(1);
        let first = renders.reserve().await.unwrap();
        drop(first);
        assert!(renders.reserve().await.is_ok());
    }
}
