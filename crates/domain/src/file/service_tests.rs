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
    auth::Principal,
    id::{FileId, UserId},
    json_object::Metadata,
    message::MockMessageRepository,
    pagination::Page,
    precondition::Precondition,
    test_fixtures::{first_page, is_not_found, principal, stale, thread, where_caller_is},
    thread::{MemberRole, MockThreadRepository},
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

/// What the fake upload was given.
#[derive(Debug, Default)]
struct Recorded {
    written: Vec<u8>,
    finished: bool,
    aborted: bool,
}

/// A [`PartialBlob`] that keeps every written byte and notes how it ended.
struct FakePartial {
    recorded: Arc<Mutex<Recorded>>,
}

#[async_trait]
impl PartialBlob for FakePartial {
    async fn write(&mut self, chunk: Bytes) -> DomainResult<()> {
        self.recorded
            .lock()
            .unwrap()
            .written
            .extend_from_slice(&chunk);
        Ok(())
    }

    async fn finish(self: Box<Self>) -> DomainResult<PartialKey> {
        self.recorded.lock().unwrap().finished = true;
        Ok(PartialKey(PARTIAL.into()))
    }

    async fn abort(self: Box<Self>) {
        self.recorded.lock().unwrap().aborted = true;
    }
}

/// A blob store that hands out one fake upload, recording into the returned cell.
fn accepting_one_upload() -> (MockBlobStore, Arc<Mutex<Recorded>>) {
    let recorded = Arc::new(Mutex::new(Recorded::default()));
    let mut blobs = MockBlobStore::new();
    blobs.expect_start_upload().times(1).returning({
        let recorded = recorded.clone();
        move || {
            Ok(Box::new(FakePartial {
                recorded: recorded.clone(),
            }) as Box<dyn PartialBlob>)
        }
    });
    (blobs, recorded)
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

fn current(file: &File) -> Precondition {
    Precondition::IfMatch(vec![file.etag().as_str().to_owned()])
}

fn rename() -> FileChanges {
    FileChanges {
        filename: Some(FileName::parse("dog.png").unwrap()),
        metadata: None,
    }
}

/// What the repository returns after `changes` at `now`.
fn changed(file: &File, changes: &FileChanges, now: time::Timestamp) -> File {
    File {
        filename: changes
            .filename
            .clone()
            .unwrap_or_else(|| file.filename.clone()),
        metadata: changes
            .metadata
            .clone()
            .unwrap_or_else(|| file.metadata.clone()),
        updated_at: now,
        ..file.clone()
    }
}

// ---------------------------------------------------------------------------------------
// uploads and external files

fn received(bytes: &[u8]) -> ReceivedUpload {
    ReceivedUpload {
        partial: PartialKey(PARTIAL.into()),
        digest: digest_of(bytes),
        size_bytes: bytes.len() as u64,
        detected_type: MediaType::sniff(bytes),
    }
}

fn upload_fields(thread_id: Option<crate::id::ThreadId>) -> UploadFields {
    UploadFields {
        filename: FileName::parse("cat.png").unwrap(),
        declared_type: media("image/png"),
        thread_id,
        metadata: Metadata::default(),
    }
}

fn external_fields(thread_id: Option<crate::id::ThreadId>) -> ExternalFields {
    ExternalFields {
        filename: FileName::parse("report.pdf").unwrap(),
        content_type: media("application/pdf"),
        size_bytes: 2048,
        url: ExternalUrl::parse("https://cdn.example.com/report.pdf").unwrap(),
        thread_id,
        metadata: Metadata::default(),
    }
}

/// A blob store that expects the upload to be discarded, once.
fn discarding_the_upload() -> MockBlobStore {
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_discard()
        .withf(|partial| partial == &PartialKey(PARTIAL.into()))
        .times(1)
        .returning(|_| Ok(()));
    blobs
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

// ---------------------------------------------------------------------------------------
// receive

#[tokio::test]
async fn receiving_several_chunks_gives_the_sha256_and_size_of_all_their_bytes() {
    let (blobs, recorded) = accepting_one_upload();

    let upload = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(chunks(&[b"hel", b"lo ", b"world"])))
    .await
    .unwrap();

    assert_eq!(upload.digest.as_str(), sha256_hex(b"hello world"));
    assert_eq!(
        upload.digest.as_str(),
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    );
    assert_eq!(upload.size_bytes, 11);
    assert_eq!(upload.partial, PartialKey(PARTIAL.into()));
    let recorded = recorded.lock().unwrap();
    assert_eq!(recorded.written, b"hello world");
    assert!(recorded.finished && !recorded.aborted, "{recorded:?}");
}

#[tokio::test]
async fn the_detected_type_comes_from_the_first_bytes_even_across_chunks() {
    let (blobs, _) = accepting_one_upload();
    let (head, rest) = PNG_HEAD.split_at(3);

    let upload = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(vec![
        Ok(Bytes::from_static(head)),
        Ok(Bytes::from_static(rest)),
    ]))
    .await
    .unwrap();

    assert_eq!(upload.detected_type, Some(media("image/png")));
}

