//! Full-text search over the messages of the threads a caller can read.

mod model;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::SearchService;
