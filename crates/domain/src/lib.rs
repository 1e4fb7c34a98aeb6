//! The heart of Experience Layer: entities, the rules that govern them and the ports
//! (repository and gateway traits) that adapters implement.
//!
//! This crate knows nothing of HTTP, SQL or token formats. Services in here decide who may
//! do what; the `api` crate only parses, calls one service method and renders.

pub mod access;
pub mod account;
pub mod api_key;
pub mod audit;
pub mod auth;
pub mod error;
pub mod event;
pub mod file;
pub mod id;
pub mod idempotency;
pub mod json_object;
pub mod message;
pub mod pagination;
pub mod precondition;
pub mod rate_limit;
pub mod reaction;
pub mod search;
pub mod share_link;
#[cfg(test)]
pub(crate) mod test_fixtures;
pub mod text;
pub mod thread;
pub mod time;
pub mod user;
pub mod weight;

pub use error::{DomainError, DomainResult, FieldErrors};
