//! Request extractors: who is calling, from where, and with which preconditions.

pub mod auth;
mod client_info;
mod precondition;

pub use auth::{Authenticated, MaybeAuthenticated};
pub use client_info::Client;
pub use precondition::IfMatch;
