//! `Idempotency-Key`: a retried create returns the original response instead of creating
//! twice. Keys are scoped to the caller; a key is remembered for 24 hours.

mod model;
mod ports;
mod service;

pub use model::*;
pub use ports::*;
pub use service::*;