#[tokio::test]
async fn text_has_no_detected_type() {
    let (blobs, _) = accepting_one_upload();

    let upload = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(chunks(&[b"just ", b"words"])))
    .await
    .unwrap();

    assert_eq!(upload.detected_type, None);
}

#[tokio::test]
async fn an_upload_one_byte_over_the_limit_is_refused_and_what_was_written_removed() {
    let (blobs, recorded) = accepting_one_upload();

    let err = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(chunks(&[b"1234567890", b"abcdefg"])))
    .await
    .unwrap_err();

    assert!(
        matches!(err, DomainError::TooLarge("MAX_UPLOAD_BYTES")),
        "{err:?}"
    );
    let recorded = recorded.lock().unwrap();
    assert!(recorded.aborted && !recorded.finished, "{recorded:?}");
    // Nothing beyond the limit reached storage.
    assert_eq!(recorded.written, b"1234567890");
}

#[tokio::test]
async fn an_upload_of_exactly_the_limit_is_received() {
    let (blobs, recorded) = accepting_one_upload();

    let upload = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(chunks(&[b"1234567890", b"abcdef"])))
    .await
    .unwrap();

    assert_eq!(upload.size_bytes, LIMITS.max_upload_bytes);
    assert_eq!(upload.digest.as_str(), sha256_hex(b"1234567890abcdef"));
    let recorded = recorded.lock().unwrap();
    assert!(recorded.finished && !recorded.aborted, "{recorded:?}");
}

#[tokio::test]
async fn a_body_that_fails_aborts_the_upload_and_returns_its_error() {
    let (blobs, recorded) = accepting_one_upload();

    let err = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(DomainError::Conflict("connection reset")),
        Ok(Bytes::from_static(b"def")),
    ]))
    .await
    .unwrap_err();

    assert!(
        matches!(err, DomainError::Conflict("connection reset")),
        "{err:?}"
    );
    let recorded = recorded.lock().unwrap();
    assert!(recorded.aborted && !recorded.finished, "{recorded:?}");
    assert_eq!(recorded.written, b"abc");
}

