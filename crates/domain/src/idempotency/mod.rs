//! `Idempotency-Key`: a retried create returns the original response instead of creating
//! twice. Keys are scoped to the caller; a key is remembered for 24 hours.
//!
//! A claim is resolved by what actually happened, even across a crash: the write records
//! a `Receipt` on the claim in its own transaction, so a committed write is never done
//! twice, and a claim without one is taken over once its short lease has run out.

mod context;
mod model;
mod ports;
mod service;

pub use context::*;
pub use model::*;
pub use ports::*;
pub use service::*;
