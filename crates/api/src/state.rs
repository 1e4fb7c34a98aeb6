//! What handlers reach through `web::Data`: the services, built once by the composition
//! root, and the few settings the HTTP layer itself needs.

use std::{sync::Arc, time::Instant};

use crate::{middleware::WriteOutcomes, page_renders::PageRenders};
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
    pub idempotency: Arc<IdempotencyService>,
    pub threads: Arc<ThreadService>,
    pub messages: Arc<MessageService>,
    pub reactions: Arc<ReactionService>,
    pub search: Arc<SearchService>,
    pub files: Arc<FileService>,
    /// For the health check: reads and (on SQLite, separately) writes.
    pub db: Pools,
    /// For the health check: the blob store behind `files`.
    pub storage: Arc<ObjectBlobStore>,
    pub backend: Backend,
    pub http: HttpSettings,
    /// Memory shared by the list responses being built at one time.
    pub page_renders: Arc<PageRenders>,
    /// For the health check: whether writes are being refused for lack of space.
    pub write_outcomes: Arc<WriteOutcomes>,
    pub started_at: Instant,
}

/// Cookie and redirect behaviour of the authentication endpoints and extractors.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub auth_cookie_name: String,
    pub refresh_cookie_name: String,
    pub cookie_secure: bool,
    pub auth_redirect_url: Option<url::Url>,
    pub access_token_ttl: std::time::Duration,
    pub refresh_token_ttl: std::time::Duration,
    /// The most a JSON body may hold, for handlers that read bodies themselves.
    pub json_body_limit: usize,
}