#[tokio::test]
async fn an_empty_body_is_received_as_zero_bytes() {
    let (blobs, recorded) = accepting_one_upload();

    let upload = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .receive(body(Vec::new()))
    .await
    .unwrap();

    assert_eq!(upload.size_bytes, 0);
    assert_eq!(
        upload.digest.as_str(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(upload.detected_type, None);
    assert!(recorded.lock().unwrap().finished);
}

// ---------------------------------------------------------------------------------------
// create_upload

#[tokio::test]
async fn uploading_into_a_thread_you_edit_stores_your_file_and_places_its_bytes_on_insert() {
    let (caller, thread) = (principal(Role::User), thread());
    let upload = received(PNG_HEAD);
    let step: CapturedStep = Arc::default();
    let placed = Arc::new(AtomicBool::new(false));

    let mut files = MockFileRepository::new();
    files
        .expect_insert()
        .withf({
            let (me, thread_id, digest) = (
                caller.user.id.clone(),
                thread.id.clone(),
                upload.digest.clone(),
            );
            move |file: &File, place| {
                file.owner_id == me
                    && file.thread_id.as_ref() == Some(&thread_id)
                    && file.source == FileSource::Stored(digest.clone())
                    && file.size_bytes == PNG_HEAD.len() as u64
                    && file.detected_type == Some(media("image/png"))
                    && file.preview == PreviewState::Pending
                    && place.is_some()
            }
        })
        .times(1)
        .returning({
            let step = step.clone();
            move |file, place| {
                *step.lock().unwrap() = place;
                Ok(file.clone())
            }
        });
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_place()
        .withf({
            let digest = upload.digest.clone();
            move |partial, placed_as| partial == &PartialKey(PARTIAL.into()) && placed_as == &digest
        })
        .times(1)
        .returning({
            let placed = placed.clone();
            move |_, _| {
                placed.store(true, Ordering::SeqCst);
                Ok(())
            }
        });
    blobs.expect_discard().never();

    let created = Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .create_upload(
        &caller,
        upload_fields(Some(thread.id.clone())),
        upload.clone(),
    )
    .await
    .unwrap();

    assert_eq!(created.owner_id, caller.user.id);
    assert_eq!(created.filename.as_str(), "cat.png");
    // The repository runs the step while it holds the blob's row, not the service.
    assert!(!placed.load(Ordering::SeqCst));
    run(&step).await.unwrap();
    assert!(placed.load(Ordering::SeqCst));
}

#[tokio::test]
async fn uploading_without_a_thread_needs_no_membership() {
    let caller = principal(Role::User);
    let mut files = MockFileRepository::new();
    files
        .expect_insert()
        .withf(|file: &File, place| file.thread_id.is_none() && place.is_some())
        .times(1)
        .returning(|file, _| Ok(file.clone()));

    let created = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .create_upload(&caller, upload_fields(None), received(b"bytes"))
    .await
    .unwrap();

    assert_eq!(created.owner_id, caller.user.id);
}

#[tokio::test]
async fn a_viewer_cannot_upload_into_a_thread_and_the_upload_is_discarded() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files.expect_insert().never();

    let err = Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        files,
        blobs: discarding_the_upload(),
        ..Ports::default()
    }
    .service()
    .create_upload(
        &caller,
        upload_fields(Some(thread.id.clone())),
        received(b"x"),
    )
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_non_member_uploading_into_a_thread_learns_only_that_it_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files.expect_insert().never();

    let err = Ports {
        threads: where_caller_is(&caller, &thread, None),
        files,
        blobs: discarding_the_upload(),
        ..Ports::default()
    }
    .service()
    .create_upload(
        &caller,
        upload_fields(Some(thread.id.clone())),
        received(b"x"),
    )
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn when_the_record_cannot_be_stored_the_upload_is_discarded_and_the_error_returned() {
    let caller = principal(Role::User);
    let mut files = MockFileRepository::new();
    files
        .expect_insert()
        .times(1)
        .returning(|_, _| Err(DomainError::NotFound("thread")));

    let err = Ports {
        files,
        blobs: discarding_the_upload(),
        ..Ports::default()
    }
    .service()
    .create_upload(&caller, upload_fields(None), received(b"x"))
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn a_failed_discard_does_not_hide_why_the_upload_was_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_discard()
        .times(1)
        .returning(|_| Err(DomainError::Conflict("disk gone")));

    let err = Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        blobs,
        ..Ports::default()
    }
    .service()
    .create_upload(
        &caller,
        upload_fields(Some(thread.id.clone())),
        received(b"x"),
    )
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// create_external

#[tokio::test]
async fn an_external_file_is_stored_as_a_link_without_a_preview_or_bytes_to_place() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files
        .expect_insert()
        .withf({
            let (me, thread_id) = (caller.user.id.clone(), thread.id.clone());
            move |file: &File, place| {
                file.owner_id == me
                    && file.thread_id.as_ref() == Some(&thread_id)
                    && file.source
                        == FileSource::External(
                            ExternalUrl::parse("https://cdn.example.com/report.pdf").unwrap(),
                        )
                    && file.preview == PreviewState::Unavailable
                    && file.detected_type.is_none()
                    && file.size_bytes == 2048
                    && place.is_none()
            }
        })
        .times(1)
        .returning(|file, _| Ok(file.clone()));

    // The blob store has no expectations: touching it panics.
    let created = Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Owner)),
        files,
        ..Ports::default()
    }
    .service()
    .create_external(&caller, external_fields(Some(thread.id.clone())))
    .await
    .unwrap();

    assert_eq!(created.status(), "external");
    assert!(created.sha256().is_none());
}

#[tokio::test]
async fn a_viewer_cannot_record_an_external_file_in_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files.expect_insert().never();

    let err = Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        files,
        ..Ports::default()
    }
    .service()
    .create_external(&caller, external_fields(Some(thread.id.clone())))
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// who may do what with a file

#[tokio::test]
async fn a_stranger_cannot_see_a_file_and_learns_only_that_it_is_not_found() {
    let caller = principal(Role::User);
    let file = someone_elses_png();

    let err = Ports {
        files: holding_for(&file, &caller, false),
        ..Ports::default()
    }
    .service()
    .get(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "file"), "{err:?}");
}

#[tokio::test]
async fn a_stranger_cannot_see_a_files_preview_and_learns_only_that_the_file_is_not_found() {
    let caller = principal(Role::User);
    let file = someone_elses_png();

    let err = Ports {
        files: holding_for(&file, &caller, false),
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "file"), "{err:?}");
}

#[tokio::test]
async fn a_stranger_cannot_change_a_file_and_learns_only_that_it_is_not_found() {
    let caller = principal(Role::User);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, false);
    files.expect_update().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &Precondition::None)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "file"), "{err:?}");
}

