//! The composition root: settings in, a bound and running server out. The binary and the
//! tests build the application the same way; tests bind port 0 and ask for the port.

use std::{
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_cors::Cors;
use actix_web::{
    dev::Server,
    http::{header, Method},
    middleware::from_fn,
    web, App, HttpRequest, HttpResponse, HttpServer,
};
use anyhow::Context;
use domain::{
    access::AccessControl,
    api_key::ApiKeyRepository,
    auth::{AuthPolicy, AuthService, SessionRepository},
    file::{FileLimits, FileRepository, FileService},
    idempotency::IdempotencyService,
    message::{MessageRepository, MessageService},
    reaction::{ReactionRepository, ReactionService},
    search::SearchService,
    thread::{ThreadRepository, ThreadService},
    user::{AllowedDomains, UserRepository, UserService},
};
use infrastructure::{
    cache::{
        CachedApiKeyRepository, CachedFileRepository, CachedMessageRepository,
        CachedReactionRepository, CachedSessionRepository, CachedThreadRepository,
        CachedUserRepository, ThreadEpochs,
    },
    database::{self, Backend, Pools},
    password::Argon2Hasher,
    repositories::{
        MessageWriter, SeaFileRepository, SeaIdempotencyStore, SeaMessageRepository,
        SeaReactionRepository, SeaSearchRepository, SeaSessionRepository, SeaThreadRepository,
        SeaUserRepository,
    },
    storage::{self, ImagePreviewRenderer},
    tokens::JwtCodec,
};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    error::{path_error, query_error, ApiError},
    middleware::{
        connection_limit::raise_open_file_limit, guard_request_body, log_access,
        record_request_metrics, refuse_over_limit, reshape_framework_errors, security_headers,
        watch_write_outcomes, BodyPolicy, PerIpConnections,
    },
    openapi,
    page_renders::PageRenders,
    request_id::{assign_request_id, X_REQUEST_ID},
    route_table::RouteTable,
    routes,
    settings::Settings,
    state::AppState,
    telemetry::CorrelatedRootSpan,
};

pub struct Application {
    port: u16,
    backend: Backend,
    server: Server,
}

