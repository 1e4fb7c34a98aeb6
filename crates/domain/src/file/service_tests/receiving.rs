//! Receiving an upload's body: digest, size, sniffed type and the size limit.

use super::*;

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

/// Receives a body of `chunks` into one fake upload; what came of it and what the upload
/// was given.
async fn receive(chunks: Vec<DomainResult<Bytes>>) -> (DomainResult<ReceivedUpload>, Recorded) {
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
    let received = with_blobs(blobs)
        .receive(&principal(Role::User), body(chunks))
        .await;
    let recorded = std::mem::take(&mut *recorded.lock().unwrap());
    (received, recorded)
}

#[tokio::test]
async fn a_key_without_files_write_is_refused_before_any_byte_is_stored() {
    let caller = key_caller(Role::User, &[Scope::FilesRead]);
    let mut blobs = MockBlobStore::new();
    blobs.expect_start_upload().never();

    let received = with_blobs(blobs)
        .receive(&caller, body(chunks(&[b"secret"])))
        .await;

    assert!(
        matches!(received, Err(DomainError::Forbidden(_))),
        "{received:?}"
    );
}

#[tokio::test]
async fn receiving_several_chunks_gives_the_sha256_and_size_of_all_their_bytes() {
    let (upload, recorded) = receive(chunks(&[b"hel", b"lo ", b"world"])).await;

    let upload = upload.unwrap();
    assert_eq!(upload.digest.as_str(), sha256_hex(b"hello world"));
    assert_eq!(
        upload.digest.as_str(),
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    );
    assert_eq!(upload.size_bytes, 11);
    assert_eq!(upload.partial, PartialKey(PARTIAL.into()));
    assert_eq!(recorded.written, b"hello world");
    assert!(recorded.finished && !recorded.aborted, "{recorded:?}");
}

#[tokio::test]
async fn the_detected_type_comes_from_the_first_bytes_even_across_chunks() {
    let (head, rest) = PNG_HEAD.split_at(3);

    let (upload, _) = receive(vec![
        Ok(Bytes::from_static(head)),
        Ok(Bytes::from_static(rest)),
    ])
    .await;

    assert_eq!(upload.unwrap().detected_type, Some(media("image/png")));
}

#[tokio::test]
async fn text_has_no_detected_type() {
    let (upload, _) = receive(chunks(&[b"just ", b"words"])).await;

    assert_eq!(upload.unwrap().detected_type, None);
}

#[tokio::test]
async fn an_upload_one_byte_over_the_limit_is_refused_and_what_was_written_removed() {
    let (upload, recorded) = receive(chunks(&[b"1234567890", b"abcdefg"])).await;

    let err = upload.unwrap_err();
    assert!(
        matches!(err, DomainError::TooLarge("MAX_UPLOAD_BYTES")),
        "{err:?}"
    );
    assert!(recorded.aborted && !recorded.finished, "{recorded:?}");
    // Nothing beyond the limit reached storage.
    assert_eq!(recorded.written, b"1234567890");
}

#[tokio::test]
async fn an_upload_of_exactly_the_limit_is_received() {
    let (upload, recorded) = receive(chunks(&[b"1234567890", b"abcdef"])).await;

    let upload = upload.unwrap();
    assert_eq!(upload.size_bytes, LIMITS.max_upload_bytes);
    assert_eq!(upload.digest.as_str(), sha256_hex(b"1234567890abcdef"));
    assert!(recorded.finished && !recorded.aborted, "{recorded:?}");
}

#[tokio::test]
async fn a_body_that_fails_aborts_the_upload_and_returns_its_error() {
    let (upload, recorded) = receive(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(DomainError::Conflict("connection reset")),
        Ok(Bytes::from_static(b"def")),
    ])
    .await;

    let err = upload.unwrap_err();
    assert!(
        matches!(err, DomainError::Conflict("connection reset")),
        "{err:?}"
    );
    assert!(recorded.aborted && !recorded.finished, "{recorded:?}");
    assert_eq!(recorded.written, b"abc");
}

#[tokio::test]
async fn an_empty_body_is_received_as_zero_bytes() {
    let (upload, recorded) = receive(Vec::new()).await;

    let upload = upload.unwrap();
    assert_eq!(upload.size_bytes, 0);
    assert_eq!(
        upload.digest.as_str(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(upload.detected_type, None);
    assert!(recorded.finished);
}
