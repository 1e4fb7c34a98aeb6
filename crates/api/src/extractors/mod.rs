//! Request extractors: who is calling, from where, about which resource (ids in the
//! path), with which preconditions, and the request mechanics handlers share (JSON bodies,
//! multipart uploads, ranges).

pub mod auth;
mod client_info;
mod json_body;
mod multipart_upload;
mod path;
mod precondition;
mod range;

pub use auth::{Authenticated, MaybeAuthenticated};
pub use client_info::{client_ip, Client};
pub use json_body::{missing_field, parse as parse_json, require_json, unknown_field, JsonBody};
pub(crate) use multipart_upload::{read_upload_parts, upload_fingerprint};
pub use path::{MemberPath, PathId, SharePath};
pub use precondition::{IfMatch, IfNoneMatch};
pub(crate) use range::requested_range;
