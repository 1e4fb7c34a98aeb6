//! [`ObjectBlobStore`]: the domain's [`BlobStore`] over any `object_store` backend (a local
//! directory, memory, S3).
//!
//! Keys, relative to the store's root (or its S3 prefix):
//!
//! - `blobs/<first 2 hex>/<digest>`: the bytes of every stored file, once per SHA-256;
//! - `previews/<first 2 hex>/<digest>`: the thumbnail of an image blob;
//! - `partial/<uuid v4>`: an upload that was finished but not yet placed or discarded.
//!
//! Placing an upload is `ObjectStore::rename`: an atomic `rename(2)` on a local directory,
//! a copy and a delete in memory and on S3 (a single `CopyObject`, good up to 5 GiB).
//!
//! Memory stays bounded whatever the file size: uploads go out in parts of `part_size`
//! bytes with at most [`MAX_PARTS_IN_FLIGHT`] parts outstanding, and reads are streamed.
//!
//! The sweep ([`BlobStore::remove_partials_older_than`]) judges an upload by when it was
//! last written, which does not tell a slow upload from an abandoned one: a local upload
//! reaches the disk only a part at a time, and a finished upload may wait for the rest of
//! its request (later multipart fields, the record) before it is placed. So the store
//! keeps a registry of the uploads this process has in hand, shared by its clones, and
//! the sweep leaves them alone whatever their age: an upload is registered from
//! `start_upload`, and stays so after `finish` until it is placed or discarded; an upload
//! aborted, dropped unfinished or failing to finish leaves it. A finished upload nobody
//! placed or discarded (its request was dropped in between) is protected for
//! [`FINISHED_UPLOAD_HOLD`] at most, so that its bytes are swept in the end.
//!
//! The registry is in this process only: the sweep of another process on the same
//! directory or bucket cannot see it. There, what protects an upload in progress is the
//! grace period the sweep is given, which must exceed the longest pause an upload may
//! take between two parts and between finishing and being placed.

