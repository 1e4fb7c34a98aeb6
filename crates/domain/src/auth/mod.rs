//! Authentication: local accounts, sessions with rotating refresh tokens, and the
//! verification of access tokens into a [`Principal`].

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
