//! Uploads in progress: [`ObjectPartialBlob`] and the registry that keeps them from the sweep.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use async_trait::async_trait;
use bytes::Bytes;
use object_store::{path::Path, ObjectStore, ObjectStoreExt, WriteMultipart};

use domain::{
    file::{PartialBlob, PartialKey},
    DomainError, DomainResult,
};

use super::blob_store::{unexpected, FINISHED_UPLOAD_HOLD, MAX_PARTS_IN_FLIGHT};

/// The uploads a process has in hand, by key (`partial/<uuid>`): the registry the sweep
/// consults (see the `blob_store` module documentation). Cheap to clone; clones share it.
#[derive(Clone, Debug, Default)]
pub(super) struct LiveUploads(Arc<Mutex<HashMap<String, LiveUpload>>>);

#[derive(Clone, Copy, Debug)]
enum LiveUpload {
    /// Being written: protected until the upload is finished, aborted or dropped.
    Writing,
    /// Finished at this instant, not yet placed or discarded.
    Finished(Instant),
}

impl LiveUploads {
    /// Registers an upload being written; the registration forgets it when dropped
    /// unless the upload finished.
    fn register(&self, key: &str) -> Registration {
        self.entries().insert(key.to_owned(), LiveUpload::Writing);
        Registration {
            live: self.clone(),
            key: key.to_owned(),
            finished: false,
        }
    }

    pub(super) fn forget(&self, key: &str) {
        self.entries().remove(key);
    }

    /// Whether the sweep must leave `key` alone. A finished upload held longer than
    /// [`FINISHED_UPLOAD_HOLD`] is forgotten instead.
    pub(super) fn protects(&self, key: &str) -> bool {
        self.protects_at(key, Instant::now())
    }

    fn protects_at(&self, key: &str, now: Instant) -> bool {
        let mut entries = self.entries();
        match entries.get(key) {
            None => false,
            Some(LiveUpload::Writing) => true,
            Some(LiveUpload::Finished(at))
                if now.saturating_duration_since(*at) < FINISHED_UPLOAD_HOLD =>
            {
                true
            }
            Some(LiveUpload::Finished(_)) => {
                entries.remove(key);
                false
            }
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveUpload>> {
        // Every change is one map operation, so a panic elsewhere cannot leave it torn.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An upload's place in the registry, from its start until it is finished (then the
/// entry stays, for `place` or `discard` to remove) or given up (then it goes with this).
#[derive(Debug)]
struct Registration {
    live: LiveUploads,
    key: String,
    finished: bool,
}

impl Registration {
    fn finished(&mut self) {
        self.live
            .entries()
            .insert(self.key.clone(), LiveUpload::Finished(Instant::now()));
        self.finished = true;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if !self.finished {
            self.live.forget(&self.key);
        }
    }
}

/// An upload in progress under `partial/<uuid>`, sent in parts as it is written.
pub(super) struct ObjectPartialBlob {
    key: Path,
    store: Arc<dyn ObjectStore>,
    part_size: usize,
    /// `None` once finished or aborted.
    writer: Option<WriteMultipart>,
    /// Keeps the upload from the sweep. Dropped with the blob, which unregisters an
    /// upload that did not finish, also when a `finish` is cancelled halfway.
    registration: Registration,
}

impl ObjectPartialBlob {
    /// Starts an upload under `key`, registered before the local store creates its staging
    /// file, so that no sweep can see the file unprotected; the blob's drop forgets it if
    /// the start fails.
    pub(super) async fn start(
        live: &LiveUploads,
        key: Path,
        store: Arc<dyn ObjectStore>,
        part_size: usize,
    ) -> DomainResult<Self> {
        let mut partial = ObjectPartialBlob {
            registration: live.register(key.as_ref()),
            key,
            store,
            part_size,
            writer: None,
        };
        let upload = partial
            .store
            .put_multipart(&partial.key)
            .await
            .map_err(|err| unexpected(err, "could not start an upload"))?;
        partial.writer = Some(WriteMultipart::new_with_chunk_size(upload, part_size));
        Ok(partial)
    }

    fn writer(&mut self) -> DomainResult<&mut WriteMultipart> {
        self.writer.as_mut().ok_or_else(|| {
            DomainError::Unexpected(anyhow::anyhow!("the upload was already closed"))
        })
    }
}

#[async_trait]
impl PartialBlob for ObjectPartialBlob {
    async fn write(&mut self, mut chunk: Bytes) -> DomainResult<()> {
        let part_size = self.part_size;
        let writer = self.writer()?;
        // Feeding at most one part at a time between waits keeps the bound even when a
        // single chunk is larger than a part.
        while !chunk.is_empty() {
            writer
                .wait_for_capacity(MAX_PARTS_IN_FLIGHT)
                .await
                .map_err(|err| unexpected(err, "could not write an upload"))?;
            let piece = chunk.split_to(chunk.len().min(part_size));
            writer.put(piece);
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> DomainResult<PartialKey> {
        let writer = self.writer.take().ok_or_else(|| {
            DomainError::Unexpected(anyhow::anyhow!("the upload was already closed"))
        })?;
        // An upload with no bytes completes too: S3 sends one empty part, the local store
        // renames its empty staging file, memory stores an empty object.
        writer
            .finish()
            .await
            .map_err(|err| unexpected(err, "could not finish an upload"))?;
        self.registration.finished();
        Ok(PartialKey(self.key.to_string()))
    }

    async fn abort(mut self: Box<Self>) {
        if let Some(writer) = self.writer.take() {
            if let Err(err) = writer.abort().await {
                tracing::warn!(error = %err, key = %self.key, "could not abort an upload");
            }
        }
        match self.store.delete(&self.key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(err) => tracing::warn!(error = %err, key = %self.key, "could not remove an upload"),
        }
    }
}

impl Drop for ObjectPartialBlob {
    /// An upload dropped unfinished (a cancelled request) is aborted in the background so
    /// that S3 does not keep its parts; without a runtime it is left to the sweep (and, on
    /// S3, to the bucket's rule for incomplete multipart uploads).
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let key = self.key.clone();
            runtime.spawn(async move {
                if let Err(err) = writer.abort().await {
                    tracing::debug!(error = %err, %key, "could not abort a dropped upload");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_upload_is_protected_only_for_the_hold() {
        let live = LiveUploads::default();
        let mut registration = live.register("partial/a");
        registration.finished();
        drop(registration);
        let now = Instant::now();
        assert!(live.protects_at("partial/a", now));
        assert!(live.protects_at("partial/a", now + FINISHED_UPLOAD_HOLD / 2));
        assert!(!live.protects_at("partial/a", now + FINISHED_UPLOAD_HOLD * 2));
        // Forgotten for good, not only past its time.
        assert!(!live.protects_at("partial/a", now));
    }

    #[test]
    fn an_upload_being_written_is_protected_until_it_is_given_up() {
        let live = LiveUploads::default();
        let registration = live.register("partial/b");
        assert!(live.protects_at("partial/b", Instant::now() + FINISHED_UPLOAD_HOLD * 2));
        drop(registration);
        assert!(!live.protects("partial/b"));
    }
}
