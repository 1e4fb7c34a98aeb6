//! Middleware that applies across routes.

mod access_log;
mod committed;
pub mod connection_limit;
mod framework_errors;
pub(crate) mod idempotency;
pub mod rate_limit;
pub mod request_body;
mod request_metrics;
mod security_headers;
pub mod write_outcomes;

pub use access_log::log_access;
pub use connection_limit::{refuse_over_limit, PerIpConnections};
pub use framework_errors::reshape_framework_errors;
pub use idempotency::idempotency;
pub use rate_limit::limit_requests;
pub use request_body::{guard_request_body, BodyPolicy};
pub use request_metrics::record_request_metrics;
pub use security_headers::security_headers;
pub use write_outcomes::{watch_write_outcomes, WriteOutcomes};