impl Application {
    /// Connects to the database, applies migrations (unless `AUTO_MIGRATE=false`), wires
    /// the adapters into the services and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        if settings.auto_migrate {
            database::migrate_before_connecting(&settings.database).await?;
        }
        let db = database::connect_pools(&settings.database).await?;
        let backend = Backend::of(&settings.database.url)?;
        let state = compose(db, backend, settings.clone())?;
        if settings.audit.retention_days > 0 {
            tokio::spawn(prune_audit_log(
                state.audit.clone(),
                settings.audit.prune_interval,
            ));
        }
        if !settings.files.sweep_interval.is_zero() {
            tokio::spawn(housekeeping(
                state.files.clone(),
                state.idempotency.clone(),
                settings.files.sweep_interval,
                settings.files.sweep_grace,
            ));
        }
        let listener = TcpListener::bind(settings.http.bind_addr)
            .with_context(|| format!("cannot listen on BIND_ADDR={}", settings.http.bind_addr))?;
        let port = listener.local_addr()?.port();
        check_open_file_limit(&settings);
        let server = serve(listener, state, &settings)?;
        Ok(Self {
            port,
            backend,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs until SIGINT or SIGTERM, then finishes in-flight requests (30 s at most).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Builds every adapter and service once, and starts the group-commit writer of new
/// messages on the current Tokio runtime.
fn compose(db: Pools, backend: Backend, settings: Arc<Settings>) -> anyhow::Result<AppState> {
    let mut users: Arc<dyn UserRepository> = Arc::new(SeaUserRepository::new(db.clone()));
    let mut sessions: Arc<dyn SessionRepository> = Arc::new(SeaSessionRepository::new(db.clone()));
    // An account's erasure writes through its own port and evicts from this cache.
    let mut user_evictor = None;
    if !settings.caches.auth_ttl.is_zero() {
        let cached = CachedUserRepository::new(users, settings.caches.auth_ttl);
        user_evictor = Some(cached.evictor());
        users = Arc::new(cached);
        sessions = Arc::new(CachedSessionRepository::new(
            sessions,
            settings.caches.auth_ttl,
        ));
    }
    let hasher = Arc::new(Argon2Hasher);
    let tokens = Arc::new(JwtCodec::new(settings.auth.jwt.clone()).context("invalid JWT key")?);
    let allowed_domains = AllowedDomains::new(settings.auth.allowed_domains.iter().cloned());
    let rate_limits = rate_limiting(&settings)?;
    let audit_log: Arc<dyn domain::audit::AuditLog> =
        Arc::new(infrastructure::repositories::SeaAuditLog::new(db.clone()));
    let auth = AuthService::new(
        users.clone(),
        sessions,
        hasher.clone(),
        tokens,
        AuthPolicy {
            allowed_domains: allowed_domains.clone(),
            allow_registration: settings.auth.allow_registration,
            access_token_ttl: settings.auth.access_token_ttl,
            refresh_token_ttl: settings.auth.refresh_token_ttl,
        },
    )
    .with_rate_limits(rate_limits.clone())
    .with_audit(audit_log.clone());
    let mut key_store: Arc<dyn ApiKeyRepository> = Arc::new(
        infrastructure::repositories::SeaApiKeyRepository::new(db.clone()),
    );
    if !settings.caches.auth_ttl.is_zero() {
        key_store = Arc::new(CachedApiKeyRepository::new(
            key_store,
            settings.caches.auth_ttl,
        ));
    }
    let api_keys =
        domain::api_key::ApiKeyService::new(key_store, users.clone(), allowed_domains.clone());
    let user_service = UserService::new(users.clone(), hasher.clone(), allowed_domains);
    let mut threads: Arc<dyn ThreadRepository> = Arc::new(SeaThreadRepository::new(db.clone()));
    // New messages are written by group commit, on a task started here (on the server's
    // runtime) and stopped when the last repository holding it is dropped.
    let message_writer = MessageWriter::start(db.write.clone());
    let mut messages: Arc<dyn MessageRepository> =
        Arc::new(SeaMessageRepository::new(db.clone(), message_writer));
    let mut reactions: Arc<dyn ReactionRepository> =
        Arc::new(SeaReactionRepository::new(db.clone()));
    let mut files: Arc<dyn FileRepository> = Arc::new(SeaFileRepository::new(db.clone()));
    let mut thread_epochs = None;
    if !settings.caches.thread_ttl.is_zero() {
        let epochs = ThreadEpochs::new(settings.caches.thread_ttl);
        thread_epochs = Some(epochs.clone());
        threads = Arc::new(CachedThreadRepository::new(threads, epochs.clone()));
        messages = Arc::new(CachedMessageRepository::new(messages, epochs.clone()));
        reactions = Arc::new(CachedReactionRepository::new(reactions, epochs.clone()));
        files = Arc::new(CachedFileRepository::new(files, epochs));
    }
    let access = Arc::new(AccessControl::new(
        threads.clone(),
        messages.clone(),
        files.clone(),
    ));
    let blobs = Arc::new(
        storage::object_blob_store_from_url(&settings.files.storage_url).with_context(|| {
            format!(
                "cannot open FILE_STORAGE_URL={}",
                settings.files.storage_url
            )
        })?,
    );
    let account = domain::account::AccountService::new(
        Arc::new(infrastructure::cache::CachedAccountRepository::new(
            Arc::new(infrastructure::repositories::SeaAccountRepository::new(
                db.clone(),
            )),
            user_evictor,
            thread_epochs,
        )),
        users.clone(),
        hasher.clone(),
        files.clone(),
        blobs.clone(),
        audit_log.clone(),
    );
    let file_service = FileService::new(
        files,
        blobs.clone(),
        Arc::new(ImagePreviewRenderer::default()),
        access.clone(),
        FileLimits {
            max_upload_bytes: settings.files.max_upload_bytes,
            ..FileLimits::default()
        },
    );
    let share_links = domain::share_link::ShareLinkService::new(
        domain::share_link::ShareLinkStores {
            links: Arc::new(infrastructure::repositories::SeaShareLinkRepository::new(
                db.clone(),
            )),
            threads: threads.clone(),
            messages: messages.clone(),
            users: users.clone(),
        },
        hasher,
        access.clone(),
    )
    .with_rate_limits(rate_limits.clone());
    Ok(AppState {
        auth: Arc::new(auth),
        users: Arc::new(user_service),
        account: Arc::new(account),
        api_keys: Arc::new(api_keys),
        idempotency: Arc::new(
            IdempotencyService::new(Arc::new(SeaIdempotencyStore::new(db.clone())))
                .with_lease(settings.http.idempotency_lease),
        ),
        threads: Arc::new(ThreadService::new(threads, users, access.clone())),
        messages: Arc::new(MessageService::new(messages, access.clone())),
        reactions: Arc::new(ReactionService::new(reactions, access.clone())),
        search: Arc::new(SearchService::new(
            Arc::new(SeaSearchRepository::new(db.clone())),
            access,
        )),
        files: Arc::new(file_service),
        shares: Arc::new(share_links),
        db: db.clone(),
        storage: blobs,
        backend,
        page_renders: Arc::new(PageRenders::new(settings.http.response_memory_budget)),
        write_outcomes: Arc::default(),
        rate_limits,
        audit: Arc::new(domain::audit::AuditService::new(
            audit_log,
            settings.audit.retention_days,
        )),
        started_at: Instant::now(),
        settings,
    })
}

/// Files a connection may not take: the database pool, storage, logs and some spare.
const FILES_KEPT_FOR_THE_REST: u64 = 256;

/// Raises the soft limit of open files to the hard one, logs it, and warns when it is too
/// low for `MAX_CONNECTIONS` (accepting would then fail before the limit is reached).
fn check_open_file_limit(settings: &Settings) {
    let Some(limit) = raise_open_file_limit() else {
        return;
    };
    let max_connections = settings.http.connections.max_connections as u64;
    let needed = max_connections + FILES_KEPT_FOR_THE_REST;
    if limit < needed {
        tracing::warn!(
            open_files = limit,
            max_connections,
            "the limit of open files is below MAX_CONNECTIONS plus {FILES_KEPT_FOR_THE_REST}; \
             raise it (ulimit -n, LimitNOFILE) or lower MAX_CONNECTIONS"
        );
    } else {
        tracing::info!(open_files = limit, max_connections, "connection limits");
    }
}

/// How long a closing connection waits for the client to read the answer and hang up.
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

fn serve(listener: TcpListener, state: AppState, settings: &Settings) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    let document = openapi::document();
    let routes = Arc::new(RouteTable::from_document(&document));
    crate::prometheus::install();
    let json_limit = settings.http.json_body_limit;
    let hsts = settings.http.hsts;
    let cors_origins = settings.http.cors_origins.clone();
    let connections = &settings.http.connections;
    let body_policy = BodyPolicy {
        json_limit: json_limit as u64,
        json_idle: connections.request_body_idle_timeout,
        upload_limit: settings.files.max_upload_bytes,
        upload_idle: settings.files.upload_idle_timeout,
    };
    let per_ip = PerIpConnections::new(connections.max_connections_per_ip);
    // actix's default, made explicit: the connection limit is per worker.
    let workers = settings.http.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(json_limit))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            // Before the routes: `/api/v1/openapi.json` lies inside the `/api/v1` scope.
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", document.clone()))
            .service(web::redirect("/docs", "/docs/"))
            .into_utoipa_app()
            .configure(routes::configure)
            .split_for_parts();
        let routes = routes.clone();
        app.default_service(web::to(move |req: HttpRequest| {
            let routes = routes.clone();
            async move { unmatched(&routes, &req) }
        }))
        .wrap(from_fn(move |req, next| {
            guard_request_body(req, next, body_policy)
        }))
        .wrap(from_fn(watch_write_outcomes))
        .wrap(from_fn(crate::middleware::limit_requests))
        .wrap(from_fn(refuse_over_limit))
        .wrap(cors(&cors_origins))
        .wrap(from_fn(move |req, next| security_headers(req, next, hsts)))
        .wrap(from_fn(record_request_metrics))
        .wrap(TracingLogger::<CorrelatedRootSpan>::new())
        // Inside the request id's scope, so that both name the request.
        .wrap(from_fn(reshape_framework_errors))
        .wrap(from_fn(log_access))
        .wrap(from_fn(assign_request_id))
    })
    .on_connect(move |connection, data| per_ip.on_connect(connection, data))
    .workers(workers)
    .max_connections(connections.max_connections.div_ceil(workers))
    .client_request_timeout(connections.request_header_timeout)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .shutdown_timeout(30)
    .listen(listener)?;
    Ok(server.run())
}

