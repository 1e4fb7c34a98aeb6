//! The caller's access to a thread (the thread and their role in it), under the thread's
//! epoch (`thread_epochs.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use domain::{
    event::NewEvent,
    id::{ThreadId, UserId},
    pagination::{Page, PageRequest, Weigh},
    thread::{
        Member, MemberRole, NewThread, Thread, ThreadChanges, ThreadFilter, ThreadRepository,
        ThreadView,
    },
    time::Timestamp,
    DomainResult,
};
use moka::sync::Cache;

use super::ThreadEpochs;

/// Access entries hold the thread, whose memory and metadata may reach 80 KiB: capped by
/// their weight, not their number.
const MAX_ACCESS_BYTES: u64 = 16 * 1024 * 1024;

/// A caller's access to a thread, as of one of its epochs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct AccessKey {
    thread: ThreadId,
    user: UserId,
    epoch: u64,
}

pub struct CachedThreadRepository {
    inner: Arc<dyn ThreadRepository>,
    epochs: Arc<ThreadEpochs>,
    access: Cache<AccessKey, (Thread, Option<MemberRole>)>,
}

impl CachedThreadRepository {
    pub fn new(inner: Arc<dyn ThreadRepository>, epochs: Arc<ThreadEpochs>) -> Self {
        let access = Cache::builder()
            .max_capacity(MAX_ACCESS_BYTES)
            .weigher(|_, (thread, _): &(Thread, Option<MemberRole>)| {
                u32::try_from(thread.weight()).unwrap_or(u32::MAX)
            })
            .time_to_live(epochs.ttl)
            .build();
        Self {
            inner,
            epochs,
            access,
        }
    }
}

#[async_trait]
impl ThreadRepository for CachedThreadRepository {
    async fn insert(&self, thread: &NewThread, event: &NewEvent) -> DomainResult<Thread> {
        self.inner.insert(thread, event).await
    }

    async fn find_with_role(
        &self,
        id: &ThreadId,
        user: &UserId,
    ) -> DomainResult<Option<(Thread, Option<MemberRole>)>> {
        let key = AccessKey {
            thread: id.clone(),
            user: user.clone(),
            epoch: self.epochs.current(id),
        };
        if let Some(hit) = self.access.get(&key) {
            return Ok(Some(hit));
        }
        let found = self.inner.find_with_role(id, user).await?;
        if let Some(value) = &found {
            self.access.insert(key, value.clone());
        }
        Ok(found)
    }

    async fn list_for_member(
        &self,
        user: &UserId,
        filter: &ThreadFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<ThreadView>> {
        self.inner.list_for_member(user, filter, page).await
    }

    async fn update(
        &self,
        id: &ThreadId,
        changes: &ThreadChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Thread> {
        let result = self
            .inner
            .update(id, changes, expected_updated_at, now, event)
            .await;
        self.epochs.moved(id, result)
    }

    async fn delete(
        &self,
        id: &ThreadId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
    ) -> DomainResult<()> {
        let result = self.inner.delete(id, expected_updated_at, event).await;
        self.epochs.moved(id, result)
    }

    async fn members(&self, id: &ThreadId, page: &PageRequest) -> DomainResult<Page<Member>> {
        self.inner.members(id, page).await
    }

    async fn member(&self, id: &ThreadId, user: &UserId) -> DomainResult<Option<Member>> {
        self.inner.member(id, user).await
    }

    async fn add_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Member> {
        let result = self.inner.add_member(id, user, role, now, event).await;
        self.epochs.moved(id, result)
    }

    async fn change_role(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        event: &NewEvent,
    ) -> DomainResult<Member> {
        let result = self.inner.change_role(id, user, role, event).await;
        self.epochs.moved(id, result)
    }

    async fn remove_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        event: &NewEvent,
    ) -> DomainResult<()> {
        let result = self.inner.remove_member(id, user, event).await;
        self.epochs.moved(id, result)
    }

    async fn count_owners(&self, id: &ThreadId) -> DomainResult<u64> {
        self.inner.count_owners(id).await
    }
}
