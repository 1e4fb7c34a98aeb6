//! `ObjectBlobStore` against the `BlobStore` contract. Every test body takes a [`Fixture`]
//! and runs on each backend through `on_every_backend!`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::Utc;
use domain::{
    file::{BlobStore, ByteRange, PartialKey, Sha256Digest},
    time::Timestamp,
    DomainError,
};
use futures_util::TryStreamExt;
use infrastructure::storage::{object_blob_store_from_url, ObjectBlobStore};
use object_store::{
    aws::AmazonS3Builder, local::LocalFileSystem, memory::InMemory, path::Path,
    prefix::PrefixStore, ObjectStore, ObjectStoreExt, PutPayload,
};
use tempfile::TempDir;

/// A blob store and, beside it, the raw object store it writes to, to look behind it.
pub struct Fixture {
    store: ObjectBlobStore,
    raw: Arc<dyn ObjectStore>,
    /// The directory of a local store.
    dir: Option<TempDir>,
}

/// Small parts, so that a few MiB span several of them.
const TEST_PART_SIZE: usize = 64 * 1024;

impl Fixture {
    /// Another store on the same directory, memory or bucket, as another process (or this
    /// one after a restart) would open it: it does not know this store's uploads.
    fn other_process(&self) -> ObjectBlobStore {
        match &self.dir {
            Some(dir) => ObjectBlobStore::local(dir.path().join("files")).unwrap(),
            None => ObjectBlobStore::new(self.raw.clone(), self.store.part_size()),
        }
    }
}

fn local() -> Fixture {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("files");
    let store = ObjectBlobStore::local(&root).unwrap();
    let raw = Arc::new(LocalFileSystem::new_with_prefix(&root).unwrap());
    Fixture {
        store,
        raw,
        dir: Some(dir),
    }
}

fn memory() -> Fixture {
    let raw: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    Fixture {
        store: ObjectBlobStore::new(raw.clone(), TEST_PART_SIZE),
        raw,
        dir: None,
    }
}

/// A fresh prefix under `TEST_S3_URL` (e.g. `s3://test-bucket/ci`), with the `AWS_*`
/// variables of the server (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP=true`, keys, region). Tests
/// leave their objects behind: use a throwaway bucket or server.
fn s3() -> Fixture {
    let base = std::env::var("TEST_S3_URL").expect("TEST_S3_URL names a bucket to test in");
    let prefix = format!("blob-store-test-{}", uuid::Uuid::new_v4());
    let url = format!("{}/{prefix}", base.trim_end_matches('/'));
    let store = object_blob_store_from_url(&url).unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let bucket = AmazonS3Builder::from_env().with_url(&url).build().unwrap();
    let raw = Arc::new(PrefixStore::new(
        bucket,
        Path::parse(parsed.path().trim_matches('/')).unwrap(),
    ));
    Fixture {
        store,
        raw,
        dir: None,
    }
}

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $test() {
                    super::$test(super::local()).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $test() {
                    super::$test(super::memory()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread")]
                #[ignore = "needs TEST_S3_URL and the AWS_* variables of an S3-compatible server"]
                async fn $test() {
                    super::$test(super::s3()).await;
                }
            )*
        }
    };
}

on_every_backend!(
    uploads_read_back_byte_for_byte,
    an_upload_is_placed_under_its_sharded_digest,
    ranges_return_exactly_the_requested_bytes,
    placing_identical_bytes_twice_keeps_one_readable_blob,
    an_aborted_upload_leaves_nothing_behind,
    a_dropped_upload_does_not_panic_and_is_cleaned_up,
    a_discarded_upload_is_gone_and_discarding_again_is_fine,
    deleting_removes_bytes_and_preview_and_can_be_repeated,
    reading_missing_bytes_is_not_found,
    old_blobs_are_found_only_before_the_cutoff,
    old_partials_are_removed_only_before_the_cutoff,
    an_upload_in_progress_survives_a_sweep_and_is_placed,
    a_finished_upload_is_kept_from_the_sweep_until_placed_or_discarded,
    placing_an_upload_swept_by_another_process_is_a_conflict,
    previews_round_trip,
    a_preview_written_after_its_blob_was_collected_is_removed_again,
    the_health_check_passes_on_a_working_store,
    partial_keys_outside_the_upload_area_are_refused,
);

fn digest(n: u32) -> Sha256Digest {
    Sha256Digest::parse(&format!("{n:08x}").repeat(8)).unwrap()
}

/// Bytes that differ from position to position, so that an offset error shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn hour_ago() -> Timestamp {
    Utc::now() - chrono::Duration::hours(1)
}

