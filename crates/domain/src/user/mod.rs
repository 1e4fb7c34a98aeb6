//! Users: who they are, what they may change about themselves, and what only an ADMIN may.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
