//! Read caches for what every read inside a thread costs: the caller's access to the thread
//! (one query) and a page of its messages (one row per message, which is where SQLite's
//! driver spends its time). Chat clients read the newest page of a thread far more often
//! than anyone writes to it.
//!
//! Exact for one instance, like the auth cache (`read_cache.rs`): every write to a thread
//! goes through these wrappers, which move the thread's epoch once the write has committed;
//! cache keys include the epoch, so a read after a write never sees an older entry, and an
//! entry filled by a read that raced the write is simply never asked for again. Several
//! instances cannot see each other's writes, so the composition root enables the caches
//! only where one instance owns the database (SQLite) unless configured otherwise.
//! Deleting a user changes threads by cascade without passing here; entries then live out
//! their time to live (30 s by default). File changes show in message pages (attachment
//! summaries) of threads the file does not name, so `CachedFileRepository` moves every
//! thread's epoch when a file is renamed, deleted or loses its preview: rare writes, and
//! the caches refill on the next read.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use async_trait::async_trait;
use domain::{
    event::NewEvent,
    file::{
        File, FileChanges, FileFilter, FileRepository, PreviewState, Sha256Digest, StorageStep,
    },
    id::{FileId, MessageId, ThreadId, UserId},
    message::{Message, MessageChanges, MessageFilter, MessageRepository, NewMessage, Revision},
    pagination::{Page, PageRequest, Weigh},
    reaction::{Emoji, NewReaction, ReactionGroup, ReactionRepository, Toggled},
    thread::{
        Member, MemberRole, NewThread, Thread, ThreadChanges, ThreadFilter, ThreadRepository,
        ThreadView,
    },
    time::Timestamp,
    DomainResult,
};
use moka::sync::Cache;

/// Epochs are a thread id and a number each: about 100 bytes, so 10 MB at most.
const MAX_EPOCH_ENTRIES: u64 = 100_000;
/// Access entries hold the thread, whose memory and metadata may reach 80 KiB: capped by
/// their weight, not their number.
const MAX_ACCESS_BYTES: u64 = 16 * 1024 * 1024;
/// Message pages, by the weight of their messages (`approximate_bytes`).
const MAX_PAGE_BYTES: u64 = 32 * 1024 * 1024;

/// Each thread's current epoch. Values come from one counter and are never reused, so a
/// thread whose epoch was evicted gets a fresh one that no old key can match.
pub struct ThreadEpochs {
    epochs: Cache<ThreadId, u64>,
    next: AtomicU64,
    ttl: Duration,
}

impl ThreadEpochs {
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            epochs: Cache::builder().max_capacity(MAX_EPOCH_ENTRIES).build(),
            next: AtomicU64::new(1),
            ttl,
        })
    }

    fn current(&self, thread: &ThreadId) -> u64 {
        self.epochs
            .get_with_by_ref(thread, || self.next.fetch_add(1, Ordering::AcqRel))
    }

    /// Called after a write to the thread committed (or failed: a spare bump is harmless).
    fn moved(&self, thread: &ThreadId) {
        self.epochs
            .insert(thread.clone(), self.next.fetch_add(1, Ordering::AcqRel));
    }

    /// Every thread's next epoch is fresh: after a write that may show in any thread.
    fn all_moved(&self) {
        self.epochs.invalidate_all();
    }
}

pub struct CachedThreadRepository {
    inner: Arc<dyn ThreadRepository>,
    epochs: Arc<ThreadEpochs>,
    access: Cache<(ThreadId, UserId, u64), (Thread, Option<MemberRole>)>,
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

    fn after<T>(&self, thread: &ThreadId, result: DomainResult<T>) -> DomainResult<T> {
        self.epochs.moved(thread);
        result
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
        let key = (id.clone(), user.clone(), self.epochs.current(id));
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
        self.after(id, result)
    }

    async fn delete(
        &self,
        id: &ThreadId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
    ) -> DomainResult<()> {
        let result = self.inner.delete(id, expected_updated_at, event).await;
        self.after(id, result)
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
        self.after(id, result)
    }

    async fn change_role(
        &self,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
        event: &NewEvent,
    ) -> DomainResult<Member> {
        let result = self.inner.change_role(id, user, role, event).await;
        self.after(id, result)
    }

    async fn remove_member(
        &self,
        id: &ThreadId,
        user: &UserId,
        event: &NewEvent,
    ) -> DomainResult<()> {
        let result = self.inner.remove_member(id, user, event).await;
        self.after(id, result)
    }

    async fn count_owners(&self, id: &ThreadId) -> DomainResult<u64> {
        self.inner.count_owners(id).await
    }
}

/// A page of a thread's messages, as asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageKey {
    thread: ThreadId,
    epoch: u64,
    filter: String,
    limit: u64,
    after: Option<String>,
}

pub struct CachedMessageRepository {
    inner: Arc<dyn MessageRepository>,
    epochs: Arc<ThreadEpochs>,
    pages: Cache<PageKey, Arc<Page<Message>>>,
}

