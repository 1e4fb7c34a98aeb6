//! Rate limits on every route but the health checks, metrics and the API's documents: an
//! authenticated caller is counted per caller, anybody else per client address
//! (`extractors::client_ip`). Sign-in attempts are limited on top, per address and per
//! email, by the domain (`AuthService::login`).
//!
//! Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds),
//! the names of the IETF draft "RateLimit header fields for HTTP"; a refusal is a 429
//! `rate-limited` problem with `Retry-After`, rendered by `error.rs` like every problem.
//! A refused request never reaches its handler, so it changes nothing.

use std::time::Duration;

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    Error, HttpMessage, HttpResponseBuilder,
};
use domain::rate_limit::{RateLimited, Requester, Standing};

use crate::{
    error::ApiError,
    extractors::{auth::app_state, auth::caller, client_ip},
};

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Routes that load balancers, scrapers and tooling poll: never limited.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/api/v1/health" | "/metrics" | "/api/v1/openapi.json"
    ) || path.starts_with("/docs")
}

/// Middleware (`from_fn`): counts the request against its caller or its address, and
/// refuses it with 429 when that is over its quota.
pub async fn limit_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = app_state(req.request())?;
    if !state.rate_limits.limits_requests() || exempt(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let verdict = match caller(req.request(), &state).await {
        Some(Ok(principal)) => {
            tracing::Span::current().record("user_id", principal.user.id.as_str());
            // A key has its own quota, apart from its owner's other keys and sign-ins.
            let id = match &principal.api_key {
                Some(grant) => grant.id.to_string(),
                None => principal.user.id.to_string(),
            };
            // The handler's `Authenticated` takes it from here instead of verifying again.
            req.extensions_mut().insert(principal);
            state
                .rate_limits
                .admit_request(Requester::Caller(&id))
                .await
        }
        // No or bad credentials: counted by address; the handler answers the rest.
        _ => match client_ip(req.request()) {
            Some(ip) => {
                state
                    .rate_limits
                    .admit_request(Requester::Anonymous(ip))
                    .await
            }
            None => Ok(None),
        },
    };
    let standing = match verdict {
        Ok(standing) => standing,
        Err(err) => return Ok(req.error_response(ApiError::from(err))),
    };
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(standing) = standing {
        allowed(response.headers_mut(), &standing);
    }
    Ok(response)
}

/// The standing of the key a request was counted against, unless the answer already
/// carries a tighter one (a refused sign-in).
fn allowed(headers: &mut HeaderMap, standing: &Standing) {
    if headers.contains_key(RATELIMIT_REMAINING) {
        return;
    }
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(standing.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(standing.remaining));
    headers.insert(
        RATELIMIT_RESET,
        HeaderValue::from(seconds(standing.reset_after)),
    );
}

/// The headers of a 429: when to retry, and the quota that refused.
pub fn refused(response: &mut HttpResponseBuilder, limited: &RateLimited) {
    response
        .insert_header((header::RETRY_AFTER, seconds(limited.retry_after)))
        .insert_header((RATELIMIT_LIMIT, limited.limit))
        .insert_header((RATELIMIT_REMAINING, 0_u32))
        .insert_header((RATELIMIT_RESET, seconds(limited.reset_after)));
}

/// Whole seconds, rounded up: a client that waits this long is not refused again for
/// having come a fraction early. At least 1.
fn seconds(duration: Duration) -> u64 {
    duration.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(seconds(Duration::from_millis(1)), 1);
        assert_eq!(seconds(Duration::from_millis(12_001)), 13);
        assert_eq!(seconds(Duration::from_secs(60)), 60);
        assert_eq!(seconds(Duration::ZERO), 1);
    }

    #[test]
    fn health_checks_and_documents_are_not_limited() {
        for path in [
            "/health",
            "/api/v1/health",
            "/metrics",
            "/api/v1/openapi.json",
            "/docs/",
        ] {
            assert!(exempt(path), "{path}");
        }
        for path in ["/api/v1/auth/login", "/api/v1/users/me", "/api/v1/nowhere"] {
            assert!(!exempt(path), "{path}");
        }
    }
}