#[tokio::test]
async fn a_stranger_cannot_delete_a_file_and_learns_only_that_it_is_not_found() {
    let caller = principal(Role::User);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, false);
    files.expect_delete().never();
    files.expect_collect_blob().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "file"), "{err:?}");
}

#[tokio::test]
async fn a_member_of_a_thread_the_file_is_in_may_read_it() {
    let caller = principal(Role::User);
    let file = someone_elses_png();

    let got = Ports {
        files: holding_for(&file, &caller, true),
        ..Ports::default()
    }
    .service()
    .get(&caller, &file.id)
    .await
    .unwrap();

    assert_eq!(got.id, file.id);
}

#[tokio::test]
async fn a_reader_through_threads_may_not_change_the_file() {
    let caller = principal(Role::User);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, true);
    files.expect_update().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &Precondition::None)
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn a_reader_through_threads_may_not_delete_the_file() {
    let caller = principal(Role::User);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, true);
    files.expect_delete().never();
    files.expect_collect_blob().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_admin_may_delete_a_file_they_do_not_own() {
    let caller = principal(Role::Admin);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, false);
    files.expect_delete().times(1).returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .times(1)
        .returning(|_, _| Ok(true));

    Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_admin_may_not_change_a_file_they_do_not_own() {
    let caller = principal(Role::Admin);
    let file = someone_elses_png();
    let mut files = holding_for(&file, &caller, false);
    files.expect_update().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &Precondition::None)
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// list and read_bytes

#[tokio::test]
async fn listing_the_files_of_a_thread_you_cannot_read_is_not_found() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files.expect_list_visible().never();
    let filter = FileFilter {
        thread_id: Some(thread.id.clone()),
        content_type: None,
    };

    let err = Ports {
        threads: where_caller_is(&caller, &thread, None),
        files,
        ..Ports::default()
    }
    .service()
    .list(&caller, &filter, &first_page())
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "thread"), "{err:?}");
}

#[tokio::test]
async fn listing_shows_what_the_caller_may_see() {
    let caller = principal(Role::User);
    let mine = png_of(&caller.user.id);
    let mut files = MockFileRepository::new();
    files
        .expect_list_visible()
        .withf({
            let me = caller.user.id.clone();
            move |user, filter, _| user == &me && filter == &FileFilter::default()
        })
        .times(1)
        .returning({
            let mine = mine.clone();
            move |_, _, _| {
                Ok(Page {
                    items: vec![mine.clone()],
                    next: None,
                })
            }
        });

    let page = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .list(&caller, &FileFilter::default(), &first_page())
    .await
    .unwrap();

    assert_eq!(page.items, vec![mine]);
}

#[tokio::test]
async fn the_bytes_of_a_stored_file_are_read_by_digest_and_range() {
    let file = png_of(&UserId::generate());
    let range = ByteRange { start: 2, end: 5 };
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_read()
        .withf({
            let digest = digest(&file);
            move |asked, asked_range| asked == &digest && *asked_range == Some(range)
        })
        .times(1)
        .returning(|_, _| Ok(body(chunks(&[b"ABCD"]))));

    let mut bytes = Ports {
        blobs,
        ..Ports::default()
    }
    .service()
    .read_bytes(&file, Some(range))
    .await
    .unwrap();

    assert_eq!(
        bytes.next().await.unwrap().unwrap(),
        Bytes::from_static(b"ABCD")
    );
}

#[tokio::test]
async fn an_external_file_has_no_bytes_here() {
    let file = external_of(&UserId::generate());

    let Err(err) = Ports::default().service().read_bytes(&file, None).await else {
        panic!("an external file has no bytes to read");
    };

    assert!(is_not_found(&err, "file content"), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// update

#[tokio::test]
async fn a_stale_if_match_fails_the_update_and_writes_nothing() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files.expect_update().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &stale())
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
}

#[tokio::test]
async fn an_update_without_changes_writes_nothing_and_returns_the_file() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files.expect_update().never();

    let got = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, FileChanges::default(), &current(&file))
    .await
    .unwrap();

    assert_eq!(got, file);
}

#[tokio::test]
async fn an_update_without_if_match_moves_the_version_forward_unconditionally() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files
        .expect_update()
        .withf({
            let (id, old) = (file.id.clone(), file.updated_at);
            move |asked, changes, expected, now| {
                asked == &id && changes == &rename() && expected.is_none() && *now > old
            }
        })
        .times(1)
        .returning({
            let file = file.clone();
            move |_, changes, _, now| Ok(changed(&file, changes, now))
        });

    let updated = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &Precondition::None)
    .await
    .unwrap();

    assert_eq!(updated.filename.as_str(), "dog.png");
    assert_ne!(updated.etag(), file.etag());
}

