//! Passes file writes through and then moves every thread's epoch (`thread_epochs.rs`): a
//! file's name and preview show in the message pages of the threads that attach it, which
//! the file does not name.

use std::sync::Arc;

use async_trait::async_trait;
use domain::{
    file::{
        File, FileChanges, FileFilter, FileRepository, PreviewState, Sha256Digest, StorageStep,
    },
    id::{FileId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

use super::ThreadEpochs;

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
        self.epochs.all_moved(result)
    }

    async fn delete(
        &self,
        id: &FileId,
        expected_updated_at: Option<Timestamp>,
    ) -> DomainResult<()> {
        let result = self.inner.delete(id, expected_updated_at).await;
        self.epochs.all_moved(result)
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
        self.epochs.all_moved(result)
    }
}
