//! Where file bytes live: the domain's [`BlobStore`] over `object_store` (a local
//! directory, memory or S3) and its [`PreviewRenderer`](domain::file::PreviewRenderer)
//! over the `image` crate.
//!
//! The backend comes from a URL (see [`blob_store_from_url`]):
//!
//! | URL | Store |
//! | --- | --- |
//! | `./data/files`, `/var/lib/app/files`, `file:///var/lib/app/files` | a local directory, created if missing |
//! | `memory://` | memory, lost on exit (tests, demos) |
//! | `s3://bucket` or `s3://bucket/some/prefix` | an S3 bucket, every key under the prefix |
//!
//! S3 settings come from the environment, read by `object_store`'s
//! `AmazonS3Builder::from_env`: every `AWS_*` variable it knows, notably
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
//! `AWS_DEFAULT_REGION`), `AWS_ENDPOINT` or `AWS_ENDPOINT_URL` for an S3-compatible server
//! such as MinIO (`AWS_ENDPOINT_URL_S3` wins over both), `AWS_ALLOW_HTTP=true` for an
//! endpoint on plain `http://`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, and the web-identity
//! and container credential variables (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`,
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, ...). Without keys it falls back to the
//! instance metadata service. It does not read `~/.aws` files or `AWS_PROFILE`. The bucket
//! should have a lifecycle rule that aborts incomplete multipart uploads, for uploads
//! whose process died; the sweep cannot see those.

mod blob_store;
mod partial_upload;
mod preview;

use std::sync::Arc;

use anyhow::Context as _;
use domain::file::BlobStore;
use object_store::{aws::AmazonS3Builder, path::Path, prefix::PrefixStore, ObjectStore};

pub use blob_store::{
    ObjectBlobStore, FINISHED_UPLOAD_HOLD, LOCAL_PART_SIZE, MAX_PARTS_IN_FLIGHT, S3_PART_SIZE,
};
pub use preview::{
    ImagePreviewRenderer, DEFAULT_CONCURRENT_RENDERS, DEFAULT_MAX_PIXELS, MAX_DECODER_ALLOC,
};

/// The blob store a storage URL names, behind the port.
pub fn blob_store_from_url(url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(Arc::new(object_blob_store_from_url(url)?))
}

/// The blob store a storage URL names, with its inherent methods
/// ([`ObjectBlobStore::check`]) still reachable.
///
/// A plain path or a `file://` URL is a local directory (the rest of a `file://` URL is
/// taken as a path as written, so `file://./data/files` is relative and no
/// percent-decoding happens); `memory://` is memory; `s3://bucket/prefix` is S3 (see the
/// module documentation). Anything else with a `scheme://` is refused.
pub fn object_blob_store_from_url(url: &str) -> anyhow::Result<ObjectBlobStore> {
    let url = url.trim();
    anyhow::ensure!(!url.is_empty(), "the storage URL is empty");
    if let Some(rest) = url.strip_prefix("memory://") {
        anyhow::ensure!(
            rest.is_empty(),
            "memory:// takes nothing after it, found {rest:?}"
        );
        return Ok(ObjectBlobStore::in_memory());
    }
    if url.starts_with("s3://") {
        return s3(url);
    }
    if let Some(path) = url.strip_prefix("file://") {
        anyhow::ensure!(!path.is_empty(), "{url:?} names no directory");
        return ObjectBlobStore::local(path);
    }
    if let Some((scheme, _)) = url.split_once("://") {
        anyhow::bail!(
            "unsupported storage URL scheme {scheme:?}: use a path, file://, memory:// or s3://"
        );
    }
    ObjectBlobStore::local(url)
}

fn s3(raw: &str) -> anyhow::Result<ObjectBlobStore> {
    let parsed = url::Url::parse(raw).with_context(|| format!("{raw:?} is not a valid URL"))?;
    anyhow::ensure!(
        parsed.host_str().is_some_and(|bucket| !bucket.is_empty()),
        "{raw:?} names no bucket: use s3://bucket or s3://bucket/prefix"
    );
    let bucket = AmazonS3Builder::from_env()
        .with_url(raw)
        .build()
        .with_context(|| format!("could not configure S3 for {raw:?}"))?;
    let prefix = parsed.path().trim_matches('/');
    let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
        Arc::new(bucket)
    } else {
        let prefix =
            Path::parse(prefix).with_context(|| format!("{prefix:?} is not a valid key prefix"))?;
        Arc::new(PrefixStore::new(bucket, prefix))
    };
    Ok(ObjectBlobStore::new(store, S3_PART_SIZE))
}
