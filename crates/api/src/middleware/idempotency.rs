//! `Idempotency-Key` on create endpoints (`#[post(..., wrap = "from_fn(idempotency)")]`).
//!
//! The rules (scope, 24 h window, same key with another body is 409) are the domain's
//! `IdempotencyService`; this adapts them to HTTP: it hashes the request, replays a stored
//! response, or lets the handler run and stores its successful response.

use actix_web::{
    body::{self, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    web::Bytes,
    Error, HttpMessage, HttpResponse,
};
use domain::{
    idempotency::{Claim, IdempotencyKey, IdempotencyScope, StoredResponse},
    DomainError,
};
use sha2::{Digest, Sha256};

use crate::{
    error::ApiError,
    extractors::auth::{app_state, caller},
};

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(raw_key) = req.headers().get("idempotency-key").cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match raw_key.to_str().map(IdempotencyKey::parse) {
        Ok(Ok(key)) => key,
        Ok(Err(err)) => return Ok(req.error_response(ApiError::from(err))),
        Err(_) => {
            let err = DomainError::invalid("Idempotency-Key", "must be visible ASCII");
            return Ok(req.error_response(ApiError::from(err)));
        }
    };
    let state = app_state(req.request())?;
    let scope = match caller(req.request(), &state).await {
        Some(Ok(principal)) => {
            let scope = IdempotencyScope::user(&principal.user.id);
            // The handler's `Authenticated` takes it from here instead of verifying again.
            req.extensions_mut().insert(principal);
            scope
        }
        // No or bad credentials: the handler answers that; nothing is claimed.
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let body = match req.extract::<Bytes>().await {
        Ok(body) => body,
        Err(err) => {
            let status = err.as_response_error().status_code();
            let err = ApiError::from_framework(status, "the request body could not be read".into());
            return Ok(req.error_response(err));
        }
    };
    let hash = request_hash(&req, &body);
    req.set_payload(bytes_payload(body));

    let service = &state.idempotency;
    match service.claim(&scope, &key, &hash).await {
        Err(err) => return Ok(req.error_response(ApiError::from(err))),
        Ok(Claim::Replay(stored)) => return Ok(req.into_response(replay(&stored))),
        Ok(Claim::Fresh) => {}
    }

    let response = match next.call(req).await {
        Ok(response) => response,
        Err(err) => {
            release(&state, &scope, &key).await;
            return Err(err);
        }
    };
    let status = response.status();
    if !status.is_success() {
        release(&state, &scope, &key).await;
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (head, body) = response.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let stored = StoredResponse {
        status: status.as_u16(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        location,
    };
    if let Err(err) = service.complete(&scope, &key, &stored).await {
        tracing::error!(error = %err, "could not store an idempotent response");
        release(&state, &scope, &key).await;
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(BoxBody::new(bytes)),
    ))
}

/// Method, path, query and body: what makes two requests "the same request".
fn request_hash(req: &ServiceRequest, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(req.uri().to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response
        .content_type("application/json")
        .insert_header(("idempotent-replayed", "true"));
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.body(stored.body.clone())
}

async fn release(state: &crate::state::AppState, scope: &IdempotencyScope, key: &IdempotencyKey) {
    if let Err(err) = state.idempotency.release(scope, key).await {
        tracing::error!(error = %err, "could not release an idempotency key");
    }
}

fn bytes_payload(bytes: Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(bytes);
    payload.into()
}
