//! Middleware that applies across routes.

pub(crate) mod idempotency;
mod security_headers;

pub use idempotency::idempotency;
pub use security_headers::security_headers;