fn in_an_hour() -> Timestamp {
    Utc::now() + chrono::Duration::hours(1)
}

async fn upload_chunks(store: &ObjectBlobStore, data: &[u8], chunk_sizes: &[usize]) -> PartialKey {
    let mut partial = store.start_upload().await.unwrap();
    let mut rest = data;
    let mut sizes = chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let take = (*sizes.next().unwrap()).min(rest.len());
        partial
            .write(Bytes::copy_from_slice(&rest[..take]))
            .await
            .unwrap();
        rest = &rest[take..];
    }
    partial.finish().await.unwrap()
}

async fn upload(store: &ObjectBlobStore, data: &[u8]) -> PartialKey {
    upload_chunks(store, data, &[1000]).await
}

async fn store_blob(store: &ObjectBlobStore, digest: &Sha256Digest, data: &[u8]) {
    let partial = upload(store, data).await;
    store.place(&partial, digest).await.unwrap();
}

async fn read(store: &ObjectBlobStore, digest: &Sha256Digest, range: Option<ByteRange>) -> Vec<u8> {
    let chunks: Vec<Bytes> = store
        .read(digest, range)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

/// Every file under the local store's directory, staging files included.
fn files_on_disk(fixture: &Fixture) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    if let Some(dir) = &fixture.dir {
        walk(dir.path(), &mut found);
    }
    found
}

async fn raw_keys(fixture: &Fixture, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = fixture
        .raw
        .list(Some(&Path::from(prefix)))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    keys
}

async fn uploads_read_back_byte_for_byte(f: Fixture) {
    let cases: [(usize, &[usize]); 4] = [
        (0, &[1]),
        (1, &[1]),
        (100_000, &[100_000]),
        // Uneven chunks, one bigger than a test or local part; several parts even on S3.
        (11 * 1024 * 1024 + 12_345, &[7, 65_537, 1, 1_300_000, 4096]),
    ];
    for (n, (len, chunks)) in cases.into_iter().enumerate() {
        let data = pattern(len);
        let digest = digest(n as u32);
        let partial = upload_chunks(&f.store, &data, chunks).await;
        f.store.place(&partial, &digest).await.unwrap();
        let back = read(&f.store, &digest, None).await;
        assert_eq!(back.len(), len, "length of the {len}-byte upload");
        assert!(back == data, "content of the {len}-byte upload");
        assert!(f.store.exists(&digest).await.unwrap());
    }
}

async fn an_upload_is_placed_under_its_sharded_digest(f: Fixture) {
    let digest = digest(0xab12_3456);
    let partial = upload(&f.store, b"hello").await;
    assert!(partial.0.starts_with("partial/"), "{partial:?}");
    let uuid = partial.0.trim_start_matches("partial/");
    assert_eq!(
        uuid::Uuid::parse_str(uuid).unwrap().get_version_num(),
        4,
        "{uuid}"
    );
    assert_eq!(raw_keys(&f, "partial").await, vec![partial.0.clone()]);

    f.store.place(&partial, &digest).await.unwrap();
    assert_eq!(
        raw_keys(&f, "blobs").await,
        vec![format!("blobs/ab/{}", digest.as_str())]
    );
    assert!(raw_keys(&f, "partial").await.is_empty(), "the upload moved");

    f.store
        .write_preview(&digest, Bytes::from_static(b"thumb"))
        .await
        .unwrap();
    assert_eq!(
        raw_keys(&f, "previews").await,
        vec![format!("previews/ab/{}", digest.as_str())]
    );
}

async fn ranges_return_exactly_the_requested_bytes(f: Fixture) {
    let data = pattern(200_000);
    let digest = digest(1);
    store_blob(&f.store, &digest, &data).await;
    let last = data.len() as u64 - 1;
    let cases = [
        (0, 0),
        (last, last),
        (1, 10),
        // Across the boundaries of the test's and the local store's parts.
        (65_000, 140_000),
        (0, last),
    ];
    for (start, end) in cases {
        let got = read(&f.store, &digest, Some(ByteRange { start, end })).await;
        assert!(
            got == data[start as usize..=end as usize],
            "bytes {start}-{end}: got {} bytes",
            got.len()
        );
    }
}

async fn placing_identical_bytes_twice_keeps_one_readable_blob(f: Fixture) {
    let data = pattern(70_000);
    let digest = digest(2);
    store_blob(&f.store, &digest, &data).await;
    store_blob(&f.store, &digest, &data).await;

    assert_eq!(
        f.store.blobs_older_than(in_an_hour()).await.unwrap(),
        vec![digest.clone()]
    );
    assert_eq!(raw_keys(&f, "blobs").await.len(), 1);
    assert!(raw_keys(&f, "partial").await.is_empty());
    assert!(read(&f.store, &digest, None).await == data);
}

