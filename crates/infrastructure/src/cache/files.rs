//! Passes file writes through and then moves every thread's epoch (`thread_epochs.rs`): a
//! file's name and preview show in the message pages of the threads that attach it, which
//! the file does not name.

use std::sync::Arc;

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

decorate! {
    impl FileRepository for CachedFileRepository {
        fn insert(&self, file: &File, place_bytes: Option<Box<dyn StorageStep>>)
            -> DomainResult<File>;
        fn find(&self, id: &FileId) -> DomainResult<Option<File>>;
        fn readable_through_threads(&self, id: &FileId, user: &UserId) -> DomainResult<bool>;
        fn list_visible(&self, user: &UserId, filter: &FileFilter, page: &PageRequest)
            -> DomainResult<Page<File>>;
        fn update(
            &self, id: &FileId, changes: &FileChanges, expected_updated_at: Option<Timestamp>,
            now: Timestamp,
        ) -> DomainResult<File> => |outcome| self.epochs.all_moved(outcome);
        fn delete(&self, id: &FileId, expected_updated_at: Option<Timestamp>) -> DomainResult<()>
            => |outcome| self.epochs.all_moved(outcome);
        fn collect_blob(&self, digest: &Sha256Digest, remove_bytes: Box<dyn StorageStep>)
            -> DomainResult<bool>;
        fn unreferenced_blobs(&self, limit: u64) -> DomainResult<Vec<Sha256Digest>>;
        fn known_blobs(&self, digests: &[Sha256Digest]) -> DomainResult<Vec<Sha256Digest>>;
        fn set_preview(&self, digest: &Sha256Digest, state: PreviewState) -> DomainResult<()>
            => |outcome| self.epochs.all_moved(outcome);
    }
}
