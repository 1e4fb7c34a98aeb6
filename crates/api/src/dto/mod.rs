//! Request and response bodies. HTTP types are not domain types: requests convert into
//! domain values (whose constructors hold the rules), domain values render into responses.

pub mod auth;
pub mod file;
pub mod message;
pub mod meta;
pub mod reaction;
pub mod search;
pub mod thread;
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

/// A field that may be absent but not `null`.
pub fn not_null<T>(value: Option<T>) -> Result<T, DomainError> {
    value.ok_or_else(|| DomainError::invalid("", "must not be null"))
}

/// A boolean query parameter: `true` or `false`.
pub fn parse_bool(raw: &str) -> Result<bool, DomainError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(DomainError::invalid("", "must be true or false")),
    }
}

/// `limit` and `cursor`, for lists with no filters of their own.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams, garde::Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100; 20 when absent.
    #[garde(skip)]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[garde(length(max = 1024))]
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<domain::pagination::PageRequest, DomainError> {
        domain::pagination::PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref())
    }
}