async fn an_aborted_upload_leaves_nothing_behind(f: Fixture) {
    let mut partial = f.store.start_upload().await.unwrap();
    partial.write(Bytes::from(pattern(200_000))).await.unwrap();
    partial.abort().await;

    // Aborting an upload that was never written to works too.
    f.store.start_upload().await.unwrap().abort().await;

    assert!(raw_keys(&f, "partial").await.is_empty());
    assert_eq!(
        files_on_disk(&f),
        Vec::<PathBuf>::new(),
        "no staging file either"
    );
    assert_eq!(
        f.store
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        0
    );
}

async fn a_dropped_upload_does_not_panic_and_is_cleaned_up(f: Fixture) {
    let mut partial = f.store.start_upload().await.unwrap();
    partial.write(Bytes::from(pattern(200_000))).await.unwrap();
    drop(partial);

    // The clean-up runs in the background.
    let mut left = files_on_disk(&f);
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = files_on_disk(&f);
    }
    assert_eq!(left, Vec::<PathBuf>::new(), "the staging file is removed");
    assert!(raw_keys(&f, "partial").await.is_empty());

    // And the store goes on working.
    store_blob(&f.store, &digest(3), b"still fine").await;
    assert_eq!(read(&f.store, &digest(3), None).await, b"still fine");
}

async fn a_discarded_upload_is_gone_and_discarding_again_is_fine(f: Fixture) {
    let partial = upload(&f.store, b"never placed").await;
    f.store.discard(&partial).await.unwrap();
    assert!(raw_keys(&f, "partial").await.is_empty());
    f.store.discard(&partial).await.unwrap();

    let err = f.store.place(&partial, &digest(4)).await.unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    assert!(!f.store.exists(&digest(4)).await.unwrap());
}

async fn deleting_removes_bytes_and_preview_and_can_be_repeated(f: Fixture) {
    let digest = digest(5);
    let other = digest_other();
    store_blob(&f.store, &digest, b"to go").await;
    store_blob(&f.store, &other, b"to stay").await;
    f.store
        .write_preview(&digest, Bytes::from_static(b"thumb"))
        .await
        .unwrap();

    f.store.delete(&digest).await.unwrap();

    assert!(!f.store.exists(&digest).await.unwrap());
    assert_eq!(f.store.read_preview(&digest).await.unwrap(), None);
    assert!(raw_keys(&f, "previews").await.is_empty());
    assert!(matches!(
        f.store.read(&digest, None).await.err(),
        Some(DomainError::NotFound("file"))
    ));
    f.store.delete(&digest).await.unwrap();
    // A blob with no preview is deleted as well.
    f.store.delete(&other).await.unwrap();
    assert!(!f.store.exists(&other).await.unwrap());
    assert!(raw_keys(&f, "blobs").await.is_empty());
}

fn digest_other() -> Sha256Digest {
    digest(0xfeed_beef)
}

async fn reading_missing_bytes_is_not_found(f: Fixture) {
    let missing = digest(6);
    for range in [None, Some(ByteRange { start: 0, end: 0 })] {
        match f.store.read(&missing, range).await {
            Err(DomainError::NotFound("file")) => {}
            Err(other) => panic!("expected NotFound(\"file\"), got {other:?}"),
            Ok(_) => panic!("expected NotFound(\"file\"), got a stream"),
        }
    }
    assert!(!f.store.exists(&missing).await.unwrap());
    assert_eq!(f.store.read_preview(&missing).await.unwrap(), None);
}

async fn old_blobs_are_found_only_before_the_cutoff(f: Fixture) {
    let (a, b) = (digest(7), digest(8));
    store_blob(&f.store, &a, b"a").await;
    store_blob(&f.store, &b, b"b").await;
    // Objects under blobs/ that are not named by a digest are not blobs.
    for stray in [
        "blobs/readme.txt",
        "blobs/ab/not-a-digest",
        "blobs/ab/ABCDEF",
    ] {
        f.raw
            .put(&Path::from(stray), PutPayload::from_static(b"stray"))
            .await
            .unwrap();
    }
    // Nor are previews and uploads.
    f.store
        .write_preview(&digest(9), Bytes::from_static(b"p"))
        .await
        .unwrap();
    upload(&f.store, b"pending").await;

    let mut found = f.store.blobs_older_than(in_an_hour()).await.unwrap();
    found.sort();
    assert_eq!(found, vec![a, b]);
    assert!(f
        .store
        .blobs_older_than(hour_ago())
        .await
        .unwrap()
        .is_empty());
}

