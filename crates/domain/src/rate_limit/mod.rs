//! Rate limits: how many requests one key (a caller, a client address, an email being
//! signed in to) may make in a period, the port that counts them, and the service that
//! holds the quotas. The algorithm (GCRA) is the adapters' well-kept libraries'.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
