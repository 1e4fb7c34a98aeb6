//! The rules of [`FileService`], checked against `mockall` mocks of its ports and a
//! hand-made [`PartialBlob`] that records what it was given: which action each operation
//! asks [`AccessControl`] for, and one refusal per rule (the access matrix itself is
//! tested once, in `access_tests.rs`).
//!
//! A port method a test sets no expectation for panics when called, so a test that
//! expects a refusal also proves that nothing was written (or read) on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::Duration as ChronoDuration;
use futures_util::{stream, StreamExt};
use mockall::Sequence;
use sha2::{Digest, Sha256};

use super::{
    ByteRange, ByteStream, ExternalFields, ExternalUrl, File, FileChanges, FileFilter, FileLimits,
    FileName, FileRepository, FileService, FileSource, MediaType, MockBlobStore,
    MockFileRepository, MockPreviewRenderer, PartialBlob, PartialKey, PreviewState, ReceivedUpload,
    RenderTurn, Sha256Digest, StorageStep, SweepReport, Thumbnail, UploadFields, PREVIEW_MAX_SIDE,
};
use crate::{
    access::AccessControl,
    api_key::Scope,
    auth::Principal,
    id::{FileId, UserId},
    json_object::Metadata,
    message::MockMessageRepository,
    pagination::Page,
    precondition::Precondition,
    test_fixtures::{
        first_page, if_match, is_not_found, key_caller, principal, stale, thread, where_caller_is,
    },
    thread::{MemberRole, MockThreadRepository, Thread},
    time,
    user::Role,
    DomainError, DomainResult,
};

/// Small limits, so that tests can cross them with a few bytes.
const LIMITS: FileLimits = FileLimits {
    max_upload_bytes: 16,
    max_preview_source_bytes: 1024,
};

/// The temporary name the fake upload finishes under.
const PARTIAL: &str = "partial-1";

// ---------------------------------------------------------------------------------------
// the ports

/// The mocks a service is built from; each starts without expectations.
#[derive(Default)]
struct Ports {
    threads: MockThreadRepository,
    files: MockFileRepository,
    blobs: MockBlobStore,
    previews: MockPreviewRenderer,
}

impl Ports {
    fn service(self) -> FileService {
        let files: Arc<dyn FileRepository> = Arc::new(self.files);
        let access = AccessControl::new(
            Arc::new(self.threads),
            Arc::new(MockMessageRepository::new()),
            files.clone(),
        );
        FileService::new(
            files,
            Arc::new(self.blobs),
            Arc::new(self.previews),
            Arc::new(access),
            LIMITS,
        )
    }
}

/// A service whose only port with expectations is the file repository.
fn with_files(files: MockFileRepository) -> FileService {
    Ports {
        files,
        ..Ports::default()
    }
    .service()
}

/// A service whose only port with expectations is the blob store.
fn with_blobs(blobs: MockBlobStore) -> FileService {
    Ports {
        blobs,
        ..Ports::default()
    }
    .service()
}

/// A request body of these chunks.
fn body(chunks: Vec<DomainResult<Bytes>>) -> ByteStream {
    stream::iter(chunks).boxed()
}

fn chunks(parts: &[&'static [u8]]) -> Vec<DomainResult<Bytes>> {
    parts
        .iter()
        .map(|part| Ok(Bytes::from_static(part)))
        .collect()
}

/// The SHA-256 of `bytes` in lowercase hex, computed here rather than by the model.
fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn digest_of(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest::parse(&sha256_hex(bytes)).unwrap()
}

/// The first bytes of a PNG.
const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

// ---------------------------------------------------------------------------------------
// files

fn media(raw: &str) -> MediaType {
    MediaType::parse(raw).unwrap()
}

/// A stored PNG of `owner`'s, without a thread, last changed a minute ago, preview not
/// made yet.
fn png_of(owner: &UserId) -> File {
    let now = time::now();
    File {
        id: FileId::generate(),
        owner_id: owner.clone(),
        thread_id: None,
        filename: FileName::parse("cat.png").unwrap(),
        declared_type: media("image/png"),
        detected_type: Some(media("image/png")),
        size_bytes: 64,
        source: FileSource::Stored(digest_of(b"cat")),
        preview: PreviewState::Pending,
        metadata: Metadata::default(),
        created_at: now - ChronoDuration::days(1),
        updated_at: now - ChronoDuration::minutes(1),
    }
}

/// A stranger's PNG.
fn someone_elses_png() -> File {
    png_of(&UserId::generate())
}

fn external_of(owner: &UserId) -> File {
    File {
        source: FileSource::External(ExternalUrl::parse("https://cdn.example.com/a.pdf").unwrap()),
        declared_type: media("application/pdf"),
        detected_type: None,
        preview: PreviewState::Unavailable,
        ..png_of(owner)
    }
}

fn digest(file: &File) -> Sha256Digest {
    file.sha256().cloned().unwrap()
}

/// A file repository in which `stored` can be found.
fn holding(stored: &File) -> MockFileRepository {
    let mut files = MockFileRepository::new();
    let id = stored.id.clone();
    let stored = stored.clone();
    files
        .expect_find()
        .withf(move |asked| asked == &id)
        .returning(move |_| Ok(Some(stored.clone())));
    files
}

/// A file repository in which `stored` can be found and `caller` may (or may not) read it
/// through a thread.
fn holding_for(stored: &File, caller: &Principal, through_threads: bool) -> MockFileRepository {
    let mut files = holding(stored);
    let (id, me) = (stored.id.clone(), caller.user.id.clone());
    files
        .expect_readable_through_threads()
        .withf(move |asked, user| asked == &id && user == &me)
        .returning(move |_, _| Ok(through_threads));
    files
}

/// Where a test keeps the storage step the repository was handed.
type CapturedStep = Arc<Mutex<Option<Box<dyn StorageStep>>>>;

async fn run(step: &CapturedStep) -> DomainResult<()> {
    let step = step
        .lock()
        .unwrap()
        .take()
        .expect("a storage step was handed over");
    step.run().await
}

mod changes;
mod previews;
mod reading;
mod receiving;
mod sweeping;
mod uploads;
