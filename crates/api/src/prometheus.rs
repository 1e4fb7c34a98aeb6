//! `GET /metrics` in Prometheus text. Middleware, handlers and adapters record through the
//! `metrics` facade (`metrics::counter!`, `histogram!`); this module installs the one
//! recorder of the process and renders it, with the gauges that are read when scraped.
//!
//! What is recorded, and where:
//! - `http_requests_total{method, route, status}` and `http_request_duration_seconds{method,
//!   route}`: `middleware::request_metrics`; `route` is the template (`/api/v1/threads/{id}`).
//! - `db_pool_connections{pool, state}`: here, at scrape time.
//! - `group_commit_batch_size`: the message writer (`infrastructure`, `group_commit.rs`).
//! - `cache_lookups_total{cache, outcome}`: the read caches (`infrastructure`, `cache/`).
//! - `uploads_total`, `upload_bytes_total`: `extractors::multipart_upload`.

use std::sync::OnceLock;

use infrastructure::database::{pool_use, Pools};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How often histogram samples are folded into buckets (the exporter's own default).
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// Messages per group commit; the writer takes at most 256 at once.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Installs the recorder of this process (once: tests start several apps in one process,
/// which share it, so their figures add up). Until then, what is recorded is dropped.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("group_commit_batch_size".into()),
                        BATCH_BUCKETS,
                    )
                })
                // Only an empty bucket list fails, and these are constants.
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was installed already; /metrics stays empty");
            }
            keep_up(handle.clone());
            handle
        })
        .clone()
}

/// Histogram samples wait in a queue until upkeep folds them into their buckets; without
/// it, a server nobody scrapes would keep every request's sample. `build_recorder` leaves
/// upkeep to its caller: one thread, every few seconds, for the life of the process.
fn keep_up(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_INTERVAL);
            handle.run_upkeep();
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "no metrics upkeep thread; histograms fold at each scrape");
    }
}

/// The exposition text, with the database pools' use as of now.
pub fn render(db: &Pools) -> String {
    for (pool, connection) in [("read", &db.read), ("write", &db.write)] {
        if let Some((open, idle)) = pool_use(connection) {
            metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "open")
                .set(f64::from(open));
            metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "idle")
                .set(idle as f64);
        }
    }
    install().render()
}
