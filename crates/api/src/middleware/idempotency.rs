//! `Idempotency-Key` on create endpoints (`#[post(..., wrap = "from_fn(idempotency)")]`).
//!
//! The rules (scope, 24 h window, same key with another body is 409, leases, receipts) are
//! the domain's `IdempotencyService`; this adapts them to HTTP: it hashes the request,
//! replays a stored response (or renders the one a receipt stands for), or lets the handler
//! run within the claim, so that its write records the receipt, and stores its successful
//! response.

use actix_web::{
    body::{self, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    web::Bytes,
    Error, HttpMessage, HttpRequest, HttpResponse,
};
use domain::{
    auth::Principal,
    idempotency::{
        within_claim, Claim, HeldClaim, IdempotencyKey, IdempotencyScope, StoredResponse,
    },
    DomainError,
};
use sha2::{Digest, Sha256};

use super::committed;
use crate::{
    error::ApiError,
    extractors::auth::{app_state, caller},
    state::AppState,
};

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // A multipart upload is too big to buffer for hashing; its handler claims the key
    // once it has streamed the bytes (`claim`, `remember`).
    let multipart = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.type_() == "multipart");
    let key = match key_of(req.request()) {
        Ok(Some(key)) if !multipart => key,
        Ok(_) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Err(err) => return Ok(req.error_response(err)),
    };
    let state = app_state(req.request())?;
    // Verified already by the rate limits (`rate_limit.rs`) when they are on.
    let known = req.extensions().get::<Principal>().cloned();
    let verified = match known {
        Some(principal) => Some(Ok(principal)),
        None => caller(req.request(), &state).await,
    };
    let principal = match verified {
        Some(Ok(principal)) => {
            // The handler's `Authenticated` takes it from here instead of verifying again.
            req.extensions_mut().insert(principal.clone());
            principal
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
    let hash = fingerprint(req.request(), &[&body]);
    req.set_payload(bytes_payload(body));

    let held = match claim(&state, &principal, &key, &hash).await {
        Err(err) => return Ok(req.error_response(err)),
        Ok(Claimed::Answered(response)) => return Ok(req.into_response(response)),
        Ok(Claimed::Held(held)) => held,
    };

    let response = match within_claim(held.clone(), next.call(req)).await {
        Ok(response) => response,
        Err(err) => {
            release(&state, &held).await;
            return Err(err);
        }
    };
    let (request, response) = response.into_parts();
    let response = remember(&state, &held, response).await;
    Ok(ServiceResponse::new(request, response))
}

/// The request's `Idempotency-Key`, if it sent one.
pub(crate) fn key_of(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let raw = raw
        .to_str()
        .map_err(|_| DomainError::invalid("Idempotency-Key", "must be visible ASCII"))?;
    Ok(Some(IdempotencyKey::parse(raw)?))
}

/// Stores a successful response for replay, or releases the key so that the client may
/// retry after a failure (unless the write committed after all: then a retry is answered
/// from its receipt).
pub(crate) async fn remember(
    state: &AppState,
    held: &HeldClaim,
    response: HttpResponse<impl MessageBody + 'static>,
) -> HttpResponse {
    let status = response.status();
    if !status.is_success() {
        release(state, held).await;
        return response.map_into_boxed_body();
    }
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
    if let Err(err) = state.idempotency.complete(held, &stored).await {
        // The write committed with its receipt: a retry is answered from that.
        tracing::error!(error = %err, "could not store an idempotent response");
    }
    head.set_body(BoxBody::new(bytes))
}

/// What claiming a key came to.
pub(crate) enum Claimed {
    /// Go ahead, with the writes `within_claim` of this, then `remember` the answer.
    Held(HeldClaim),
    /// Answer with this instead: the key's first request already did the work.
    Answered(HttpResponse),
}

/// Claims `key` for `caller`'s request known by `hash`.
pub(crate) async fn claim(
    state: &AppState,
    caller: &Principal,
    key: &IdempotencyKey,
    hash: &str,
) -> Result<Claimed, ApiError> {
    let scope = IdempotencyScope::user(&caller.user.id);
    Ok(match state.idempotency.claim(&scope, key, hash).await? {
        Claim::Fresh(held) => Claimed::Held(held),
        Claim::Replay(stored) => Claimed::Answered(replay(&stored)),
        Claim::Committed(receipt) => {
            Claimed::Answered(committed::answer(state, caller, &receipt).await?)
        }
    })
}

/// What makes two requests "the same request": method, path and query, then `parts`,
/// separated by newlines (the body, or what a streaming handler knows of it).
pub(crate) fn fingerprint(req: &HttpRequest, parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(req.uri().to_string().as_bytes());
    hasher.update(b"\n");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(part);
    }
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

async fn release(state: &AppState, held: &HeldClaim) {
    if let Err(err) = state.idempotency.release(held).await {
        tracing::error!(error = %err, "could not release an idempotency key");
    }
}

fn bytes_payload(bytes: Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(bytes);
    payload.into()
}
