//! Choosing the blob store from its URL.

use bytes::Bytes;
use domain::file::{BlobStore, Sha256Digest};
use futures_util::TryStreamExt;
use infrastructure::storage::{
    blob_store_from_url, object_blob_store_from_url, LOCAL_PART_SIZE, S3_PART_SIZE,
};
use tempfile::TempDir;

async fn round_trip(store: &dyn BlobStore) {
    let digest = Sha256Digest::parse(&"c0".repeat(32)).unwrap();
    let mut partial = store.start_upload().await.unwrap();
    partial.write(Bytes::from_static(b"via url")).await.unwrap();
    let partial = partial.finish().await.unwrap();
    store.place(&partial, &digest).await.unwrap();
    let chunks: Vec<Bytes> = store
        .read(&digest, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.concat(), b"via url");
}

#[tokio::test]
async fn a_plain_path_is_a_local_directory_created_if_missing() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("data").join("files");
    let store = blob_store_from_url(root.to_str().unwrap()).unwrap();
    assert!(root.is_dir());
    round_trip(store.as_ref()).await;
    let digest = "c0".repeat(32);
    assert!(root.join("blobs").join("c0").join(&digest).is_file());
}

#[tokio::test]
async fn a_file_url_is_a_local_directory() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("files");
    let url = format!("file://{}", root.display());
    let store = object_blob_store_from_url(&url).unwrap();
    assert_eq!(store.part_size(), LOCAL_PART_SIZE);
    round_trip(&store).await;
    assert!(root.join("blobs").is_dir());
}

#[tokio::test]
async fn memory_is_a_store_of_its_own() {
    let store = blob_store_from_url("memory://").unwrap();
    round_trip(store.as_ref()).await;
    let other = blob_store_from_url("memory://").unwrap();
    let digest = Sha256Digest::parse(&"c0".repeat(32)).unwrap();
    assert!(!other.exists(&digest).await.unwrap());
}

#[test]
fn an_s3_url_configures_a_bucket_with_s3_sized_parts() {
    // Building talks to no server; credentials are looked up on first use.
    let store = object_blob_store_from_url("s3://some-bucket/some/prefix").unwrap();
    assert_eq!(store.part_size(), S3_PART_SIZE);
    assert!(object_blob_store_from_url("s3://some-bucket").is_ok());
}

#[test]
fn unusable_urls_are_refused_with_a_reason() {
    for (url, says) in [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://host/files", "ftp"),
        ("gs://bucket", "gs"),
        ("s3://", "bucket"),
        ("memory://something", "memory://"),
        ("file://", "no directory"),
    ] {
        let err = object_blob_store_from_url(url)
            .err()
            .unwrap_or_else(|| panic!("{url:?} was accepted"));
        assert!(
            format!("{err:#}").contains(says),
            "{url:?}: {err:#} does not mention {says:?}"
        );
    }
}
