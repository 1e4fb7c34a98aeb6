//! The operator surface: health and the API index.

use std::time::Instant;

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use domain::DomainError;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::{
    dto::meta::{ApiIndex, ApiLinks, CheckResult, HealthChecks, HealthResponse, HealthStatus},
    envelope::{self, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::MaybeAuthenticated,
    state::AppState,
};

/// What both health routes answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documents the responses; `health_report` builds them
enum HealthResponses {
    #[response(status = 200, description = "Healthy or degraded")]
    Up(HealthResponse),
    #[response(status = 503, description = "Unhealthy")]
    Down(HealthResponse),
}

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Above this, a dependency answers but too slowly to call the service healthy.
const SLOW_DEPENDENCY_MS: f64 = 500.0;

/// Liveness and readiness for load balancers; public.
#[utoipa::path(
    tag = "operations",
    responses(HealthResponses),
    security(())
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    health_report(&state).await
}

/// The same report under the API's base path.
#[utoipa::path(
    tag = "operations",
    operation_id = "health_v1",
    responses(HealthResponses),
    security(())
)]
#[get("/health")]
pub async fn health_v1(state: web::Data<AppState>) -> HttpResponse {
    health_report(&state).await
}

/// Prometheus text: requests and latencies by route, database pools, group commits, read
/// caches, uploads. Public unless `METRICS_TOKEN` is set; then only with that bearer token.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The exposition, `text/plain; version=0.0.4`", body = String, content_type = "text/plain"),
        (status = 401, description = "`METRICS_TOKEN` is set and the request does not bear it", body = ProblemEnvelope),
    ),
    security(())
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    if let Some(token) = &state.settings.http.metrics_token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        // Compared as digests, so the time taken says nothing of how much of it matched.
        let digest = |text: &str| Sha256::digest(text.as_bytes());
        if sent.map(digest) != Some(digest(token.expose_secret())) {
            return Err(DomainError::Unauthorized("a metrics token is required").into());
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::prometheus::render(&state.db)))
}

async fn health_report(state: &AppState) -> HttpResponse {
    let mut database = check("database", infrastructure::database::ping(&state.db.read)).await;
    if database.status != HealthStatus::Unhealthy {
        // Reads work; a full disk shows only in a write.
        let write = check(
            "database writes",
            infrastructure::database::probe_write(&state.db.write),
        )
        .await;
        if write.status != HealthStatus::Healthy || state.write_outcomes.refused_for_space() {
            database.status = database.status.max(HealthStatus::Degraded);
        }
    }
    let storage = check("storage", state.storage.check()).await;
    // The service is as healthy as its least healthy dependency.
    let overall = database.status.max(storage.status);
    let mut response = match overall {
        HealthStatus::Unhealthy => HttpResponse::ServiceUnavailable(),
        _ => HttpResponse::Ok(),
    };
    response.json(HealthResponse {
        status: overall,
        version: VERSION,
        uptime_s: state.started_at.elapsed().as_secs(),
        checks: HealthChecks { database, storage },
    })
}

/// Runs one dependency's probe and rates it by outcome and latency.
async fn check(
    name: &str,
    probe: impl std::future::Future<Output = anyhow::Result<()>>,
) -> CheckResult {
    let started = Instant::now();
    let outcome = probe.await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = match outcome {
        Err(err) => {
            tracing::warn!(error = %format!("{err:#}"), "health check: {name} unreachable");
            HealthStatus::Unhealthy
        }
        Ok(()) if latency_ms > SLOW_DEPENDENCY_MS => HealthStatus::Degraded,
        Ok(()) => HealthStatus::Healthy,
    };
    CheckResult {
        status,
        latency_ms: (latency_ms * 1000.0).round() / 1000.0,
    }
}

/// Name, version and where to find the documentation; public.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The API index", body = Envelope<ApiIndex>)),
    security((), ("bearer" = []), ("cookie" = []))
)]
#[get("")]
pub async fn index(caller: MaybeAuthenticated) -> ApiResult<HttpResponse> {
    Ok(envelope::ok(ApiIndex {
        name: "Experience Layer",
        version: VERSION,
        links: ApiLinks {
            docs: "/docs",
            openapi: "/api/v1/openapi.json",
            health: "/api/v1/health",
        },
        authenticated_as: caller.into_principal().map(|p| p.user.id.to_string()),
    }))
}
