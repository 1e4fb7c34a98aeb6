//! Making a received upload, or a link to an external file, a file of the caller's.

use super::*;
use crate::test_fixtures::{assert_forbidden, assert_not_found};

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

    let created = with_files(files)
        .create_upload(&caller, upload_fields(None), received(b"bytes"))
        .await
        .unwrap();

    assert_eq!(created.owner_id, caller.user.id);
}

impl Ports {
    /// Makes the upload of a small file a file of `caller`'s, in `thread` if any.
    async fn upload_as(self, caller: &Principal, thread: Option<&Thread>) -> DomainResult<File> {
        let fields = upload_fields(thread.map(|thread| thread.id.clone()));
        self.service()
            .create_upload(caller, fields, received(b"x"))
            .await
    }
}

#[tokio::test]
async fn a_viewer_cannot_upload_into_a_thread_and_the_upload_is_discarded() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut files = MockFileRepository::new();
    files.expect_insert().never();

    assert_forbidden(
        Ports {
            threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
            files,
            blobs: discarding_the_upload(),
            ..Ports::default()
        }
        .upload_as(&caller, Some(&thread))
        .await,
    );
}

#[tokio::test]
async fn when_the_record_cannot_be_stored_the_upload_is_discarded_and_the_error_returned() {
    let caller = principal(Role::User);
    let mut files = MockFileRepository::new();
    files
        .expect_insert()
        .times(1)
        .returning(|_, _| Err(DomainError::NotFound("thread")));

    assert_not_found(
        Ports {
            files,
            blobs: discarding_the_upload(),
            ..Ports::default()
        }
        .upload_as(&caller, None)
        .await,
        "thread",
    );
}

#[tokio::test]
async fn a_failed_discard_does_not_hide_why_the_upload_was_refused() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_discard()
        .times(1)
        .returning(|_| Err(DomainError::Conflict("disk gone")));

    assert_forbidden(
        Ports {
            threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
            blobs,
            ..Ports::default()
        }
        .upload_as(&caller, Some(&thread))
        .await,
    );
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

    assert_forbidden(
        Ports {
            threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
            files,
            ..Ports::default()
        }
        .service()
        .create_external(&caller, external_fields(Some(thread.id.clone())))
        .await,
    );
}

// ---------------------------------------------------------------------------------------
// check_upload_target

#[tokio::test]
async fn a_viewer_may_not_upload_into_a_thread() {
    let (caller, thread) = (principal(Role::User), thread());

    assert_forbidden(
        Ports {
            threads: where_caller_is(&caller, &thread, Some(MemberRole::Viewer)),
            ..Ports::default()
        }
        .service()
        .check_upload_target(&caller, &thread.id)
        .await,
    );
}