#[tokio::test]
async fn an_update_with_a_matching_if_match_is_conditional_on_the_version_read() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files
        .expect_update()
        .withf({
            let old = file.updated_at;
            move |_, _, expected, now| *expected == Some(old) && *now > old
        })
        .times(1)
        .returning({
            let file = file.clone();
            move |_, changes, _, now| Ok(changed(&file, changes, now))
        });

    Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &current(&file))
    .await
    .unwrap();
}

#[tokio::test]
async fn an_update_moves_the_version_forward_even_when_the_stored_one_is_ahead_of_the_clock() {
    let caller = principal(Role::User);
    // Written by a server whose clock runs an hour fast.
    let file = File {
        updated_at: time::now() + ChronoDuration::hours(1),
        ..png_of(&caller.user.id)
    };
    let mut files = holding(&file);
    files
        .expect_update()
        .withf({
            let old = file.updated_at;
            move |_, _, _, now| *now > old
        })
        .times(1)
        .returning({
            let file = file.clone();
            move |_, changes, _, now| Ok(changed(&file, changes, now))
        });

    Ports {
        files,
        ..Ports::default()
    }
    .service()
    .update(&caller, &file.id, rename(), &Precondition::None)
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// delete

#[tokio::test]
async fn deleting_a_stored_file_removes_the_record_then_collects_its_bytes() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let step: CapturedStep = Arc::default();
    let mut seq = Sequence::new();
    let mut files = holding(&file);
    files
        .expect_delete()
        .withf({
            let id = file.id.clone();
            move |asked, expected| asked == &id && expected.is_none()
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .withf({
            let digest = digest(&file);
            move |asked, _| asked == &digest
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning({
            let step = step.clone();
            move |_, remove| {
                *step.lock().unwrap() = Some(remove);
                Ok(true)
            }
        });
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_delete()
        .withf({
            let digest = digest(&file);
            move |asked| asked == &digest
        })
        .times(1)
        .returning(|_| Ok(()));

    Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap();

    // The step handed to the repository removes exactly this file's bytes.
    run(&step).await.unwrap();
}

#[tokio::test]
async fn a_delete_with_a_matching_if_match_is_conditional_on_the_version_read() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files
        .expect_delete()
        .withf({
            let old = file.updated_at;
            move |_, expected| *expected == Some(old)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .times(1)
        .returning(|_, _| Ok(false));

    Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &current(&file))
    .await
    .unwrap();
}

#[tokio::test]
async fn a_stale_if_match_fails_the_delete_and_removes_nothing() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files.expect_delete().never();
    files.expect_collect_blob().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &stale())
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
}

#[tokio::test]
async fn a_failure_to_collect_the_bytes_does_not_fail_the_delete() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files.expect_delete().times(1).returning(|_, _| Ok(()));
    files
        .expect_collect_blob()
        .times(1)
        .returning(|_, _| Err(DomainError::Conflict("blob store down")));

    let deleted = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await;

    assert!(deleted.is_ok(), "{deleted:?}");
}

#[tokio::test]
async fn a_failure_to_delete_the_record_is_returned_and_collects_nothing() {
    let caller = principal(Role::User);
    let file = png_of(&caller.user.id);
    let mut files = holding(&file);
    files
        .expect_delete()
        .times(1)
        .returning(|_, _| Err(DomainError::NotFound("file")));
    files.expect_collect_blob().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "file"), "{err:?}");
}

#[tokio::test]
async fn deleting_an_external_file_never_collects_bytes() {
    let caller = principal(Role::User);
    let file = external_of(&caller.user.id);
    let mut files = holding(&file);
    files.expect_delete().times(1).returning(|_, _| Ok(()));
    files.expect_collect_blob().never();

    Ports {
        files,
        ..Ports::default()
    }
    .service()
    .delete(&caller, &file.id, &Precondition::None)
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// preview

/// A caller and their PNG, changed by `edit`.
fn owner_and(edit: impl FnOnce(&mut File)) -> (Principal, File) {
    let caller = principal(Role::User);
    let mut file = png_of(&caller.user.id);
    edit(&mut file);
    (caller, file)
}

fn thumbnail() -> Thumbnail {
    Thumbnail {
        bytes: Bytes::from_static(b"small png"),
        content_type: "image/png",
    }
}

/// A renderer that gives one turn (its budget is its own, tested with the adapter).
fn renderer_with_a_turn() -> MockPreviewRenderer {
    let mut previews = MockPreviewRenderer::new();
    previews
        .expect_turn()
        .times(1)
        .returning(|| Ok(RenderTurn::holding(())));
    previews
}

#[tokio::test]
async fn a_file_whose_bytes_are_not_an_image_has_no_preview_whatever_its_declared_type() {
    // Declared image/png, but the bytes did not say so.
    let (caller, file) = owner_and(|file| file.detected_type = None);
    let mut files = holding(&file);
    files.expect_set_preview().never();

    // Blob store and renderer have no expectations: touching them panics.
    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "preview"), "{err:?}");
}

