use serde::Serialize;
use utoipa::ToSchema;

/// Ordered from best to worst, so the overall status is the maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    pub status: HealthStatus,
    pub latency_ms: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthChecks {
    pub database: CheckResult,
    /// Where file bytes are kept (`FILE_STORAGE_URL`).
    pub storage: CheckResult,
}

/// The service's health; 503 when unhealthy.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: HealthStatus,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    pub uptime_s: u64,
    pub checks: HealthChecks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiLinks {
    #[schema(example = "/docs")]
    pub docs: &'static str,
    #[schema(example = "/api/v1/openapi.json")]
    pub openapi: &'static str,
    #[schema(example = "/api/v1/health")]
    pub health: &'static str,
}

/// What this API is and where its documentation lives.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiIndex {
    #[schema(example = "Experience Layer")]
    pub name: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    pub links: ApiLinks,
    /// The caller's user id when the request carried valid credentials.
    pub authenticated_as: Option<String>,
}
