//! The rules about files: who may upload where, read, change and delete; how uploads are
//! received (size limit, digest, sniffed type); when bytes go; previews.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::{
    BlobStore, ByteRange, ByteStream, ExternalFields, File, FileChanges, FileFilter,
    FileRepository, FileSource, MediaType, PartialKey, PreviewRenderer, PreviewState, Sha256Digest,
    StorageStep, Thumbnail, UploadFields,
};
use crate::api_key::Scope;
use crate::{
    access::{AccessControl, FileAction, ThreadAction},
    auth::Principal,
    id::{FileId, ThreadId},
    pagination::{Page, PageRequest},
    precondition::Precondition,
    time::{self, Timestamp},
    DomainError, DomainResult,
};

/// How much of an upload's start is kept for sniffing its type.
const SNIFF_BYTES: usize = 8 * 1024;

/// Thumbnails fit in a square of this many pixels.
pub const PREVIEW_MAX_SIDE: u32 = 512;

#[derive(Clone, Copy, Debug)]
pub struct FileLimits {
    /// Uploads beyond this are refused while they stream (413).
    pub max_upload_bytes: u64,
    /// Images beyond this get no preview: decoding reads them whole.
    pub max_preview_source_bytes: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_upload_bytes: 100 * 1024 * 1024,
            max_preview_source_bytes: 32 * 1024 * 1024,
        }
    }
}

/// An upload whose bytes are safely written under a temporary name, not yet a file.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedUpload {
    pub partial: PartialKey,
    pub digest: Sha256Digest,
    pub size_bytes: u64,
    pub detected_type: Option<MediaType>,
}

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub blobs_collected: u64,
    pub partials_removed: u64,
}

pub struct FileService {
    files: Arc<dyn FileRepository>,
    blobs: Arc<dyn BlobStore>,
    previews: Arc<dyn PreviewRenderer>,
    access: Arc<AccessControl>,
    limits: FileLimits,
}

impl FileService {
    pub fn new(
        files: Arc<dyn FileRepository>,
        blobs: Arc<dyn BlobStore>,
        previews: Arc<dyn PreviewRenderer>,
        access: Arc<AccessControl>,
        limits: FileLimits,
    ) -> Self {
        Self {
            files,
            blobs,
            previews,
            access,
            limits,
        }
    }

