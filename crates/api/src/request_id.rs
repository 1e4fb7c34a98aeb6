//! The correlation id of a request: taken from a valid client `X-Request-Id` or generated,
//! echoed in the response header, put on the tracing span and into every envelope.
//!
//! The id lives in a task-local for the duration of the request, so that the envelope and
//! problem renderers (which actix calls without the request) can still name it.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    Error, HttpMessage,
};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The correlation id, also stored in the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// Reuses a client's id when it is 1–128 visible ASCII characters.
    fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
            .map(|v| Self(v.to_owned()))
            .unwrap_or_else(|| Self(uuid::Uuid::now_v7().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the request being handled on this task, if any.
    pub fn current() -> Option<String> {
        CURRENT.try_with(|id| id.0.clone()).ok()
    }
}

/// Middleware (`from_fn`, outermost): assigns the id, scopes it over the rest of the
/// chain and sets the header.
pub async fn assign_request_id<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let id = RequestId::from_header(req.headers().get(&X_REQUEST_ID));
    req.extensions_mut().insert(id.clone());
    let header = HeaderValue::from_str(id.as_str()).ok();
    // Handlers', extractors' and actix's own errors are rendered inside this scope, so
    // problems name the request id. (An `Err` here comes only from a middleware and
    // passes through.)
    let mut response = CURRENT.scope(id, next.call(req)).await?;
    if let Some(header) = header {
        response.headers_mut().insert(X_REQUEST_ID.clone(), header);
    }
    Ok(response)
}