use std::{
    path::{Path as FsPath, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context as _;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{
    local::LocalFileSystem, memory::InMemory, path::Path, GetOptions, GetRange, ObjectStore,
    ObjectStoreExt, PutPayload,
};

use domain::{
    file::{BlobStore, ByteRange, ByteStream, PartialBlob, PartialKey, Sha256Digest},
    time::Timestamp,
    DomainError, DomainResult,
};

use super::partial_upload::{LiveUploads, ObjectPartialBlob};

/// S3's smallest part (every part but the last must be at least 5 MiB).
pub const S3_PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts for the local and in-memory stores, where no minimum applies: smaller parts keep
/// less in memory per upload.
pub const LOCAL_PART_SIZE: usize = 1024 * 1024;

/// Parts of one upload sent at the same time; a writer waits for one to finish before
/// starting another, so an upload holds at most about `(MAX_PARTS_IN_FLIGHT + 1) *
/// part_size` bytes in memory (the parts in flight plus the one being filled).
pub const MAX_PARTS_IN_FLIGHT: usize = 2;

/// How long a finished upload is kept from the sweep while it waits to be placed or
/// discarded; after that it is swept like any other (see the module documentation).
pub const FINISHED_UPLOAD_HOLD: Duration = Duration::from_secs(24 * 60 * 60);

const BLOBS: &str = "blobs";
const PREVIEWS: &str = "previews";
const PARTIALS: &str = "partial";

/// The blob store over an [`ObjectStore`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    part_size: usize,
    /// The directory behind a local store, for what `object_store` does not show (see
    /// [`ObjectBlobStore::local`]).
    local_root: Option<PathBuf>,
    /// The uploads this process has in hand, which the sweep leaves alone.
    live: LiveUploads,
}

impl ObjectBlobStore {
    /// A blob store over `store`, uploading in parts of `part_size` bytes (at least
    /// [`S3_PART_SIZE`] for S3; a zero is taken as one byte).
    pub fn new(store: Arc<dyn ObjectStore>, part_size: usize) -> Self {
        Self {
            store,
            part_size: part_size.max(1),
            local_root: None,
            live: LiveUploads::default(),
        }
    }

    /// Files under the directory `root`, created if missing, in parts of
    /// [`LOCAL_PART_SIZE`].
    ///
    /// Writes are fsynced (file and directory) before they count as done, as on S3: a
    /// record must not outlive its bytes in a power cut. Placing an upload is an atomic
    /// `rename(2)` within `root`.
    ///
    /// While an upload is in progress, `LocalFileSystem` writes it to a staging file named
    /// `partial/<uuid>#1` (`#<n>`), renamed to `partial/<uuid>` when it finishes; `list`
    /// never shows staging files. Aborting or dropping an unfinished upload removes its
    /// staging file, but a process that dies mid-upload leaves it behind, invisible to
    /// `object_store`; [`BlobStore::remove_partials_older_than`] therefore also removes
    /// stale staging files from the `partial/` directory itself. (A process that dies
    /// while writing a preview may likewise leave a small `previews/xx/<digest>#1`, which
    /// nothing removes.) Empty `blobs/xx` and `previews/xx` directories are kept (at most
    /// 256 of each) rather than removed on delete, which would race with a placement into
    /// them.
    pub fn local(root: impl AsRef<FsPath>) -> anyhow::Result<Self> {
        let root = root.as_ref();
        std::fs::create_dir_all(root)
            .with_context(|| format!("could not create the file directory {}", root.display()))?;
        let store = LocalFileSystem::new_with_prefix(root)
            .with_context(|| format!("could not open the file directory {}", root.display()))?
            .with_fsync(true);
        let canonical = std::fs::canonicalize(root)
            .with_context(|| format!("could not resolve the file directory {}", root.display()))?;
        Ok(Self {
            store: Arc::new(store),
            part_size: LOCAL_PART_SIZE,
            local_root: Some(canonical),
            live: LiveUploads::default(),
        })
    }

    /// Blobs in memory, lost when the process ends: for tests and demos.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(InMemory::new()), LOCAL_PART_SIZE)
    }

    /// The size of the parts uploads are sent in.
    pub fn part_size(&self) -> usize {
        self.part_size
    }

    /// A cheap probe for a health check: asks for an object that does not exist and
    /// expects "not found"; any other answer (no network, bad credentials, no bucket) is
    /// the error. For a local store, also checks that its directory is still there. On S3
    /// a missing key answers "not found" only with `s3:ListBucket`, which the sweep needs
    /// anyway; without it the probe fails with "forbidden".
    pub async fn check(&self) -> anyhow::Result<()> {
        if let Some(root) = &self.local_root {
            let meta = tokio::fs::metadata(root)
                .await
                .with_context(|| format!("the file directory {} is gone", root.display()))?;
            anyhow::ensure!(meta.is_dir(), "{} is not a directory", root.display());
        }
        match self.store.head(&Path::from("health/probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(anyhow::Error::new(err).context("the blob store did not answer")),
        }
    }

    /// Removes staging files (`partial/<uuid>#<n>`) of local uploads not written to since
    /// `before` and not in this process's hands; `object_store` lists only finished
    /// objects, so it cannot see them.
    async fn remove_local_staging_files(&self, before: Timestamp) -> DomainResult<u64> {
        let Some(root) = &self.local_root else {
            return Ok(0);
        };
        let dir = root.join(PARTIALS);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(unexpected(err, "could not list the staging files")),
        };
        let mut removed = 0;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|err| unexpected(err, "could not list the staging files"))?
        {
            let name = entry.file_name();
            let Some((upload, _)) = name
                .to_str()
                .and_then(|name| name.split_once('#'))
                .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue; // not a staging file
            };
            if self.live.protects(&format!("{PARTIALS}/{upload}")) {
                continue;
            }
            let Ok(meta) = entry.metadata().await else {
                continue; // removed meanwhile
            };
            let stale = meta
                .modified()
                .ok()
                .is_some_and(|modified| Timestamp::from(modified) < before);
            if meta.is_file() && stale {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => removed += 1,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(unexpected(err, "could not remove a staging file")),
                }
            }
        }
        Ok(removed)
    }

    async fn delete_if_present(&self, key: &Path) -> DomainResult<()> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(unexpected(err, "could not delete from the blob store")),
        }
    }
}

