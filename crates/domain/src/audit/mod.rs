//! The audit log: a tamper-evident record of security-relevant actions (sign-ins,
//! role and status changes, deletions, key and member changes), each written in the
//! same transaction as the action it records, chained by SHA-256 so that a changed,
//! deleted or reordered entry is found by [`ChainVerifier`].

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