#[tokio::test]
async fn a_pdf_has_no_preview() {
    let (caller, file) = owner_and(|file| file.detected_type = Some(media("application/pdf")));
    let mut files = holding(&file);
    files.expect_set_preview().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "preview"), "{err:?}");
}

#[tokio::test]
async fn an_external_image_has_no_preview() {
    let (caller, file) = owner_and(|file| {
        file.source =
            FileSource::External(ExternalUrl::parse("https://cdn.example.com/a.png").unwrap());
        file.preview = PreviewState::Pending;
    });

    let err = Ports {
        files: holding(&file),
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "preview"), "{err:?}");
}

#[tokio::test]
async fn an_image_already_marked_unavailable_is_not_rendered_again() {
    let (caller, file) = owner_and(|file| file.preview = PreviewState::Unavailable);
    let mut files = holding(&file);
    files.expect_set_preview().never();

    let err = Ports {
        files,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "preview"), "{err:?}");
}

/// A blob store holding the stored preview of `file`.
fn with_stored_preview(file: &File) -> MockBlobStore {
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_read_preview()
        .withf({
            let digest = digest(file);
            move |asked| asked == &digest
        })
        .times(1)
        .returning(|_| Ok(Some(Bytes::from_static(b"kept"))));
    blobs.expect_read().never();
    blobs.expect_write_preview().never();
    blobs
}

