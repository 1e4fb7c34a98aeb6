//! Pages of a thread's messages, under the thread's epoch (`thread_epochs.rs`), weighed by
//! their messages.

use std::sync::Arc;

use domain::{
    event::NewEvent,
    id::{MessageId, ThreadId, UserId},
    message::{Message, MessageChanges, MessageFilter, MessageRepository, NewMessage, Revision},
    pagination::{Page, PageRequest, Weigh},
    time::Timestamp,
    DomainResult,
};
use moka::sync::Cache;

use super::ThreadEpochs;

/// Message pages, by the weight of their messages (`approximate_bytes`).
const MAX_PAGE_BYTES: u64 = 32 * 1024 * 1024;

/// A page of a thread's messages, as asked for, as of one of the thread's epochs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageKey {
    thread: ThreadId,
    epoch: u64,
    filter: MessageFilter,
    page: PageRequest,
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
}

/// What a page holds: the weight of its messages (their text, blocks, metadata and
/// attachment summaries, `domain::weight`). Blocks can be most of a message (a table of
/// 800 KB), so they must count, or the byte cap would not cap anything.
fn approximate_bytes(page: &Page<Message>) -> u32 {
    let bytes: usize = page.items.iter().map(Weigh::weight).sum();
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

decorate! {
    impl MessageRepository for CachedMessageRepository {
        fn insert(&self, message: &NewMessage, event: &NewEvent) -> DomainResult<Message>
            => |outcome| self.epochs.moved(&event.thread_id, outcome);
        fn find(&self, id: &MessageId) -> DomainResult<Option<Message>>;
        fn update(
            &self, id: &MessageId, changes: &MessageChanges, editor: &UserId,
            expected_updated_at: Option<Timestamp>, now: Timestamp, event: &NewEvent,
        ) -> DomainResult<Message> => |outcome| self.epochs.moved(&event.thread_id, outcome);
        fn revisions(&self, id: &MessageId, page: &PageRequest) -> DomainResult<Page<Revision>>;
        fn delete(&self, id: &MessageId, expected_updated_at: Option<Timestamp>, event: &NewEvent)
            -> DomainResult<()> => |outcome| self.epochs.moved(&event.thread_id, outcome);

        async fn list(&self, thread: &ThreadId, filter: &MessageFilter, page: &PageRequest)
            -> DomainResult<Page<Message>> {
            let key = PageKey {
                thread: thread.clone(),
                epoch: self.epochs.current(thread),
                filter: filter.clone(),
                page: page.clone(),
            };
            if let Some(hit) = self.pages.get(&key) {
                return Ok(Page::clone(&hit));
            }
            let loaded = self.inner.list(thread, filter, page).await?;
            self.pages.insert(key, Arc::new(loaded.clone()));
            Ok(loaded)
        }
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