/// Uploads finished in a process that then died, swept by the next one, which only has
/// their age to go by.
async fn old_partials_are_removed_only_before_the_cutoff(f: Fixture) {
    upload(&f.store, b"one").await;
    upload(&f.store, b"two").await;
    store_blob(&f.store, &digest(10), b"placed").await;
    let sweeper = f.other_process();

    assert_eq!(
        sweeper
            .remove_partials_older_than(hour_ago())
            .await
            .unwrap(),
        0
    );
    assert_eq!(raw_keys(&f, "partial").await.len(), 2);

    assert_eq!(
        sweeper
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        2
    );
    assert!(raw_keys(&f, "partial").await.is_empty());
    // Placed blobs are not uploads.
    assert!(f.store.exists(&digest(10)).await.unwrap());
    assert_eq!(
        sweeper
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        0
    );
}

/// A slow upload looks abandoned by its age (a local store writes it to disk a part at a
/// time), but the sweep of the process writing it leaves it alone.
async fn an_upload_in_progress_survives_a_sweep_and_is_placed(f: Fixture) {
    // More than a local part, so that some of it is on disk before the sweep.
    let data = pattern(3 * 1024 * 1024 + 5);
    let (first, rest) = data.split_at(2 * 1024 * 1024 + 3);
    let mut partial = f.store.start_upload().await.unwrap();
    partial.write(Bytes::copy_from_slice(first)).await.unwrap();

    // A clone shares what its original has in hand.
    let sweeper = f.store.clone();
    assert_eq!(
        sweeper
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        0
    );
    if f.dir.is_some() {
        assert_eq!(
            files_on_disk(&f).len(),
            1,
            "the staging file is still there"
        );
    }

    partial.write(Bytes::copy_from_slice(rest)).await.unwrap();
    let key = partial.finish().await.unwrap();
    // Nor does it take the finished upload before it is placed.
    assert_eq!(
        sweeper
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        0
    );
    let digest = digest(15);
    f.store.place(&key, &digest).await.unwrap();
    assert!(read(&f.store, &digest, None).await == data);
}