#[tokio::test]
async fn a_ready_preview_is_served_from_storage_without_rendering() {
    let (caller, file) = owner_and(|file| file.preview = PreviewState::Ready);
    let mut files = holding(&file);
    files.expect_set_preview().never();
    let mut previews = MockPreviewRenderer::new();
    previews.expect_render().never();

    let got = Ports {
        files,
        blobs: with_stored_preview(&file),
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap();

    assert_eq!(
        got,
        Thumbnail {
            bytes: Bytes::from_static(b"kept"),
            content_type: "image/png",
        }
    );
}

#[tokio::test]
async fn the_stored_preview_of_a_jpeg_is_served_as_jpeg_and_of_other_images_as_png() {
    for (detected, served_as) in [
        ("image/jpeg", "image/jpeg"),
        ("image/gif", "image/png"),
        ("image/webp", "image/png"),
    ] {
        let (caller, file) = owner_and(|file| {
            file.detected_type = Some(media(detected));
            file.preview = PreviewState::Ready;
        });

        let got = Ports {
            files: holding(&file),
            blobs: with_stored_preview(&file),
            ..Ports::default()
        }
        .service()
        .preview(&caller, &file.id)
        .await
        .unwrap();

        assert_eq!(got.content_type, served_as, "{detected}");
    }
}

/// A blob store whose `file` reads as two chunks and that expects a thumbnail written.
fn rendering_source(file: &File, written: Option<Bytes>) -> MockBlobStore {
    let mut blobs = MockBlobStore::new();
    // Looked for once more after the render turn: nobody made it meanwhile.
    blobs.expect_read_preview().times(1).returning(|_| Ok(None));
    blobs
        .expect_read()
        .withf({
            let digest = digest(file);
            move |asked, range| asked == &digest && range.is_none()
        })
        .times(1)
        .returning(|_, _| Ok(body(chunks(&[b"full ", b"image"]))));
    match written {
        Some(bytes) => {
            blobs
                .expect_write_preview()
                .withf({
                    let digest = digest(file);
                    move |asked, image| asked == &digest && image == &bytes
                })
                .times(1)
                .returning(|_, _| Ok(()));
        }
        None => {
            blobs.expect_write_preview().never();
        }
    }
    blobs
}

fn expect_preview_state(files: &mut MockFileRepository, file: &File, state: PreviewState) {
    let digest = digest(file);
    files
        .expect_set_preview()
        .withf(move |asked, set| asked == &digest && *set == state)
        .times(1)
        .returning(|_, _| Ok(()));
}

#[tokio::test]
async fn a_pending_preview_is_rendered_at_512_px_kept_and_marked_ready() {
    let (caller, file) = owner_and(|_| ());
    let mut files = holding(&file);
    expect_preview_state(&mut files, &file, PreviewState::Ready);
    let mut previews = renderer_with_a_turn();
    previews
        .expect_render()
        .withf(|_, image, max_side| image == &Bytes::from_static(b"full image") && *max_side == 512)
        .times(1)
        .returning(|_, _, _| Ok(Some(thumbnail())));

    let got = Ports {
        files,
        blobs: rendering_source(&file, Some(thumbnail().bytes)),
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap();

    assert_eq!(got, thumbnail());
    assert_eq!(PREVIEW_MAX_SIDE, 512);
}

/// Records when the render turn it is held by is given back.
struct TurnWatch(Arc<AtomicBool>);

impl Drop for TurnWatch {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn the_image_is_read_after_the_render_turn_comes_and_the_turn_is_kept_until_stored() {
    let (caller, file) = owner_and(|_| ());
    let given_back = Arc::new(AtomicBool::new(false));
    let still_held = {
        let given_back = given_back.clone();
        move || !given_back.load(Ordering::SeqCst)
    };
    let mut order = Sequence::new();
    let mut previews = MockPreviewRenderer::new();
    let mut blobs = MockBlobStore::new();
    let mut files = holding(&file);
    previews
        .expect_turn()
        .times(1)
        .in_sequence(&mut order)
        .returning({
            let given_back = given_back.clone();
            move || Ok(RenderTurn::holding(TurnWatch(given_back.clone())))
        });
    blobs
        .expect_read_preview()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(None));
    blobs
        .expect_read()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(body(chunks(&[b"image"]))));
    previews
        .expect_render()
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(Some(thumbnail())));
    blobs
        .expect_write_preview()
        .times(1)
        .in_sequence(&mut order)
        .returning({
            let still_held = still_held.clone();
            move |_, _| {
                assert!(
                    still_held(),
                    "the turn was given back before the thumbnail was kept"
                );
                Ok(())
            }
        });
    files
        .expect_set_preview()
        .times(1)
        .in_sequence(&mut order)
        .returning(move |_, _| {
            assert!(
                still_held(),
                "the turn was given back before the preview was marked"
            );
            Ok(())
        });

    Ports {
        files,
        blobs,
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap();

    assert!(
        given_back.load(Ordering::SeqCst),
        "the turn was never given back"
    );
}

#[tokio::test]
async fn a_preview_made_while_waiting_for_the_render_turn_is_served_without_rendering() {
    let (caller, file) = owner_and(|_| ());
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_read_preview()
        .times(1)
        .returning(|_| Ok(Some(Bytes::from_static(b"made by another request"))));
    blobs.expect_read().never();
    let mut previews = renderer_with_a_turn();
    previews.expect_render().never();

    let got = Ports {
        files: holding(&file),
        blobs,
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap();

    assert_eq!(got.bytes, Bytes::from_static(b"made by another request"));
}

#[tokio::test]
async fn a_ready_preview_whose_bytes_are_missing_is_rendered_again() {
    let (caller, file) = owner_and(|file| file.preview = PreviewState::Ready);
    let mut files = holding(&file);
    expect_preview_state(&mut files, &file, PreviewState::Ready);
    let mut blobs = rendering_source(&file, Some(thumbnail().bytes));
    blobs.expect_read_preview().times(1).returning(|_| Ok(None));
    let mut previews = renderer_with_a_turn();
    previews
        .expect_render()
        .times(1)
        .returning(|_, _, _| Ok(Some(thumbnail())));

    let got = Ports {
        files,
        blobs,
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap();

    assert_eq!(got, thumbnail());
}

#[tokio::test]
async fn an_image_the_renderer_cannot_preview_is_marked_unavailable_and_not_found() {
    let (caller, file) = owner_and(|_| ());
    let mut files = holding(&file);
    expect_preview_state(&mut files, &file, PreviewState::Unavailable);
    let mut previews = renderer_with_a_turn();
    previews
        .expect_render()
        .times(1)
        .returning(|_, _, _| Ok(None));

    let err = Ports {
        files,
        blobs: rendering_source(&file, None),
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "preview"), "{err:?}");
}

#[tokio::test]
async fn an_image_above_the_preview_source_limit_is_marked_unavailable_without_being_read() {
    let (caller, file) = owner_and(|file| file.size_bytes = LIMITS.max_preview_source_bytes + 1);
    let mut files = holding(&file);
    expect_preview_state(&mut files, &file, PreviewState::Unavailable);
    let mut blobs = MockBlobStore::new();
    blobs.expect_read_preview().returning(|_| Ok(None));
    blobs.expect_read().never();
    blobs.expect_write_preview().never();
    let mut previews = renderer_with_a_turn();
    previews.expect_render().never();

    let err = Ports {
        files,
        blobs,
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap_err();

    assert!(is_not_found(&err, "preview"), "{err:?}");
}

#[tokio::test]
async fn an_image_of_exactly_the_preview_source_limit_is_rendered() {
    let (caller, file) = owner_and(|file| file.size_bytes = LIMITS.max_preview_source_bytes);
    let mut files = holding(&file);
    expect_preview_state(&mut files, &file, PreviewState::Ready);
    let mut previews = renderer_with_a_turn();
    previews
        .expect_render()
        .times(1)
        .returning(|_, _, _| Ok(Some(thumbnail())));

    Ports {
        files,
        blobs: rendering_source(&file, Some(thumbnail().bytes)),
        previews,
        ..Ports::default()
    }
    .service()
    .preview(&caller, &file.id)
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// sweep

#[tokio::test]
async fn the_sweep_collects_unreferenced_and_unknown_old_bytes_and_counts_what_went() {
    let now = time::now();
    let grace = ChronoDuration::hours(1);
    let cutoff = now - grace;
    let [unreferenced, reused, unknown, known] = [b"a", b"b", b"c", b"d"].map(|b| digest_of(b));

    let mut files = MockFileRepository::new();
    files.expect_unreferenced_blobs().times(1).returning({
        let found = vec![unreferenced.clone(), reused.clone()];
        move |_| Ok(found.clone())
    });
    files
        .expect_known_blobs()
        .withf({
            let asked = vec![unknown.clone(), known.clone()];
            move |digests| digests == asked.as_slice()
        })
        .times(1)
        .returning({
            let known = known.clone();
            move |_| Ok(vec![known.clone()])
        });
    // One expectation per digest; a collect of `known` matches none and panics.
    for (digest, collected) in [(&unreferenced, true), (&reused, false), (&unknown, true)] {
        let digest = digest.clone();
        files
            .expect_collect_blob()
            .withf(move |asked, _| asked == &digest)
            .times(1)
            .returning(move |_, _| Ok(collected));
    }
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_blobs_older_than()
        .withf(move |before| *before == cutoff)
        .times(1)
        .returning({
            let stored = vec![unknown.clone(), known.clone()];
            move |_| Ok(stored.clone())
        });
    blobs
        .expect_remove_partials_older_than()
        .withf(move |before| *before == cutoff)
        .times(1)
        .returning(|_| Ok(3));

    let report = Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .sweep(now, grace)
    .await
    .unwrap();

    assert_eq!(
        report,
        SweepReport {
            blobs_collected: 2,
            partials_removed: 3,
        }
    );
}

#[tokio::test]
async fn one_blob_that_cannot_be_collected_does_not_stop_the_sweep() {
    let [failing, fine] = [b"a", b"b"].map(|b| digest_of(b));
    let mut files = MockFileRepository::new();
    files.expect_unreferenced_blobs().returning({
        let found = vec![failing.clone(), fine.clone()];
        move |_| Ok(found.clone())
    });
    files.expect_known_blobs().returning(|_| Ok(Vec::new()));
    files
        .expect_collect_blob()
        .withf(move |asked, _| asked == &failing)
        .times(1)
        .returning(|_, _| Err(DomainError::Unexpected(anyhow::anyhow!("storage is down"))));
    files
        .expect_collect_blob()
        .withf(move |asked, _| asked == &fine)
        .times(1)
        .returning(|_, _| Ok(true));
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_blobs_older_than()
        .returning(|_| Ok(Vec::new()));
    blobs
        .expect_remove_partials_older_than()
        .times(1)
        .returning(|_| Ok(1));

    let report = Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .sweep(time::now(), ChronoDuration::hours(1))
    .await
    .unwrap();

    assert_eq!(
        report,
        SweepReport {
            blobs_collected: 1,
            partials_removed: 1,
        }
    );
}

#[tokio::test]
async fn a_sweep_with_nothing_to_do_reports_nothing() {
    let mut files = MockFileRepository::new();
    files
        .expect_unreferenced_blobs()
        .returning(|_| Ok(Vec::new()));
    files.expect_known_blobs().returning(|_| Ok(Vec::new()));
    files.expect_collect_blob().never();
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_blobs_older_than()
        .returning(|_| Ok(Vec::new()));
    blobs
        .expect_remove_partials_older_than()
        .returning(|_| Ok(0));

    let report = Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .sweep(time::now(), ChronoDuration::hours(1))
    .await
    .unwrap();

    assert_eq!(report, SweepReport::default());
}

// ---------------------------------------------------------------------------------------
// check_upload_target

#[tokio::test]
async fn an_editor_may_upload_into_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());

    Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Editor)),
        ..Ports::default()
    }
    .service()
    .check_upload_target(&caller, &thread.id)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_viewer_may_not_upload_into_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());

    let err = Ports {
        threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
        ..Ports::default()
    }
    .service()
    .check_upload_target(&caller, &thread.id)
    .await
    .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}
