//! The caller's access to a thread (the thread and their role in it), under the thread's
//! epoch (`thread_epochs.rs`).

use std::sync::Arc;

use domain::{
    audit::NewAuditEntry,
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

decorate! {
    impl ThreadRepository for CachedThreadRepository {
        fn insert(&self, thread: &NewThread, event: &NewEvent) -> DomainResult<Thread>;
        fn list_for_member(&self, user: &UserId, filter: &ThreadFilter, page: &PageRequest)
            -> DomainResult<Page<ThreadView>>;
        fn update(
            &self, id: &ThreadId, changes: &ThreadChanges, expected_updated_at: Option<Timestamp>,
            now: Timestamp, event: &NewEvent,
        ) -> DomainResult<Thread> => |outcome| self.epochs.moved(id, outcome);
        fn delete(
            &self, id: &ThreadId, expected_updated_at: Option<Timestamp>, event: &NewEvent,
            audit: &NewAuditEntry,
        ) -> DomainResult<()> => |outcome| self.epochs.moved(id, outcome);
        fn members(&self, id: &ThreadId, page: &PageRequest) -> DomainResult<Page<Member>>;
        fn member(&self, id: &ThreadId, user: &UserId) -> DomainResult<Option<Member>>;
        fn add_member(
            &self, id: &ThreadId, user: &UserId, role: MemberRole, now: Timestamp,
            event: &NewEvent, audit: &NewAuditEntry,
        ) -> DomainResult<Member> => |outcome| self.epochs.moved(id, outcome);
        fn change_role(
            &self, id: &ThreadId, user: &UserId, role: MemberRole, event: &NewEvent,
            audit: &NewAuditEntry,
        ) -> DomainResult<Member> => |outcome| self.epochs.moved(id, outcome);
        fn remove_member(
            &self, id: &ThreadId, user: &UserId, event: &NewEvent, audit: &NewAuditEntry,
        ) -> DomainResult<()> => |outcome| self.epochs.moved(id, outcome);
        fn count_owners(&self, id: &ThreadId) -> DomainResult<u64>;

        async fn find_with_role(&self, id: &ThreadId, user: &UserId)
            -> DomainResult<Option<(Thread, Option<MemberRole>)>> {
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
    }
}
