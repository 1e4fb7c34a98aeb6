//! A read-through cache in front of the lookups every authenticated request makes (the
//! user by id, the session by id, an API key by its secret's hash), so that checking
//! status, revocation and the key "on every request" does not cost database round trips.
//!
//! Exact for one instance: every write that could change a cached value goes through the
//! same repository object, which evicts the entry. A read that raced with such a write
//! does not put its (possibly older) row into the cache. With several instances a write
//! on one cannot evict the others' entries, so the composition root enables the cache only
//! where one instance owns the database (SQLite) unless configured otherwise.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use domain::{
    api_key::{ApiKey, ApiKeyChanges, ApiKeyRepository, NewApiKey},
    audit::NewAuditEntry,
    auth::{ClientInfo, RefreshTokenRecord, Rotation, Session, SessionRepository},
    id::{ApiKeyId, SessionId, UserId},
    pagination::{Page, PageRequest, Weigh},
    time::Timestamp,
    user::{Email, NewUser, User, UserChanges, UserCredentials, UserFilter, UserRepository},
    DomainResult,
};
use moka::sync::Cache;

/// Each cache's cap, by the weight of its entries: a user carries up to 16 KiB of
/// preferences and a session its client's user agent, so a count alone would bound nothing.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Entries by id, plus a counter of evictions that tells a reader whether a write
/// happened while it was reading.
struct ReadCache<V: Clone + Send + Sync + 'static> {
    entries: Cache<String, V>,
    evictions: AtomicU64,
    /// The `cache` label of its hit and miss counters in `/metrics`.
    name: &'static str,
}

impl<V: Clone + Send + Sync + 'static> ReadCache<V> {
    fn new(name: &'static str, ttl: Duration, weigh: fn(&V) -> usize) -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(move |key: &String, value: &V| {
                    u32::try_from(key.len() + weigh(value)).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build(),
            evictions: AtomicU64::new(0),
            name,
        }
    }

    async fn get_or_load<F>(&self, key: &str, load: F) -> DomainResult<Option<V>>
    where
        F: std::future::Future<Output = DomainResult<Option<V>>>,
    {
        if let Some(hit) = self.entries.get(key) {
            metrics::counter!("cache_lookups_total", "cache" => self.name, "outcome" => "hit")
                .increment(1);
            return Ok(Some(hit));
        }
        metrics::counter!("cache_lookups_total", "cache" => self.name, "outcome" => "miss")
            .increment(1);
        let before = self.evictions.load(Ordering::Acquire);
        let loaded = load.await?;
        if let Some(value) = &loaded {
            if self.evictions.load(Ordering::Acquire) == before {
                self.entries.insert(key.to_owned(), value.clone());
                // An eviction between the check and the insert may have missed our entry.
                if self.evictions.load(Ordering::Acquire) != before {
                    self.entries.invalidate(key);
                }
            }
        }
        Ok(loaded)
    }

    fn evict(&self, key: &str) {
        self.evictions.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(key);
    }

    /// Evicts every entry after a write that may have changed one whose key the writer
    /// does not know; hands the write's outcome back.
    fn all_evicted<T>(&self, outcome: T) -> T {
        self.evictions.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
        outcome
    }

    /// Evicts `key` after a write that may have changed its entry; hands the write's
    /// outcome back.
    fn evicted<T>(&self, key: &str, outcome: T) -> T {
        self.evict(key);
        outcome
    }
}

pub struct CachedUserRepository {
    inner: Arc<dyn UserRepository>,
    cache: Arc<ReadCache<User>>,
}

impl CachedUserRepository {
    pub fn new(inner: Arc<dyn UserRepository>, ttl: Duration) -> Self {
        Self {
            inner,
            cache: Arc::new(ReadCache::new("users", ttl, Weigh::weight)),
        }
    }

    /// A handle that evicts users from this cache, for writes made through another port
    /// (an account's erasure, `CachedAccountRepository`).
    pub fn evictor(&self) -> UserEvictor {
        UserEvictor(self.cache.clone())
    }
}

/// Evicts users from a `CachedUserRepository`'s cache.
#[derive(Clone)]
pub struct UserEvictor(Arc<ReadCache<User>>);

impl UserEvictor {
    pub fn evicted<T>(&self, id: &UserId, outcome: T) -> T {
        self.0.evicted(id.as_str(), outcome)
    }
}