/// A finished upload waits for the rest of its request (later fields, the record) before
/// it is placed; the sweep must not take it meanwhile, and must once it is placed or
/// discarded.
async fn a_finished_upload_is_kept_from_the_sweep_until_placed_or_discarded(f: Fixture) {
    let to_place = upload(&f.store, b"placed later").await;
    let to_discard = upload(&f.store, b"discarded later").await;
    assert_eq!(
        f.store
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        0
    );
    assert_eq!(raw_keys(&f, "partial").await.len(), 2);

    f.store.place(&to_place, &digest(16)).await.unwrap();
    f.store.discard(&to_discard).await.unwrap();
    assert_eq!(read(&f.store, &digest(16), None).await, b"placed later");

    // Bytes left under those keys (a discard whose delete failed, say) are no longer
    // protected: the sweep removes them.
    for key in [&to_place, &to_discard] {
        f.raw
            .put(
                &Path::from(key.0.as_str()),
                PutPayload::from_static(b"left"),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        f.store
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        2
    );
    assert!(raw_keys(&f, "partial").await.is_empty());
}

/// Another process's sweep cannot see this one's uploads; placing one it took is a
/// conflict the client can act on (send it again), not a server error.
async fn placing_an_upload_swept_by_another_process_is_a_conflict(f: Fixture) {
    let partial = upload(&f.store, b"too slow").await;
    assert_eq!(
        f.other_process()
            .remove_partials_older_than(in_an_hour())
            .await
            .unwrap(),
        1
    );
    match f.store.place(&partial, &digest(17)).await {
        Err(DomainError::Conflict(message)) => {
            assert_eq!(
                message,
                "the upload expired before it was stored; send it again"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(!f.store.exists(&digest(17)).await.unwrap());
    // And the store goes on working.
    store_blob(&f.store, &digest(17), b"sent again").await;
    assert_eq!(read(&f.store, &digest(17), None).await, b"sent again");
}

async fn previews_round_trip(f: Fixture) {
    let digest = digest(12);
    store_blob(&f.store, &digest, b"an image").await;
    assert_eq!(f.store.read_preview(&digest).await.unwrap(), None);
    f.store
        .write_preview(&digest, Bytes::from_static(b"first"))
        .await
        .unwrap();
    assert_eq!(
        f.store.read_preview(&digest).await.unwrap(),
        Some(Bytes::from_static(b"first"))
    );
    f.store
        .write_preview(&digest, Bytes::from(pattern(50_000)))
        .await
        .unwrap();
    assert_eq!(
        f.store.read_preview(&digest).await.unwrap(),
        Some(Bytes::from(pattern(50_000)))
    );
}

/// A preview is rendered from bytes read earlier; if they were collected meanwhile, the
/// preview must not stay behind with nothing to remove it.
async fn a_preview_written_after_its_blob_was_collected_is_removed_again(f: Fixture) {
    let digest = digest(18);
    store_blob(&f.store, &digest, b"an image").await;
    f.store.delete(&digest).await.unwrap();

    f.store
        .write_preview(&digest, Bytes::from_static(b"late thumb"))
        .await
        .unwrap();

    assert_eq!(f.store.read_preview(&digest).await.unwrap(), None);
    assert!(raw_keys(&f, "previews").await.is_empty());
    // A preview is not a blob.
    assert!(!f.store.exists(&digest).await.unwrap());
}

async fn the_health_check_passes_on_a_working_store(f: Fixture) {
    f.store.check().await.unwrap();
}

async fn partial_keys_outside_the_upload_area_are_refused(f: Fixture) {
    let digest = digest(13);
    store_blob(&f.store, &digest, b"precious").await;
    let key = format!("blobs/{}/{}", &digest.as_str()[..2], digest.as_str());
    for bad in [key.as_str(), "partial", "partial/a/b", "../partial/x", ""] {
        let bad = PartialKey(bad.to_owned());
        assert!(f.store.discard(&bad).await.is_err(), "discard {bad:?}");
        assert!(
            f.store.place(&bad, &digest_other()).await.is_err(),
            "place {bad:?}"
        );
    }
    assert_eq!(read(&f.store, &digest, None).await, b"precious");
}

// What only the local store does.

/// A process that dies mid-upload leaves `LocalFileSystem`'s staging file
/// (`partial/<uuid>#1`), which `list` never shows; the sweep (of the next process)
/// removes it from the directory.
#[tokio::test]
async fn the_sweep_removes_staging_files_of_uploads_whose_process_died() {
    let f = local();
    let mut partial = f.store.start_upload().await.unwrap();
    partial.write(Bytes::from(pattern(100_000))).await.unwrap();
    // The process "dies": the upload is neither finished, aborted nor dropped.
    std::mem::forget(partial);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let next = f.other_process();

    let staged = files_on_disk(&f);
    assert_eq!(staged.len(), 1, "{staged:?}");
    let name = staged[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.ends_with("#1"), "{name}");
    assert!(
        raw_keys(&f, "partial").await.is_empty(),
        "object_store does not list it"
    );

    assert_eq!(
        next.remove_partials_older_than(hour_ago()).await.unwrap(),
        0
    );
    assert_eq!(
        files_on_disk(&f).len(),
        1,
        "a recent upload may still be in progress"
    );

    assert_eq!(
        next.remove_partials_older_than(in_an_hour()).await.unwrap(),
        1
    );
    assert_eq!(files_on_disk(&f), Vec::<PathBuf>::new());
}

/// The staging file of an upload this process gave up (aborted, or dropped by a
/// cancelled request) is not protected: if one is left behind, the sweep removes it.
#[tokio::test]
async fn staging_files_of_given_up_uploads_are_not_protected() {
    for give_up in ["abort", "drop"] {
        let f = local();
        let mut partial = f.store.start_upload().await.unwrap();
        partial.write(Bytes::from(pattern(100_000))).await.unwrap();
        let staged = files_on_disk(&f);
        assert_eq!(staged.len(), 1, "{staged:?}");
        if give_up == "abort" {
            partial.abort().await;
        } else {
            drop(partial);
        }
        // The file is left behind after all, as if removing it had failed.
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::fs::write(&staged[0], b"left").unwrap();

        assert_eq!(
            f.store
                .remove_partials_older_than(in_an_hour())
                .await
                .unwrap(),
            1,
            "{give_up}"
        );
        assert_eq!(files_on_disk(&f), Vec::<PathBuf>::new(), "{give_up}");
    }
}

#[tokio::test]
async fn the_local_health_check_fails_when_the_directory_is_gone() {
    let f = local();
    f.store.check().await.unwrap();
    std::fs::remove_dir_all(f.dir.as_ref().unwrap().path().join("files")).unwrap();
    assert!(f.store.check().await.is_err());
}

#[tokio::test]
async fn a_local_store_keeps_its_bytes_across_restarts() {
    let f = local();
    let digest = digest(14);
    store_blob(&f.store, &digest, b"durable").await;
    let reopened = ObjectBlobStore::local(f.dir.as_ref().unwrap().path().join("files")).unwrap();
    assert_eq!(read(&reopened, &digest, None).await, b"durable");
}
