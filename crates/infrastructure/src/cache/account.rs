//! The caches an account's erasure must empty: it writes through its own port, so the
//! user cache (the erased user, read on every request with their tokens and keys) and
//! every thread's epoch (members, owners, reactions and files changed in threads the
//! wrapper does not track) are told here, after the transaction.

use std::sync::Arc;

use domain::{
    account::{
        AccountRepository, Erased, Erasure, ExportedFile, ExportedMessage, ExportedReaction,
        ExportedThread,
    },
    api_key::ApiKey,
    audit::AuditEntry,
    auth::Session,
    id::{ThreadId, UserId},
    time::Timestamp,
    DomainResult,
};

use super::{ThreadEpochs, UserEvictor};

pub struct CachedAccountRepository {
    inner: Arc<dyn AccountRepository>,
    users: Option<UserEvictor>,
    epochs: Option<Arc<ThreadEpochs>>,
}

impl CachedAccountRepository {
    /// `users` and `epochs` are the caches the server runs with, if any.
    pub fn new(
        inner: Arc<dyn AccountRepository>,
        users: Option<UserEvictor>,
        epochs: Option<Arc<ThreadEpochs>>,
    ) -> Self {
        Self {
            inner,
            users,
            epochs,
        }
    }

    fn erased(&self, id: &UserId, outcome: DomainResult<Erased>) -> DomainResult<Erased> {
        let outcome = match &self.users {
            Some(users) => users.evicted(id, outcome),
            None => outcome,
        };
        match &self.epochs {
            // Rare, and touching threads this wrapper does not know: every epoch moves.
            Some(epochs) => epochs.all_moved(outcome),
            None => outcome,
        }
    }
}

decorate! {
    impl AccountRepository for CachedAccountRepository {
        fn sessions(&self, user: &UserId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<Session>>;
        fn api_keys(&self, user: &UserId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<ApiKey>>;
        fn threads(&self, user: &UserId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<ExportedThread>>;
        fn messages(&self, user: &UserId, thread: &ThreadId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<ExportedMessage>>;
        fn reactions(&self, user: &UserId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<ExportedReaction>>;
        fn files(&self, user: &UserId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<ExportedFile>>;
        fn audit_entries(&self, user: &UserId, after: Option<String>, limit: u64)
            -> DomainResult<Vec<AuditEntry>>;
        fn erased_at(&self, user: &UserId) -> DomainResult<Option<Timestamp>>;
        fn erase(&self, erasure: &Erasure) -> DomainResult<Erased>
            => |outcome| self.erased(&erasure.user_id, outcome);
    }
}