/// Cross-origin access for the configured origins only, with credentials so that the
/// cookie flow works from a browser app on another origin.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::RANGE,
            header::IF_RANGE,
            X_REQUEST_ID.clone(),
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-api-key"),
        ])
        .expose_headers([
            X_REQUEST_ID.clone(),
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            crate::middleware::rate_limit::RATELIMIT_LIMIT,
            crate::middleware::rate_limit::RATELIMIT_REMAINING,
            crate::middleware::rate_limit::RATELIMIT_RESET,
            header::CONTENT_DISPOSITION,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
        ])
        .supports_credentials()
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Now and then removes orphaned bytes, abandoned uploads and expired idempotency keys.
/// Several instances may sweep at once: collection is safe under concurrency (see the
/// file ports).
async fn housekeeping(
    files: Arc<FileService>,
    idempotency: Arc<IdempotencyService>,
    interval: std::time::Duration,
    grace: std::time::Duration,
) {
    let mut ticks = tokio::time::interval(interval);
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::hours(1));
    loop {
        ticks.tick().await;
        match files.sweep(domain::time::now(), grace).await {
            Ok(report) => tracing::info!(
                blobs_collected = report.blobs_collected,
                partials_removed = report.partials_removed,
                "swept file storage"
            ),
            Err(err) => tracing::warn!(error = %err, "file sweep failed; retrying next time"),
        }
        match idempotency.purge_expired().await {
            Ok(purged) => tracing::info!(purged, "forgot expired idempotency keys"),
            Err(err) => tracing::warn!(error = %err, "idempotency purge failed"),
        }
    }
}

