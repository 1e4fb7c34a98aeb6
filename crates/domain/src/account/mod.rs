//! Account data: everything the server holds about a user, exported as one archive, and
//! the erasure of an account (one way to delete a user, for themselves and for ADMINs).

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::*;
pub use ports::*;
pub use service::*;
