//! What handlers reach through `web::Data`: the services, built once by the composition
//! root, and the settings.

use std::{sync::Arc, time::Instant};

use crate::{middleware::WriteOutcomes, page_renders::PageRenders, settings::Settings};
use domain::{
    auth::AuthService, file::FileService, idempotency::IdempotencyService, message::MessageService,
    reaction::ReactionService, search::SearchService, thread::ThreadService, user::UserService,
};
use infrastructure::{
    database::{Backend, Pools},
    storage::ObjectBlobStore,
};

#[derive(Clone)]
pub struct AppState {
    pub auth: Arc<AuthService>,
    pub users: Arc<UserService>,
    pub account: Arc<domain::account::AccountService>,
    pub api_keys: Arc<domain::api_key::ApiKeyService>,
    pub idempotency: Arc<IdempotencyService>,
    pub threads: Arc<ThreadService>,
    pub messages: Arc<MessageService>,
    pub reactions: Arc<ReactionService>,
    pub search: Arc<SearchService>,
    pub files: Arc<FileService>,
    /// Share links and the public view of shared threads.
    pub shares: Arc<domain::share_link::ShareLinkService>,
    /// For the health check: reads and (on SQLite, separately) writes.
    pub db: Pools,
    /// For the health check: the blob store behind `files`.
    pub storage: Arc<ObjectBlobStore>,
    pub backend: Backend,
    /// The settings, for the few handlers and extractors that read them (cookies, limits).
    pub settings: Arc<Settings>,
    /// Memory shared by the list responses being built at one time.
    pub page_renders: Arc<PageRenders>,
    /// For the health check: whether writes are being refused for lack of space.
    pub write_outcomes: Arc<WriteOutcomes>,
    pub started_at: Instant,
    /// Rate limits of requests in general (sign-in attempts are `auth`'s).
    pub rate_limits: Arc<domain::rate_limit::RateLimitService>,
    /// The audit log's reading (ADMIN) and pruning.
    pub audit: Arc<domain::audit::AuditService>,
}