/// No route took the request: 405 when its path is known with other methods, else 404.
fn unmatched(routes: &RouteTable, req: &HttpRequest) -> HttpResponse {
    match routes.allowed(req.path()) {
        Some(allowed) => ApiError::MethodNotAllowed(allowed).to_problem(),
        None => ApiError::RouteNotFound.to_problem(),
    }
}

/// The rate limits of `settings`, counted in Redis when `REDIS_URL` is set (shared by
/// every instance) and in memory otherwise. Keys back to their full quota are forgotten
/// every minute by a task that ends with the limiter.
fn rate_limiting(settings: &Settings) -> anyhow::Result<Arc<domain::rate_limit::RateLimitService>> {
    use infrastructure::rate_limit::{InMemoryRateLimiter, RedisRateLimiter};
    let config = &settings.rate_limits;
    let limiter: Arc<dyn domain::rate_limit::RateLimiter> = match &config.redis_url {
        Some(url) => {
            let redis = Arc::new(RedisRateLimiter::new(url, &config.key_prefix)?);
            let held = Arc::downgrade(&redis);
            spawn_key_sweep(move || held.upgrade().map(|r| r.fallback().forget_idle_keys()));
            redis
        }
        None => {
            let memory = Arc::new(InMemoryRateLimiter::new());
            let held = Arc::downgrade(&memory);
            spawn_key_sweep(move || held.upgrade().map(|m| m.forget_idle_keys()));
            memory
        }
    };
    Ok(Arc::new(domain::rate_limit::RateLimitService::new(
        limiter,
        config.policy.clone(),
    )))
}

/// Prunes the audit log every `interval`, the first time ten minutes after start (or one
/// interval, if shorter): not during start-up, and still soon enough for a server that is
/// restarted often. A failure is logged and tried again at the next tick.
async fn prune_audit_log(audit: Arc<domain::audit::AuditService>, interval: Duration) {
    let first = interval.min(Duration::from_secs(600));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + first, interval);
    loop {
        ticks.tick().await;
        match audit.prune().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "pruned the audit log"),
            Err(err) => tracing::error!(error = %err, "could not prune the audit log"),
        }
    }
}

/// Runs `sweep` every minute until it answers `None` (its limiter is gone).
fn spawn_key_sweep(sweep: impl Fn() -> Option<()> + Send + 'static) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if sweep().is_none() {
                break;
            }
        }
    });
}
