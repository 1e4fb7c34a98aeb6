//! Share links: a secret URL that shows one thread, read-only, to anybody who holds it,
//! optionally behind a password, a view limit and an expiry. The thread's owner (and an
//! ADMIN) make and revoke them; readers need no account.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