decorate! {
    impl UserRepository for CachedUserRepository {
        fn insert(&self, user: &NewUser, audit: &NewAuditEntry) -> DomainResult<User>;
        fn insert_as_first_admin(&self, user: &NewUser, audit: &NewAuditEntry)
            -> DomainResult<Option<User>>;
        fn find_credentials(&self, email: &Email) -> DomainResult<Option<UserCredentials>>;
        fn find_by_external_subject(&self, subject: &str) -> DomainResult<Option<User>>;
        fn count(&self) -> DomainResult<u64>;
        fn list(&self, filter: &UserFilter, page: &PageRequest) -> DomainResult<Page<User>>;
        fn update(
            &self, id: &UserId, changes: &UserChanges, expected_updated_at: Option<Timestamp>,
            now: Timestamp, audit: &[NewAuditEntry],
        ) -> DomainResult<User> => |outcome| self.cache.evicted(id.as_str(), outcome);

        async fn find(&self, id: &UserId) -> DomainResult<Option<User>> {
            self.cache
                .get_or_load(id.as_str(), self.inner.find(id))
                .await
        }

        async fn link_external_subject(&self, email: &Email, subject: &str)
            -> DomainResult<Option<User>> {
            let linked = self.inner.link_external_subject(email, subject).await?;
            if let Some(user) = &linked {
                self.cache.evict(user.id.as_str());
            }
            Ok(linked)
        }
    }
}

pub struct CachedSessionRepository {
    inner: Arc<dyn SessionRepository>,
    cache: ReadCache<Session>,
}

impl CachedSessionRepository {
    pub fn new(inner: Arc<dyn SessionRepository>, ttl: Duration) -> Self {
        Self {
            inner,
            cache: ReadCache::new("sessions", ttl, session_weight),
        }
    }
}

/// A session's strings, plus an allowance for its ids and times.
fn session_weight(session: &Session) -> usize {
    256 + session.user_agent.as_ref().map_or(0, String::len)
        + session.ip.as_ref().map_or(0, String::len)
}

decorate! {
    impl SessionRepository for CachedSessionRepository {
        fn create(
            &self, id: &SessionId, user_id: &UserId, refresh_token_hash: &str,
            client: &ClientInfo, now: Timestamp, expires_at: Timestamp, audit: &NewAuditEntry,
        ) -> DomainResult<Session>;
        fn find_by_refresh_token(&self, token_hash: &str)
            -> DomainResult<Option<RefreshTokenRecord>>;
        fn rotate(
            &self, session_id: &SessionId, old_hash: &str, new_hash: &str, now: Timestamp,
            expires_at: Timestamp,
        ) -> DomainResult<Rotation> => |outcome| self.cache.evicted(session_id.as_str(), outcome);
        fn revoke(&self, id: &SessionId, now: Timestamp, audit: &NewAuditEntry) -> DomainResult<()>
            => |outcome| self.cache.evicted(id.as_str(), outcome);
        fn list_active(&self, user_id: &UserId, now: Timestamp, page: &PageRequest)
            -> DomainResult<Page<Session>>;

        async fn find(&self, id: &SessionId) -> DomainResult<Option<Session>> {
            self.cache
                .get_or_load(id.as_str(), self.inner.find(id))
                .await
        }
    }
}

/// API keys by their secret's hash. Key writes name the key by id, not by hash, so each
/// of them (a use recorded at most once a minute included) empties this cache: keys
/// change rarely, and the next request reads the key afresh.
pub struct CachedApiKeyRepository {
    inner: Arc<dyn ApiKeyRepository>,
    cache: ReadCache<ApiKey>,
}

impl CachedApiKeyRepository {
    pub fn new(inner: Arc<dyn ApiKeyRepository>, ttl: Duration) -> Self {
        Self {
            inner,
            cache: ReadCache::new("api_keys", ttl, |key: &ApiKey| {
                512 + key.name.as_str().len()
            }),
        }
    }
}

decorate! {
    impl ApiKeyRepository for CachedApiKeyRepository {
        fn insert(&self, key: &NewApiKey, audit: &NewAuditEntry) -> DomainResult<ApiKey>;
        fn find(&self, id: &ApiKeyId) -> DomainResult<Option<ApiKey>>;
        fn list(&self, user_id: &UserId, page: &PageRequest) -> DomainResult<Page<ApiKey>>;
        fn update(
            &self, id: &ApiKeyId, changes: &ApiKeyChanges, expected: Option<Timestamp>,
            now: Timestamp, audit: &NewAuditEntry,
        ) -> DomainResult<ApiKey> => |outcome| self.cache.all_evicted(outcome);
        fn rotate(
            &self, id: &ApiKeyId, secret_hash: &str, prefix: &str, expected: Option<Timestamp>,
            now: Timestamp, audit: &NewAuditEntry,
        ) -> DomainResult<ApiKey> => |outcome| self.cache.all_evicted(outcome);
        fn delete(&self, id: &ApiKeyId, expected: Option<Timestamp>, audit: &NewAuditEntry)
            -> DomainResult<()> => |outcome| self.cache.all_evicted(outcome);
        fn touch(&self, id: &ApiKeyId, now: Timestamp, since: Timestamp) -> DomainResult<()>
            => |outcome| self.cache.all_evicted(outcome);

        async fn find_by_secret_hash(&self, secret_hash: &str) -> DomainResult<Option<ApiKey>> {
            self.cache
                .get_or_load(secret_hash, self.inner.find_by_secret_hash(secret_hash))
                .await
        }
    }
}
