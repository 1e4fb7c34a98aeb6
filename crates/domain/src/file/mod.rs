//! Files: uploads kept once per SHA-256, links to external files, previews.

mod byte_range;
mod drafts;
mod external_url;
mod file_name;
mod filter;
mod media_type;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;
mod sha256_digest;

pub use byte_range::ByteRange;
pub use drafts::{ExternalDraft, ExternalFields, UploadDraft, UploadFields};
pub use external_url::ExternalUrl;
pub use file_name::FileName;
pub use filter::{ContentTypeFilter, FileFilter};
pub use media_type::MediaType;
pub use model::*;
pub use ports::*;
pub use service::*;
pub use sha256_digest::Sha256Digest;