impl CachedMessageRepository {
    pub fn new(inner: Arc<dyn MessageRepository>, epochs: Arc<ThreadEpochs>) -> Self {
        let pages = Cache::builder()
            .max_capacity(MAX_PAGE_BYTES)
            .weigher(|_, page: &Arc<Page<Message>>| approximate_bytes(page))
            .time_to_live(epochs.ttl)
            .build();
        Self {
            inner,
            epochs,
            pages,
        }
    }

    fn after<T>(&self, event: &NewEvent, result: DomainResult<T>) -> DomainResult<T> {
        self.epochs.moved(&event.thread_id);
        result
    }
}

/// What a page holds: the weight of its messages (their text, blocks, metadata and
/// attachment summaries, `domain::weight`). Blocks can be most of a message (a table of
/// 800 KB), so they must count, or the byte cap would not cap anything.
fn approximate_bytes(page: &Page<Message>) -> u32 {
    let bytes: usize = page.items.iter().map(Weigh::weight).sum();
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

#[async_trait]
impl MessageRepository for CachedMessageRepository {
    async fn insert(&self, message: &NewMessage, event: &NewEvent) -> DomainResult<Message> {
        let result = self.inner.insert(message, event).await;
        self.after(event, result)
    }

    async fn find(&self, id: &MessageId) -> DomainResult<Option<Message>> {
        self.inner.find(id).await
    }

    async fn list(
        &self,
        thread: &ThreadId,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Message>> {
        let key = PageKey {
            thread: thread.clone(),
            epoch: self.epochs.current(thread),
            filter: format!("{:?}", filter),
            limit: page.limit.get(),
            after: page.after.as_ref().map(|c| c.key().to_owned()),
        };
        if let Some(hit) = self.pages.get(&key) {
            return Ok(Page::clone(&hit));
        }
        let loaded = self.inner.list(thread, filter, page).await?;
        self.pages.insert(key, Arc::new(loaded.clone()));
        Ok(loaded)
    }

    async fn update(
        &self,
        id: &MessageId,
        changes: &MessageChanges,
        editor: &UserId,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Message> {
        let result = self
            .inner
            .update(id, changes, editor, expected_updated_at, now, event)
            .await;
        self.after(event, result)
    }

    async fn revisions(&self, id: &MessageId, page: &PageRequest) -> DomainResult<Page<Revision>> {
        self.inner.revisions(id, page).await
    }

    async fn delete(
        &self,
        id: &MessageId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
    ) -> DomainResult<()> {
        let result = self.inner.delete(id, expected_updated_at, event).await;
        self.after(event, result)
    }
}

/// Reactions change the counts on cached pages: their writes move the thread's epoch.
pub struct CachedReactionRepository {
    inner: Arc<dyn ReactionRepository>,
    epochs: Arc<ThreadEpochs>,
}

impl CachedReactionRepository {
    pub fn new(inner: Arc<dyn ReactionRepository>, epochs: Arc<ThreadEpochs>) -> Self {
        Self { inner, epochs }
    }
}

#[async_trait]
impl ReactionRepository for CachedReactionRepository {
    async fn toggle(
        &self,
        reaction: &NewReaction,
        max_distinct: usize,
        added: &NewEvent,
        removed: &NewEvent,
    ) -> DomainResult<Toggled> {
        let result = self
            .inner
            .toggle(reaction, max_distinct, added, removed)
            .await;
        self.epochs.moved(&added.thread_id);
        result
    }

    async fn remove(
        &self,
        message: &MessageId,
        user: &UserId,
        emoji: &Emoji,
        event: &NewEvent,
    ) -> DomainResult<bool> {
        let result = self.inner.remove(message, user, emoji, event).await;
        self.epochs.moved(&event.thread_id);
        result
    }

    async fn list(&self, message: &MessageId, viewer: &UserId) -> DomainResult<Vec<ReactionGroup>> {
        self.inner.list(message, viewer).await
    }
}

/// Passes file writes through and then moves every thread's epoch (see the module
/// documentation): a file's name and preview show in the pages of the threads that
/// attach it.
pub struct CachedFileRepository {
    inner: Arc<dyn FileRepository>,
    epochs: Arc<ThreadEpochs>,
}

impl CachedFileRepository {
    pub fn new(inner: Arc<dyn FileRepository>, epochs: Arc<ThreadEpochs>) -> Self {
        Self { inner, epochs }
    }
}

#[async_trait]
impl FileRepository for CachedFileRepository {
    async fn insert(
        &self,
        file: &File,
        place_bytes: Option<Box<dyn StorageStep>>,
    ) -> DomainResult<File> {
        self.inner.insert(file, place_bytes).await
    }

    async fn find(&self, id: &FileId) -> DomainResult<Option<File>> {
        self.inner.find(id).await
    }

    async fn readable_through_threads(&self, id: &FileId, user: &UserId) -> DomainResult<bool> {
        self.inner.readable_through_threads(id, user).await
    }

    async fn list_visible(
        &self,
        user: &UserId,
        filter: &FileFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<File>> {
        self.inner.list_visible(user, filter, page).await
    }

    async fn update(
        &self,
        id: &FileId,
        changes: &FileChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
    ) -> DomainResult<File> {
        let result = self
            .inner
            .update(id, changes, expected_updated_at, now)
            .await;
        self.epochs.all_moved();
        result
    }

    async fn delete(
        &self,
        id: &FileId,
        expected_updated_at: Option<Timestamp>,
    ) -> DomainResult<()> {
        let result = self.inner.delete(id, expected_updated_at).await;
        self.epochs.all_moved();
        result
    }

    async fn collect_blob(
        &self,
        digest: &Sha256Digest,
        remove_bytes: Box<dyn StorageStep>,
    ) -> DomainResult<bool> {
        self.inner.collect_blob(digest, remove_bytes).await
    }

    async fn unreferenced_blobs(&self, limit: u64) -> DomainResult<Vec<Sha256Digest>> {
        self.inner.unreferenced_blobs(limit).await
    }

    async fn known_blobs(&self, digests: &[Sha256Digest]) -> DomainResult<Vec<Sha256Digest>> {
        self.inner.known_blobs(digests).await
    }

    async fn set_preview(&self, digest: &Sha256Digest, state: PreviewState) -> DomainResult<()> {
        let result = self.inner.set_preview(digest, state).await;
        self.epochs.all_moved();
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::BTreeMap;

    use domain::{
        file::{ExternalUrl, FileName, FileSummary, MediaType},
        id::FileId,
        json_object::Metadata,
        message::{Blocks, MessageContent, MessageRole, MessageStatus},
    };
    use serde_json::{json, Value};

    use super::*;

    fn message(content: Option<&str>, blocks: Value, metadata: Value) -> Message {
        let now = domain::time::now();
        Message {
            id: MessageId::generate(),
            thread_id: ThreadId::generate(),
            author_id: UserId::generate(),
            role: MessageRole::User,
            content: content.map(|c| MessageContent::parse(c).unwrap()),
            blocks: Blocks::from_trusted(blocks),
            metadata: Metadata::from_trusted(metadata),
            parent_id: None,
            status: MessageStatus::Complete,
            attachments: Vec::new(),
            reaction_counts: BTreeMap::new(),
            edited_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn page(items: Vec<Message>) -> Page<Message> {
        Page { items, next: None }
    }

    #[test]
    fn a_page_weighs_at_least_its_blocks() {
        let big =
            json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(100_000)}}]);
        let weight = approximate_bytes(&page(vec![message(None, big, json!({}))]));
        assert!(weight > 100_000, "{weight}");

        let rows: Vec<Value> = (0..1_000)
            .map(|i| json!({"name": format!("a long label repeated in row {i:04} of the table")}))
            .collect();
        let table = json!([{
            "type": "table",
            "columns": [{"key": "name", "label": "Name"}],
            "rows": rows
        }]);
        let table_bytes = serde_json::to_string(&table).unwrap().len();
        let weight = approximate_bytes(&page(vec![message(Some("hi"), table, json!({}))]));
        assert!(weight as usize >= table_bytes, "{weight} < {table_bytes}");
    }

    #[test]
    fn a_page_weighs_at_least_its_metadata() {
        let metadata = json!({"trace": "m".repeat(15_000)});
        let weight = approximate_bytes(&page(vec![message(Some("hi"), json!([]), metadata)]));
        assert!(weight > 15_000, "{weight}");
    }

    #[test]
    fn a_page_weighs_at_least_its_attachments() {
        let file = |name_len: usize| FileSummary {
            id: FileId::generate(),
            filename: FileName::parse(&"n".repeat(name_len)).unwrap(),
            content_type: MediaType::parse("image/png").unwrap(),
            size_bytes: 1,
            has_preview: true,
            external_url: Some(
                ExternalUrl::parse(&format!("https://x.example/{}", "u".repeat(1_000))).unwrap(),
            ),
        };
        let plain = approximate_bytes(&page(vec![message(Some("hi"), json!([]), json!({}))]));
        let mut with_files = message(Some("hi"), json!([]), json!({}));
        with_files.attachments = (0..10).map(|_| file(255)).collect();
        let weight = approximate_bytes(&page(vec![with_files]));
        assert!(weight >= plain + 10 * (255 + 1_000), "{weight}");
    }

    #[test]
    fn a_page_weighs_the_sum_of_its_messages() {
        let one = || {
            message(
                Some(&"c".repeat(10_000)),
                json!([{"type": "section", "text": {"type": "mrkdwn", "text": "b".repeat(20_000)}}]),
                json!({"k": "m".repeat(5_000)}),
            )
        };
        let single = approximate_bytes(&page(vec![one()]));
        assert!(single > 35_000, "{single}");
        let triple = approximate_bytes(&page(vec![one(), one(), one()]));
        assert_eq!(triple, 3 * single);
        assert!(approximate_bytes(&page(vec![])) < 512);
    }
}
