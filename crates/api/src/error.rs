//! The one error type of the HTTP layer and its one rendering: an RFC 7807 problem inside
//! the error envelope. Domain errors are mapped here and nowhere else.

use actix_web::{
    error::{PathError, QueryPayloadError},
    http::{header, StatusCode},
    HttpRequest, HttpResponse, ResponseError,
};
use domain::{DomainError, FieldErrors};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    envelope::timestamp_now,
    extractors::{missing_field, unknown_field},
    middleware::rate_limit as rate_limit_headers,
    request_id::RequestId,
};

const PROBLEM_BASE: &str = "https://experience.rpotential.dev/problems/";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The body or query could not be read as the endpoint's type.
    #[error("{0}")]
    Malformed(String),
    #[error("request body is too large")]
    PayloadTooLarge,
    /// The declared `Content-Length` is over the route's limit; refused before reading.
    #[error(
        "the declared body of {declared} bytes is over this endpoint's limit of {limit} bytes"
    )]
    DeclaredTooLarge { declared: u64, limit: u64 },
    /// The request body stopped arriving; the connection is closed.
    #[error("no bytes of the request body arrived for {0} s; send the request again")]
    BodyStalled(u64),
    /// This client IP has too many connections open; the connection is closed.
    #[error("too many connections from your address (at most {0}); retry after closing some")]
    TooManyConnections(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("no such route")]
    RouteNotFound,
    /// A known path asked with a method it does not answer; the methods it does.
    #[error("this path answers {0}")]
    MethodNotAllowed(String),
    /// A browser without credentials, sent to the login page instead of a 401.
    #[error("sign-in required")]
    LoginRedirect(String),
}

/// Problem details (RFC 7807) as they appear in the error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URL ending in a stable slug per kind, e.g. `.../problems/validation-error`.
    #[schema(example = "https://experience.rpotential.dev/problems/validation-error")]
    pub r#type: String,
    #[schema(example = "Validation Error")]
    pub title: &'static str,
    #[schema(example = 400)]
    pub status: u16,
    /// Human readable; never internals.
    pub detail: String,
    /// Only for validation errors: messages per offending field path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, Vec<String>>>)]
    pub errors: Option<FieldErrors>,
    pub timestamp: String,
    /// The request's correlation id (`X-Request-Id`).
    pub trace_id: String,
}

/// The error envelope: `success` is always false.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemEnvelope {
    #[schema(example = false)]
    pub success: bool,
    pub error: Problem,
}

/// The kinds of problem, each with its status, slug and title.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyConnections,
    RateLimited,
    InsufficientStorage,
    Internal,
}

impl Kind {
    fn parts(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Validation => (
                StatusCode::BAD_REQUEST,
                "validation-error",
                "Validation Error",
            ),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not Found"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method Not Allowed",
            ),
            Self::Conflict => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition Failed",
            ),
            Self::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request Timeout",
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload Too Large",
            ),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported Media Type",
            ),
            Self::TooManyConnections => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-connections",
                "Too Many Connections",
            ),
            Self::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too Many Requests",
            ),
            Self::InsufficientStorage => (
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient-storage",
                "Insufficient Storage",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal Server Error",
            ),
        }
    }
}

impl ApiError {
    fn kind(&self) -> Kind {
        match self {
            Self::Domain(err) => match err {
                DomainError::Validation(_) => Kind::Validation,
                DomainError::Unauthorized(_) => Kind::Unauthorized,
                DomainError::Forbidden(_) => Kind::Forbidden,
                DomainError::NotFound(_) => Kind::NotFound,
                DomainError::Conflict(_) => Kind::Conflict,
                DomainError::PreconditionFailed => Kind::PreconditionFailed,
                DomainError::TooLarge(_) => Kind::PayloadTooLarge,
                DomainError::StorageFull => Kind::InsufficientStorage,
                DomainError::RateLimited(_) => Kind::RateLimited,
                DomainError::Unexpected(_) => Kind::Internal,
            },
            Self::Malformed(_) => Kind::Validation,
            Self::PayloadTooLarge | Self::DeclaredTooLarge { .. } => Kind::PayloadTooLarge,
            Self::BodyStalled(_) => Kind::RequestTimeout,
            Self::TooManyConnections(_) => Kind::TooManyConnections,
            Self::UnsupportedMediaType(_) => Kind::UnsupportedMediaType,
            Self::RouteNotFound | Self::LoginRedirect(_) => Kind::NotFound,
            Self::MethodNotAllowed(_) => Kind::MethodNotAllowed,
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Domain(DomainError::Validation(errors)) => {
                let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
                format!("invalid value for: {}", fields.join(", "))
            }
            Self::Domain(DomainError::Unexpected(_)) => {
                "something went wrong on our side; quote the trace_id when reporting it".into()
            }
            Self::Domain(DomainError::StorageFull) => {
                "the server's storage is full; nothing of this request was saved, so the same \
                 request can be retried once space is freed"
                    .into()
            }
            other => other.to_string(),
        }
    }

    fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            Self::Domain(DomainError::Validation(errors)) => Some(errors.clone()),
            _ => None,
        }
    }

    /// An error actix produced itself (not through our handlers), by its status.
    pub fn from_framework(status: StatusCode, message: String) -> Self {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(message),
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => Self::RouteNotFound,
            s if s.is_client_error() => Self::Malformed(message),
            _ => Self::Domain(DomainError::Unexpected(anyhow::anyhow!(message))),
        }
    }

    /// A problem response for this error, outside of actix's error path.
    pub fn to_problem(&self) -> HttpResponse {
        let (status, slug, title) = self.kind().parts();
        let trace_id = RequestId::current().unwrap_or_default();
        if status.is_server_error() {
            tracing::error!(trace_id = %trace_id, error = ?anyhow_chain(self), "request failed");
        }
        let body = ProblemEnvelope {
            success: false,
            error: Problem {
                r#type: format!("{PROBLEM_BASE}{slug}"),
                title,
                status: status.as_u16(),
                detail: self.detail(),
                errors: self.field_errors(),
                timestamp: timestamp_now(),
                trace_id,
            },
        };
        let mut response = HttpResponse::build(status);
        match self {
            Self::Domain(DomainError::RateLimited(limited)) => {
                rate_limit_headers::refused(&mut response, limited);
            }
            Self::MethodNotAllowed(allowed) => {
                response.insert_header((header::ALLOW, allowed.as_str()));
            }
            _ => {}
        }
        response.content_type("application/problem+json").json(body)
    }
}

/// The whole cause chain, for the log only.
fn anyhow_chain(err: &ApiError) -> String {
    match err {
        ApiError::Domain(DomainError::Unexpected(inner)) => format!("{inner:#}"),
        other => other.to_string(),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRedirect(_) => StatusCode::FOUND,
            other => other.kind().parts().0,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LoginRedirect(location) => HttpResponse::Found()
                .insert_header((header::LOCATION, location.as_str()))
                .finish(),
            other => other.to_problem(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// actix's query-string extractor errors, in our shape: a missing or unknown parameter is
/// named under `errors`.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = match &err {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    let error = if let Some(name) = missing_field(&message) {
        DomainError::invalid(name, "is required").into()
    } else if let Some(name) = unknown_field(&message) {
        DomainError::invalid(name, "is not a parameter of this endpoint").into()
    } else {
        ApiError::Malformed(format!("the query string could not be read: {message}"))
    };
    error.into()
}

/// actix's path extractor errors, in our shape.
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::RouteNotFound.into()
}
