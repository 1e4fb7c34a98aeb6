//! Threads: conversations with metadata, working memory and members with roles.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::ThreadService;
