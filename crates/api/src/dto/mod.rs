//! Request and response bodies. HTTP types are not domain types: requests convert into
//! domain values (whose constructors hold the rules), domain values render into responses.

/// An enum of the wire that mirrors a domain enum variant for variant, converting both
/// ways. The attributes (docs, `serde` renames, `schema(as = …)`) are the wire's.
macro_rules! mirrored_enum {
    (
        $(#[$attr:meta])*
        pub enum $dto:ident mirrors $domain:ident { $($variant:ident),+ $(,)? }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $(#[$attr])*
        pub enum $dto {
            $($variant),+
        }

        impl From<$domain> for $dto {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => Self::$variant),+
                }
            }
        }

        impl From<$dto> for $domain {
            fn from(value: $dto) -> Self {
                match value {
                    $($dto::$variant => Self::$variant),+
                }
            }
        }
    };
}

/// The query string of a list: its own filters, then `limit` and `cursor`, read together
/// by `page()`. Every list pages the same way because this is the one place that says how.
macro_rules! list_query {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $($(#[$field_attr:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams, garde::Validate)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$field_attr])* pub $field: $ty,)*
            /// 1 to 100; 20 when absent.
            #[garde(skip)]
            #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
            pub limit: Option<String>,
            /// `next_cursor` of the previous page.
            #[garde(length(max = 1024))]
            #[param(pattern = "^[A-Za-z0-9_-]{1,1024}$")]
            pub cursor: Option<String>,
        }

        impl $name {
            /// The page asked for by `limit` and `cursor`.
            pub fn page(&self) -> Result<domain::pagination::PageRequest, domain::DomainError> {
                domain::pagination::PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref())
            }
        }
    };
}

/// A change request: every field is `Option<Option<T>>`, absent (stays as it is), `null`
/// or a value, as `double_option` reads it; unknown fields are refused.
macro_rules! change_request {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $($(#[$field_attr:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$field_attr])*
                #[serde(default, deserialize_with = "crate::dto::double_option")]
                pub $field: $ty,
            )*
        }
    };
}

pub mod api_key;
pub mod audit;
pub mod auth;
pub mod file;
pub mod message;
pub mod meta;
pub mod reaction;
pub mod search;
pub mod share_link;
pub mod thread;
pub mod user;

use chrono::SecondsFormat;
use domain::{error::Validator, time::Timestamp, DomainError, FieldErrors};

use crate::error::ApiError;

/// The `Idempotency-Key` header of create endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// 1–255 visible ASCII characters. The same key with the same body within 24 h returns
    /// the original response (with `Idempotent-Replayed: true`) without creating anything;
    /// with a different body it is 409.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,255}$")]
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

list_query! {
    /// `limit` and `cursor`, for lists with no filters of their own.
    pub struct PageQuery {}
}

/// A field of a change request that may be absent (no change) but not `null`, parsed
/// when present (`Ok` takes the value as it is).
pub fn changed<T, U>(
    field: Option<Option<T>>,
    parse: impl FnOnce(T) -> Result<U, DomainError>,
) -> Result<Option<U>, DomainError> {
    field.map(not_null).transpose()?.map(parse).transpose()
}

/// `Validator::check` of a field that may be absent: its value, or `None` when it is
/// absent or invalid (the error is recorded under `field`).
pub trait CheckOptional {
    fn optional<T>(&mut self, field: &str, result: Result<Option<T>, DomainError>) -> Option<T>;

    /// `raw` parsed when present.
    fn parsed<R, T>(
        &mut self,
        field: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, DomainError>,
    ) -> Option<T> {
        self.optional(field, raw.map(parse).transpose())
    }
}

impl CheckOptional for Validator {
    fn optional<T>(&mut self, field: &str, result: Result<Option<T>, DomainError>) -> Option<T> {
        self.check(field, result).flatten()
    }
}
