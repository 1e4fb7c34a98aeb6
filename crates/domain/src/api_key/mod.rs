//! API keys: long-lived credentials for agent services and scripts. A key acts as its
//! owner, limited to its scopes; the scopes travel on the [`crate::auth::Principal`] and
//! are checked by [`crate::auth::Principal::require_scope`], the one place that decides.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
