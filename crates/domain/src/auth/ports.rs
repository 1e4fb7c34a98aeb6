//! What authentication needs from the outside world.

use async_trait::async_trait;

use super::{Claims, ClientInfo, Password, RefreshTokenRecord, Rotation, Session};
use crate::{
    audit::NewAuditEntry,
    id::{SessionId, UserId},
    pagination::{Page, PageRequest},
    time::Timestamp,
    user::PasswordHash,
    DomainResult,
};

/// Slow, salted password hashing. Implementations must not block the async runtime.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Password) -> DomainResult<PasswordHash>;
    /// `Ok(false)` for a wrong password; errors only for a malformed stored hash.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> DomainResult<bool>;
}

/// Signs and verifies access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenCodec: Send + Sync {
    /// False when this server only verifies tokens (an external service signs them).
    fn can_issue(&self) -> bool;
    /// `Forbidden` when this server is configured to verify tokens only (an external
    /// service holds the signing key).
    fn issue(&self, claims: &Claims) -> DomainResult<String>;
    /// `Unauthorized` for anything but a well-signed, unexpired token of the configured
    /// algorithm (and issuer and audience, when configured).
    fn verify(&self, token: &str) -> DomainResult<Claims>;
}

/// Storage of sessions and their refresh tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session together with its first refresh token (by hash).
    #[allow(clippy::too_many_arguments)]
    async fn create(
        &self,
        id: &SessionId,
        user_id: &UserId,
        refresh_token_hash: &str,
        client: &ClientInfo,
        now: Timestamp,
        expires_at: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<Session>;

    async fn find(&self, id: &SessionId) -> DomainResult<Option<Session>>;

    /// The session a refresh token (by hash) belongs to, used or not.
    async fn find_by_refresh_token(
        &self,
        token_hash: &str,
    ) -> DomainResult<Option<RefreshTokenRecord>>;

    /// Atomically marks `old_hash` used and stores `new_hash`, extending the session to
    /// `expires_at`. `AlreadyUsed` when another request marked it first.
    async fn rotate(
        &self,
        session_id: &SessionId,
        old_hash: &str,
        new_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> DomainResult<Rotation>;

    /// Ends the session, appending `audit` in the same transaction; repeating it is
    /// harmless (and, changing nothing, records nothing).
    async fn revoke(
        &self,
        id: &SessionId,
        now: Timestamp,
        audit: &NewAuditEntry,
    ) -> DomainResult<()>;

    /// A page of the user's sessions that are neither revoked nor expired, newest first.
    async fn list_active(
        &self,
        user_id: &UserId,
        now: Timestamp,
        page: &PageRequest,
    ) -> DomainResult<Page<Session>>;
}
