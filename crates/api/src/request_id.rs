//! The correlation id of a request: taken from a valid client `X-Request-Id` or generated,
//! echoed in the response header, put on the tracing span and into every envelope.
//!
//! The id lives in a task-local for the duration of the request, so that the envelope and
//! problem renderers (which actix calls without the request) can still name it.

use crate::error::ApiError;
use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
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

/// Errors that actix produced itself (a body over the payload limit, say) get the same
/// problem body as ours. Ours are already `application/problem+json`.
fn in_our_shape<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let Some(message) = response.response().error().map(ToString::to_string) else {
        return response.map_into_boxed_body();
    };
    if !is_error || is_problem {
        return response.map_into_boxed_body();
    }
    let (request, _) = response.into_parts();
    ServiceResponse::new(
        request,
        ApiError::from_framework(status, message).to_problem(),
    )
}

/// Middleware: assigns the id, scopes it over the rest of the chain and sets the header.
pub async fn assign_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = RequestId::from_header(req.headers().get(&X_REQUEST_ID));
    req.extensions_mut().insert(id.clone());
    let header = HeaderValue::from_str(id.as_str()).ok();
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let request_id = id.0.clone();
    // Handlers' and extractors' errors are rendered inside this scope, so problems name
    // the request id. (An `Err` here comes only from a middleware and passes through.)
    let mut response = CURRENT
        .scope(id, async move { next.call(req).await.map(in_our_shape) })
        .await?;
    tracing::info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request handled"
    );
    if let Some(header) = header {
        response.headers_mut().insert(X_REQUEST_ID.clone(), header);
    }
    Ok(response)
}
