//! Request extractors: who is calling, from where, and with which preconditions.

pub mod auth;
mod client_info;
mod json_body;
mod precondition;

pub use auth::{Authenticated, MaybeAuthenticated};
pub use client_info::Client;
pub use json_body::{parse as parse_json, require_json, JsonBody};
pub use precondition::{IfMatch, IfNoneMatch};
