//! Messages in a thread: markdown content, Block Kit blocks, edits with history.

mod blocks;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use blocks::Blocks;
pub use model::*;
pub use ports::*;
pub use service::MessageService;
