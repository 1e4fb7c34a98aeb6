//! What the user services need from storage.

use async_trait::async_trait;

use super::{Email, NewUser, User, UserChanges, UserCredentials, UserFilter};
use crate::{
    audit::NewAuditEntry,
    id::UserId,
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainResult,
};

/// Storage of users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user, appending `audit` in the same transaction. `Conflict` when the
    /// email or external subject is taken.
    async fn insert(&self, user: &NewUser, audit: &NewAuditEntry) -> DomainResult<User>;

    /// Stores the user as ADMIN if the first-administrator slot was never claimed, in one
    /// transaction with claiming it; `Ok(None)` (and nothing stored) when it was. Of any
    /// number of concurrent calls, at most one ever succeeds.
    async fn insert_as_first_admin(
        &self,
        user: &NewUser,
        audit: &NewAuditEntry,
    ) -> DomainResult<Option<User>>;

    async fn find(&self, id: &UserId) -> DomainResult<Option<User>>;

    /// The user with this (normalised) email and their password hash, if any.
    async fn find_credentials(&self, email: &Email) -> DomainResult<Option<UserCredentials>>;

    /// The user an external identity provider knows by this `sub`.
    async fn find_by_external_subject(&self, subject: &str) -> DomainResult<Option<User>>;

    /// Links an account that has neither a password nor an external subject (an ADMIN
    /// created it for single sign-on) to `subject`, atomically. `None` when no such
    /// account has this email.
    async fn link_external_subject(
        &self,
        email: &Email,
        subject: &str,
    ) -> DomainResult<Option<User>>;

    async fn count(&self) -> DomainResult<u64>;

    /// Newest first, keyset-paginated by id.
    async fn list(&self, filter: &UserFilter, page: &PageRequest) -> DomainResult<Page<User>>;

    /// Applies `changes`, and sets `updated_at` to `now`. With `expected_updated_at`, only
    /// if the row still has it: `PreconditionFailed` when it moved on meanwhile. `NotFound`
    /// when the user is gone. `audit` (an entry per role or status change, often none) is
    /// appended in the same transaction.
    async fn update(
        &self,
        id: &UserId,
        changes: &UserChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        audit: &[NewAuditEntry],
    ) -> DomainResult<User>;
}
