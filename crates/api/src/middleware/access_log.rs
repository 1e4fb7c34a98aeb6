//! One `request handled` line per request: its id, method, path, status and latency.

use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error, HttpMessage,
};

use crate::request_id::RequestId;

/// Middleware (`from_fn`): logs each answered request. Wrapped inside the request id
/// middleware, which has put the id in the request's extensions, and outside the root
/// tracing span, so the line stands on its own. An `Err` (which only a middleware
/// produces) passes through unlogged.
pub async fn log_access<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    let response = next.call(req).await?;
    tracing::info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request handled"
    );
    Ok(response)
}
