//! How the server listens and what it accepts: address, workers, CORS, body and memory
//! limits, connection deadlines, who may read `/metrics`.

use std::{net::SocketAddr, time::Duration};

use secrecy::SecretString;

use super::reader::Reader;

#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub bind_addr: SocketAddr,
    /// actix workers; the number of cores when unset.
    pub workers: Option<usize>,
    pub cors_origins: Vec<String>,
    pub hsts: bool,
    /// The most a JSON body may hold.
    pub json_body_limit: usize,
    /// Memory that the list responses being built at one time may hold between them.
    pub response_memory_budget: usize,
    /// How long an `Idempotency-Key` claim may go without committing before a retry takes
    /// it over; longer than any request may run.
    pub idempotency_lease: Duration,
    pub connections: ConnectionSettings,
    /// When set, `GET /metrics` needs `Authorization: Bearer <this>`.
    pub metrics_token: Option<SecretString>,
}

/// Deadlines and limits that keep stalled or idle clients from holding the server.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// A client must send its request headers within this (actix answers 408 and closes).
    pub request_header_timeout: Duration,
    /// A request body that sends nothing for this long is given up (408, closed); uploads
    /// use `FileSettings::upload_idle_timeout` instead.
    pub request_body_idle_timeout: Duration,
    /// Open connections across all workers; more wait in the listen backlog.
    pub max_connections: usize,
    /// Open connections from one client IP; zero turns the limit off.
    pub max_connections_per_ip: usize,
}

pub(super) fn read(r: &mut Reader<'_>) -> HttpSettings {
    HttpSettings {
        bind_addr: r.parse("BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080))),
        workers: r.optional("WORKERS").map(|_| r.positive("WORKERS", 1)),
        cors_origins: cors_origins(r),
        hsts: r.flag("HSTS", false),
        json_body_limit: r.parse("JSON_BODY_LIMIT_BYTES", 1024 * 1024),
        response_memory_budget: r
            .parse::<usize>("RESPONSE_MEMORY_BUDGET_MIB", 128)
            .saturating_mul(1024 * 1024),
        idempotency_lease: r.seconds("IDEMPOTENCY_LEASE_SECONDS", 60, 1..=3_600),
        connections: ConnectionSettings {
            request_header_timeout: r.seconds("REQUEST_HEADER_TIMEOUT_SECONDS", 10, 1..=300),
            request_body_idle_timeout: r.seconds(
                "REQUEST_BODY_IDLE_TIMEOUT_SECONDS",
                30,
                1..=3_600,
            ),
            max_connections: r.positive("MAX_CONNECTIONS", 10_000),
            max_connections_per_ip: r.parse("MAX_CONNECTIONS_PER_IP", 256),
        },
        metrics_token: r
            .optional("METRICS_TOKEN")
            .filter(|token| !token.is_empty())
            .map(SecretString::from),
    }
}

/// Origins like `https://app.example.com`: a scheme and a host, no path.
fn cors_origins(r: &mut Reader<'_>) -> Vec<String> {
    let origins = r.list("CORS_ORIGINS", "");
    for origin in &origins {
        let valid = url::Url::parse(origin).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.has_host()
                && u.path() == "/"
                && !origin.ends_with('/')
        });
        if !valid {
            r.fail(
                "CORS_ORIGINS",
                format!("{origin:?} is not an origin like https://app.example.com"),
            );
        }
    }
    origins
}
