//! The storage adapters against real backends: `ObjectBlobStore` on a temporary directory
//! and in memory (and, with `--include-ignored` and `TEST_S3_URL`, on an S3-compatible
//! server), held to the contract of `domain::file::BlobStore`; `ImagePreviewRenderer`
//! on images made here, including hostile ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blob_store;
mod from_url;
mod preview;