    /// Fails early, before any byte is received, when the caller may not upload into
    /// `thread`.
    pub async fn check_upload_target(
        &self,
        caller: &Principal,
        thread: &ThreadId,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::FilesWrite)?;
        self.access
            .thread(caller, thread, ThreadAction::Write)
            .await
            .map(drop)
    }

    /// Streams `body` to a temporary blob, computing its digest and size and keeping its
    /// first bytes for sniffing. Beyond the limit, or if the body fails, what was
    /// written is removed.
    /// The body need not be `Send`: request bodies of the web framework are not.
    /// A caller whose key lacks `files:write` is refused before the first byte is read.
    #[tracing::instrument(skip(self, caller, body), fields(caller = %caller.user.id))]
    pub async fn receive<S>(&self, caller: &Principal, mut body: S) -> DomainResult<ReceivedUpload>
    where
        S: Stream<Item = DomainResult<Bytes>> + Unpin,
    {
        caller.require_scope(Scope::FilesWrite)?;
        let mut partial = self.blobs.start_upload().await?;
        let mut hasher = Sha256::new();
        let mut head = BytesMut::new();
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let step = match chunk {
                Ok(chunk) => {
                    size += chunk.len() as u64;
                    if size > self.limits.max_upload_bytes {
                        Err(DomainError::TooLarge("MAX_UPLOAD_BYTES"))
                    } else {
                        hasher.update(&chunk);
                        if head.len() < SNIFF_BYTES {
                            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                            head.extend_from_slice(&chunk[..take]);
                        }
                        partial.write(chunk).await
                    }
                }
                Err(err) => Err(err),
            };
            if let Err(err) = step {
                partial.abort().await;
                return Err(err);
            }
        }
        let partial = partial.finish().await?;
        Ok(ReceivedUpload {
            partial,
            digest: Sha256Digest::of_digest(&hasher.finalize()),
            size_bytes: size,
            detected_type: MediaType::sniff(&head),
        })
    }

    /// Removes a received upload that will not become a file.
    pub async fn discard(&self, upload: &ReceivedUpload) {
        if let Err(err) = self.blobs.discard(&upload.partial).await {
            tracing::warn!(error = %err, "could not discard an upload; the sweep will");
        }
    }

    /// Makes a received upload a file of the caller's. On any failure the upload is
    /// discarded.
    #[tracing::instrument(skip(self, caller, fields, upload), fields(caller = %caller.user.id))]
    pub async fn create_upload(
        &self,
        caller: &Principal,
        fields: UploadFields,
        upload: ReceivedUpload,
    ) -> DomainResult<File> {
        let created = match caller.require_scope(Scope::FilesWrite) {
            Ok(()) => self.store_upload(caller, fields, &upload).await,
            Err(refused) => Err(refused),
        };
        if created.is_err() {
            self.discard(&upload).await;
        }
        created
    }

    async fn store_upload(
        &self,
        caller: &Principal,
        fields: UploadFields,
        upload: &ReceivedUpload,
    ) -> DomainResult<File> {
        if let Some(thread) = &fields.thread_id {
            self.check_upload_target(caller, thread).await?;
        }
        let now = time::now();
        let file = File {
            id: FileId::generate(),
            owner_id: caller.user.id.clone(),
            thread_id: fields.thread_id,
            filename: fields.filename,
            declared_type: fields.declared_type,
            detected_type: upload.detected_type.clone(),
            size_bytes: upload.size_bytes,
            source: FileSource::Stored(upload.digest.clone()),
            preview: PreviewState::Pending,
            metadata: fields.metadata,
            created_at: now,
            updated_at: now,
        };
        let place = PlaceUpload {
            blobs: self.blobs.clone(),
            upload: upload.clone(),
        };
        self.files.insert(&file, Some(Box::new(place))).await
    }

    /// Records a file whose bytes live elsewhere.
    #[tracing::instrument(skip(self, caller, fields), fields(caller = %caller.user.id))]
    pub async fn create_external(
        &self,
        caller: &Principal,
        fields: ExternalFields,
    ) -> DomainResult<File> {
        caller.require_scope(Scope::FilesWrite)?;
        if let Some(thread) = &fields.thread_id {
            self.check_upload_target(caller, thread).await?;
        }
        let now = time::now();
        let file = File {
            id: FileId::generate(),
            owner_id: caller.user.id.clone(),
            thread_id: fields.thread_id,
            filename: fields.filename,
            declared_type: fields.content_type,
            detected_type: None,
            size_bytes: fields.size_bytes,
            source: FileSource::External(fields.url),
            preview: PreviewState::Unavailable,
            metadata: fields.metadata,
            created_at: now,
            updated_at: now,
        };
        self.files.insert(&file, None).await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn get(&self, caller: &Principal, id: &FileId) -> DomainResult<File> {
        caller.require_scope(Scope::FilesRead)?;
        self.access.file(caller, id, FileAction::Read).await
    }

    /// The caller's files and those of threads they read; with `thread_id`, that thread
    /// must be readable.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        filter: &FileFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<File>> {
        caller.require_scope(Scope::FilesRead)?;
        if let Some(thread) = &filter.thread_id {
            self.access
                .thread(caller, thread, ThreadAction::Read)
                .await?;
        }
        self.files.list_visible(&caller.user.id, filter, page).await
    }

    /// The bytes of a file the caller has read access to (as `get` returned it), or of
    /// `range` of them. External files have no bytes here.
    pub async fn read_bytes(
        &self,
        file: &File,
        range: Option<ByteRange>,
    ) -> DomainResult<ByteStream> {
        match &file.source {
            FileSource::Stored(digest) => self.blobs.read(digest, range).await,
            FileSource::External(_) => Err(DomainError::NotFound("file content")),
        }
    }

    /// A thumbnail, made on the first request and kept. `NotFound("preview")` for files
    /// that are not JPEG, PNG, GIF or WebP images, or whose image cannot be previewed.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn preview(&self, caller: &Principal, id: &FileId) -> DomainResult<Thumbnail> {
        caller.require_scope(Scope::FilesRead)?;
        let file = self.access.file(caller, id, FileAction::Read).await?;
        let digest = match (&file.source, file.has_preview()) {
            (FileSource::Stored(digest), true) => digest.clone(),
            _ => return Err(DomainError::NotFound("preview")),
        };
        let content_type = thumbnail_type(&file);
        let kept = |bytes| Thumbnail {
            bytes,
            content_type,
        };
        if file.preview == PreviewState::Ready {
            if let Some(bytes) = self.blobs.read_preview(&digest).await? {
                return Ok(kept(bytes));
            }
        }
        // How many renders run at once is the renderer's budget. The turn is taken before
        // the image is read, so waiting requests hold no image bytes, and kept until the
        // thumbnail is stored, so a request that waited behind a render of the same image
        // finds it made.
        let turn = self.previews.turn().await?;
        if let Some(bytes) = self.blobs.read_preview(&digest).await? {
            return Ok(kept(bytes));
        }
        let rendered = if file.size_bytes > self.limits.max_preview_source_bytes {
            None
        } else {
            let image = collect(self.blobs.read(&digest, None).await?).await?;
            self.previews.render(&turn, image, PREVIEW_MAX_SIDE).await?
        };
        match rendered {
            Some(thumbnail) => {
                self.blobs
                    .write_preview(&digest, thumbnail.bytes.clone())
                    .await?;
                self.files.set_preview(&digest, PreviewState::Ready).await?;
                Ok(thumbnail)
            }
            None => {
                self.files
                    .set_preview(&digest, PreviewState::Unavailable)
                    .await?;
                Err(DomainError::NotFound("preview"))
            }
        }
    }

    /// The owner changes the name or metadata.
    #[tracing::instrument(skip(self, caller, changes), fields(caller = %caller.user.id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: &FileId,
        changes: FileChanges,
        precondition: &Precondition,
    ) -> DomainResult<File> {
        caller.require_scope(Scope::FilesWrite)?;
        let file = self.access.file(caller, id, FileAction::Change).await?;
        precondition.check(&file.etag())?;
        if changes == FileChanges::default() {
            return Ok(file);
        }
        let expected = precondition.write_condition(file.updated_at);
        self.files
            .update(id, &changes, expected, time::after(file.updated_at))
            .await
    }

    /// The record goes at once (with its attachment links); the bytes go when no record
    /// references them any more.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn delete(
        &self,
        caller: &Principal,
        id: &FileId,
        precondition: &Precondition,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::FilesWrite)?;
        let file = self.access.file(caller, id, FileAction::Delete).await?;
        precondition.check(&file.etag())?;
        self.files
            .delete(id, precondition.write_condition(file.updated_at))
            .await?;
        if let Some(digest) = file.sha256() {
            // The record is gone either way; bytes left behind here are the sweep's.
            if let Err(err) = self.collect(digest).await {
                tracing::warn!(error = %err, "could not remove unreferenced bytes yet");
            }
        }
        Ok(())
    }

    async fn collect(&self, digest: &Sha256Digest) -> DomainResult<bool> {
        let remove = RemoveBytes {
            blobs: self.blobs.clone(),
            digest: digest.clone(),
        };
        self.files.collect_blob(digest, Box::new(remove)).await
    }

    /// Removes bytes no record references and uploads abandoned before `now - grace`.
    /// Bytes younger than `grace` with no record may belong to an upload in flight, so
    /// only older ones are considered.
    #[tracing::instrument(skip(self))]
    pub async fn sweep(
        &self,
        now: Timestamp,
        grace: chrono::Duration,
    ) -> DomainResult<SweepReport> {
        const BATCH: u64 = 500;
        let mut report = SweepReport::default();
        let mut candidates = self.files.unreferenced_blobs(BATCH).await?;
        let cutoff = now - grace;
        let stored = self.blobs.blobs_older_than(cutoff).await?;
        for chunk in stored.chunks(BATCH as usize) {
            let known = self.files.known_blobs(chunk).await?;
            candidates.extend(chunk.iter().filter(|d| !known.contains(d)).cloned());
        }
        // One blob that cannot be collected now must not stop the others.
        for digest in &candidates {
            match self.collect(digest).await {
                Ok(collected) => report.blobs_collected += u64::from(collected),
                Err(err) => tracing::warn!(error = %err, "could not collect a blob yet"),
            }
        }
        report.partials_removed = self.blobs.remove_partials_older_than(cutoff).await?;
        Ok(report)
    }
}

/// JPEG photos keep JPEG thumbnails; everything else becomes PNG (keeps transparency).
fn thumbnail_type(file: &File) -> &'static str {
    match file.detected_type.as_ref().map(MediaType::essence) {
        Some("image/jpeg") => "image/jpeg",
        _ => "image/png",
    }
}

/// Reads a whole stream into memory; only for bounded sources.
async fn collect(mut stream: ByteStream) -> DomainResult<Bytes> {
    let mut all = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(all.freeze())
}

struct PlaceUpload {
    blobs: Arc<dyn BlobStore>,
    upload: ReceivedUpload,
}

#[async_trait]
impl StorageStep for PlaceUpload {
    async fn run(&self) -> DomainResult<()> {
        self.blobs
            .place(&self.upload.partial, &self.upload.digest)
            .await
    }
}

struct RemoveBytes {
    blobs: Arc<dyn BlobStore>,
    digest: Sha256Digest,
}

#[async_trait]
impl StorageStep for RemoveBytes {
    async fn run(&self) -> DomainResult<()> {
        self.blobs.delete(&self.digest).await
    }
}
