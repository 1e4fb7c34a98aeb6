//! What the file service needs: a record store, a blob store for the bytes and a
//! thumbnail renderer.
//!
//! Bytes are kept once per SHA-256 (a "blob"); records point at them. Creating a record
//! and collecting an unreferenced blob both go through the record store while it holds
//! that blob's row, with the storage step run inside, so a new upload of the same bytes
//! can never lose them to a concurrent collection.

use std::{any::Any, fmt, sync::Arc};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;

use super::{ByteRange, File, FileChanges, FileFilter, PreviewState, Sha256Digest};
use crate::{
    id::{FileId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

/// Bytes as they flow in from a request or out to a response.
pub type ByteStream = BoxStream<'static, DomainResult<Bytes>>;

/// One step on the blob store, run by the record store at the point where it holds the
/// blob's row (see the module documentation).
#[async_trait]
pub trait StorageStep: Send + Sync {
    async fn run(&self) -> DomainResult<()>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FileRepository: Send + Sync {
    /// Stores the record. For a stored file, first claims the blob's row and runs
    /// `place_bytes` (which moves the upload to its address) before the record commits;
    /// if it fails nothing is stored. `NotFound("thread")` when `thread_id` is gone.
    async fn insert(
        &self,
        file: &File,
        place_bytes: Option<Box<dyn StorageStep>>,
    ) -> DomainResult<File>;

    async fn find(&self, id: &FileId) -> DomainResult<Option<File>>;

    /// Whether `user` may read the file through a thread: a member of the file's thread
    /// or of a thread where a message attaches it.
    async fn readable_through_threads(&self, id: &FileId, user: &UserId) -> DomainResult<bool>;

    /// Files the user owns, files of threads they are a member of and files attached in
    /// those threads; newest first. With `filter.thread_id`, every file of that thread
    /// and every file attached in it: the caller has been checked to read that thread.
    async fn list_visible(
        &self,
        user: &UserId,
        filter: &FileFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<File>>;

    /// Applies `changes` and sets `updated_at` to `now`; with `expected_updated_at` only if
    /// the record still has it (`PreconditionFailed`). `NotFound("file")` when gone.
    async fn update(
        &self,
        id: &FileId,
        changes: &FileChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
    ) -> DomainResult<File>;

    /// Removes the record and its attachment links. `NotFound("file")` when gone.
    async fn delete(&self, id: &FileId, expected_updated_at: Option<Timestamp>)
        -> DomainResult<()>;

    /// If no record references the blob, runs `remove_bytes` and forgets the blob, while
    /// holding its row. Returns whether it was collected.
    async fn collect_blob(
        &self,
        digest: &Sha256Digest,
        remove_bytes: Box<dyn StorageStep>,
    ) -> DomainResult<bool>;

    /// Blobs no record references (their files were deleted with their owner), at most
    /// `limit`.
    async fn unreferenced_blobs(&self, limit: u64) -> DomainResult<Vec<Sha256Digest>>;

    /// Which of `digests` the record store knows.
    async fn known_blobs(&self, digests: &[Sha256Digest]) -> DomainResult<Vec<Sha256Digest>>;

    async fn set_preview(&self, digest: &Sha256Digest, state: PreviewState) -> DomainResult<()>;
}

/// An upload being written under a temporary name.
#[async_trait]
pub trait PartialBlob: Send {
    async fn write(&mut self, chunk: Bytes) -> DomainResult<()>;

    /// Makes every written byte durable under the temporary name.
    async fn finish(self: Box<Self>) -> DomainResult<PartialKey>;

    /// Gives up and removes what was written.
    async fn abort(self: Box<Self>);
}

/// The temporary name of a finished upload, until it is placed or discarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialKey(pub String);

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync {
    async fn start_upload(&self) -> DomainResult<Box<dyn PartialBlob>>;

    /// Moves a finished upload to its content address, replacing identical bytes if they
    /// are already there.
    async fn place(&self, partial: &PartialKey, digest: &Sha256Digest) -> DomainResult<()>;

    /// Removes a finished upload that will not be placed.
    async fn discard(&self, partial: &PartialKey) -> DomainResult<()>;

    /// The bytes, or the bytes of `range`. `NotFound("file")` when missing.
    async fn read(
        &self,
        digest: &Sha256Digest,
        range: Option<ByteRange>,
    ) -> DomainResult<ByteStream>;

    /// Removes the bytes and their preview; removing missing bytes is not an error.
    async fn delete(&self, digest: &Sha256Digest) -> DomainResult<()>;

    async fn exists(&self, digest: &Sha256Digest) -> DomainResult<bool>;

    async fn read_preview(&self, digest: &Sha256Digest) -> DomainResult<Option<Bytes>>;

    async fn write_preview(&self, digest: &Sha256Digest, image: Bytes) -> DomainResult<()>;

    /// Blobs last written before `before`.
    async fn blobs_older_than(&self, before: Timestamp) -> DomainResult<Vec<Sha256Digest>>;

    /// Removes uploads that were started but not touched since `before`; returns how many.
    async fn remove_partials_older_than(&self, before: Timestamp) -> DomainResult<u64>;
}

/// A thumbnail: its bytes and their media type.
#[derive(Clone, Debug, PartialEq)]
pub struct Thumbnail {
    pub bytes: Bytes,
    pub content_type: &'static str,
}

/// A turn to render, given by [`PreviewRenderer::turn`]. The renderer counts the render
/// against its budget for as long as the turn lives. Clones share the one turn, which is
/// given back when the last of them is dropped.
#[derive(Clone)]
pub struct RenderTurn {
    /// Held only to be dropped: giving it back is what ends the turn.
    _guard: Arc<dyn Any + Send + Sync>,
}

impl RenderTurn {
    /// A turn that holds `guard` (a semaphore permit, say) until it is dropped.
    pub fn holding(guard: impl Any + Send + Sync) -> Self {
        Self {
            _guard: Arc::new(guard),
        }
    }
}

impl fmt::Debug for RenderTurn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RenderTurn")
    }
}

/// Renders thumbnails within a budget of its own (how many at once) that it alone sizes.
///
/// A render reads the image whole and decodes it, so the budget must cover the bytes as
/// well as the decode: callers wait for a [`turn`](Self::turn) *before* reading the image,
/// show it to [`render`](Self::render), and keep it until they have stored the result.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PreviewRenderer: Send + Sync {
    /// Waits until the budget allows one more render.
    async fn turn(&self) -> DomainResult<RenderTurn>;

    /// A thumbnail whose longest side is at most `max_side` px, or `None` when the
    /// image cannot be previewed (corrupt, unsupported, or more pixels than allowed).
    /// `turn` must be one of this renderer's; the renderer keeps a share of it until the
    /// decode has ended, even if the caller stops waiting.
    async fn render(
        &self,
        turn: &RenderTurn,
        image: Bytes,
        max_side: u32,
    ) -> DomainResult<Option<Thumbnail>>;
}