fn blob_key(digest: &Sha256Digest) -> Path {
    sharded(BLOBS, digest)
}

fn preview_key(digest: &Sha256Digest) -> Path {
    sharded(PREVIEWS, digest)
}

fn sharded(area: &str, digest: &Sha256Digest) -> Path {
    let hex = digest.as_str();
    // A digest is 64 hex digits, so the shard is always there.
    let shard = hex.get(..2).unwrap_or(hex);
    Path::from_iter([area, shard, hex])
}

/// The key of a finished upload, refusing anything outside `partial/` so that a
/// `PartialKey` can never move or delete another object.
fn partial_path(partial: &PartialKey) -> DomainResult<Path> {
    let path = Path::parse(&partial.0).map_err(|err| unexpected(err, "not a key of an upload"))?;
    let mut parts = path.parts();
    let in_partials = parts.next().is_some_and(|p| p.as_ref() == PARTIALS);
    let one_name = parts.next().is_some() && parts.next().is_none();
    if in_partials && one_name {
        Ok(path)
    } else {
        Err(DomainError::Unexpected(anyhow::anyhow!(
            "{:?} is not a key of an upload",
            partial.0
        )))
    }
}

/// A failure of the store: `StorageFull` when the disk has no room left (the upload can
/// be retried once space is freed), otherwise unexpected.
pub(super) fn unexpected<E>(err: E, context: &'static str) -> DomainError
where
    E: std::error::Error + Send + Sync + 'static,
{
    if is_disk_full(&err) {
        tracing::warn!(error = %err, "{context}: the disk is full");
        return DomainError::StorageFull;
    }
    DomainError::Unexpected(anyhow::Error::new(err).context(context))
}

/// Whether an I/O error somewhere in the chain says the disk or a quota is full.
fn is_disk_full(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            ) {
                return true;
            }
        }
        cause = err.source();
    }
    false
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    #[tracing::instrument(skip(self))]
    async fn start_upload(&self) -> DomainResult<Box<dyn PartialBlob>> {
        let key = Path::from_iter([PARTIALS, uuid::Uuid::new_v4().to_string().as_str()]);
        let partial =
            ObjectPartialBlob::start(&self.live, key, self.store.clone(), self.part_size).await?;
        Ok(Box::new(partial))
    }

    /// An upload that is gone (swept by another process after the grace period, or
    /// discarded) is a `Conflict`: the client can only send it again.
    #[tracing::instrument(skip(self))]
    async fn place(&self, partial: &PartialKey, digest: &Sha256Digest) -> DomainResult<()> {
        let from = partial_path(partial)?;
        // Forgotten only once the bytes have left the upload's key, so that a sweep never
        // sees the key unprotected while they are still there.
        match self.store.rename(&from, &blob_key(digest)).await {
            Ok(()) => {
                self.live.forget(&partial.0);
                Ok(())
            }
            Err(object_store::Error::NotFound { .. }) => {
                self.live.forget(&partial.0);
                Err(DomainError::Conflict(
                    "the upload expired before it was stored; send it again",
                ))
            }
            Err(err) => Err(unexpected(err, "could not move an upload to its address")),
        }
    }

    /// The upload is no longer protected from the sweep even if removing it fails, so
    /// that the sweep removes it then.
    #[tracing::instrument(skip(self))]
    async fn discard(&self, partial: &PartialKey) -> DomainResult<()> {
        let path = partial_path(partial)?;
        self.live.forget(&partial.0);
        self.delete_if_present(&path).await
    }

    #[tracing::instrument(skip(self))]
    async fn read(
        &self,
        digest: &Sha256Digest,
        range: Option<ByteRange>,
    ) -> DomainResult<ByteStream> {
        let options = GetOptions {
            range: range.map(|r| GetRange::Bounded(r.start..r.end.saturating_add(1))),
            ..GetOptions::default()
        };
        let result = match self.store.get_opts(&blob_key(digest), options).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Err(DomainError::NotFound("file")),
            Err(err) => return Err(unexpected(err, "could not read from the blob store")),
        };
        Ok(result
            .into_stream()
            .map_err(|err| unexpected(err, "could not read from the blob store"))
            .boxed())
    }

    #[tracing::instrument(skip(self))]
    async fn delete(&self, digest: &Sha256Digest) -> DomainResult<()> {
        self.delete_if_present(&blob_key(digest)).await?;
        self.delete_if_present(&preview_key(digest)).await
    }

    async fn exists(&self, digest: &Sha256Digest) -> DomainResult<bool> {
        match self.store.head(&blob_key(digest)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(unexpected(err, "could not ask the blob store")),
        }
    }

    async fn read_preview(&self, digest: &Sha256Digest) -> DomainResult<Option<Bytes>> {
        let result = match self.store.get(&preview_key(digest)).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(unexpected(err, "could not read a preview")),
        };
        // Previews are small thumbnails, so reading one whole is fine.
        result
            .bytes()
            .await
            .map(Some)
            .map_err(|err| unexpected(err, "could not read a preview"))
    }

    /// A preview is rendered from bytes read earlier, which may have been collected
    /// since; a preview written after its blob was deleted would stay forever, so it is
    /// removed again when the blob is gone (best effort: failing that is only logged).
    async fn write_preview(&self, digest: &Sha256Digest, image: Bytes) -> DomainResult<()> {
        let key = preview_key(digest);
        self.store
            .put(&key, PutPayload::from_bytes(image))
            .await
            .map_err(|err| unexpected(err, "could not write a preview"))?;
        let orphaned = match self.exists(digest).await {
            Ok(exists) => !exists,
            Err(err) => {
                tracing::warn!(error = %err, "could not check the blob of a new preview");
                false
            }
        };
        if orphaned {
            if let Err(err) = self.delete_if_present(&key).await {
                tracing::warn!(error = %err, %key, "could not remove the preview of a collected blob");
            }
        }
        Ok(())
    }

    /// On a local store, a blob's time is when its bytes were last written (a rename keeps
    /// the upload's modification time); on S3 and in memory it is when it was placed.
    #[tracing::instrument(skip(self))]
    async fn blobs_older_than(&self, before: Timestamp) -> DomainResult<Vec<Sha256Digest>> {
        let mut listing = self.store.list(Some(&Path::from(BLOBS)));
        let mut old = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|err| unexpected(err, "could not list the blobs"))?;
            if meta.last_modified >= before {
                continue;
            }
            // Anything that is not named by a digest is not ours: leave it alone.
            if let Some(digest) = meta
                .location
                .filename()
                .and_then(|name| Sha256Digest::parse(name).ok())
            {
                old.push(digest);
            }
        }
        Ok(old)
    }

    /// Leaves alone, whatever their age, the uploads this process is writing or holds
    /// finished but not yet placed or discarded (see the module documentation); other
    /// processes' uploads are protected only by `before`. Also removes, on a local
    /// store, the staging files of uploads whose process died (see
    /// [`ObjectBlobStore::local`]); they count too.
    #[tracing::instrument(skip(self))]
    async fn remove_partials_older_than(&self, before: Timestamp) -> DomainResult<u64> {
        let stale: Vec<Path> = self
            .store
            .list(Some(&Path::from(PARTIALS)))
            .try_filter(|meta| futures_util::future::ready(meta.last_modified < before))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|err| unexpected(err, "could not list the uploads"))?;
        let mut removed = 0;
        for key in &stale {
            if self.live.protects(key.as_ref()) {
                continue;
            }
            self.delete_if_present(key).await?;
            removed += 1;
        }
        Ok(removed + self.remove_local_staging_files(before).await?)
    }
}
