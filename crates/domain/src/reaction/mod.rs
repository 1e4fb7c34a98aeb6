//! Reactions: one per user, message and emoji; at most 50 distinct emoji per message.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::ReactionService;
