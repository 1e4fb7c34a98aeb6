//! Request and response bodies. HTTP types are not domain types: requests convert into
//! domain values (whose constructors hold the rules), domain values render into responses.

pub mod auth;
pub mod meta;
pub mod user;

use chrono::SecondsFormat;
use domain::{time::Timestamp, DomainError, FieldErrors};

use crate::error::ApiError;

/// The `Idempotency-Key` header of create endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// 1–255 visible ASCII characters. The same key with the same body within 24 h returns
    /// the original response (with `Idempotent-Replayed: true`) without creating anything;
    /// with a different body it is 409.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: Option<String>,
}

/// RFC 3339, UTC, milliseconds: the contract's one timestamp format.
pub fn rfc3339(ts: Timestamp) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Runs a request type's `garde` rules, reporting every offending field by its path.
pub fn validate<T: garde::Validate<Context = ()>>(value: T) -> Result<T, ApiError> {
    match value.validate() {
        Ok(()) => Ok(value),
        Err(report) => {
            let mut errors = FieldErrors::new();
            for (path, error) in report.iter() {
                errors
                    .entry(path.to_string())
                    .or_default()
                    .push(error.message().to_owned());
            }
            Err(DomainError::Validation(errors).into())
        }
    }
}

/// A JSON field that distinguishes "absent" (outer `None`) from `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
