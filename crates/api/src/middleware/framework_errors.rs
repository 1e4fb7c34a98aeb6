//! Errors that actix produces itself (a body over the payload limit, an unknown method)
//! get the same problem body as ours, which are already `application/problem+json`.
//!
//! Wrapped inside the request id's scope, so the problem names the request.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    Error,
};

use crate::error::ApiError;

/// Middleware (`from_fn`): renders actix's own error responses as problems. An `Err`
/// (which only a middleware produces) passes through.
pub async fn reshape_framework_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    next.call(req).await.map(in_our_shape)
}

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
