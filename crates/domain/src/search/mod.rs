//! Full-text search over the messages of the threads a caller can read.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::SearchService;
