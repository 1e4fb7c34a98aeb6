//! The rules of account data: who may export or erase an account, one export at a time,
//! and what follows an erasure's commit.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;

use super::{
    AccountRepository, Erasure, ExportedFile, ExportedMessage, ExportedReaction, ExportedThread,
    DELETED_USER_NAME, EXPORT_MESSAGE_PAGE, EXPORT_PAGE,
};
use crate::{
    api_key::{ApiKey, Scope},
    audit::{AuditAction, AuditEntry, AuditLog, NewAuditEntry},
    auth::{Password, PasswordHasher, Principal, Session},
    file::{BlobStore, ByteStream, FileRepository, FileSource, Sha256Digest, StorageStep},
    id::{ThreadId, UserId},
    precondition::Precondition,
    time::{self, Timestamp},
    user::{PublicProfile, Role, User, UserName, UserRepository},
    DomainError, DomainResult,
};

pub struct AccountService {
    accounts: Arc<dyn AccountRepository>,
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    files: Arc<dyn FileRepository>,
    blobs: Arc<dyn BlobStore>,
    audit: Arc<dyn AuditLog>,
    exporting: Arc<Mutex<HashSet<UserId>>>,
}

impl AccountService {
    pub fn new(
        accounts: Arc<dyn AccountRepository>,
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        files: Arc<dyn FileRepository>,
        blobs: Arc<dyn BlobStore>,
        audit: Arc<dyn AuditLog>,
    ) -> Self {
        Self {
            accounts,
            users,
            hasher,
            files,
            blobs,
            audit,
            exporting: Arc::default(),
        }
    }

    /// Starts an export of the caller's own data. Needs a person signed in with a token
    /// (an API key is refused, as for key management: a leaked key must not carry off
    /// the whole account), and at most one export per user runs at a time in this
    /// process (`Conflict` for a second one). The export holds its turn until dropped.
    /// It is recorded (`account.exported`) before anything is read: when the entry
    /// cannot be appended, the export fails and nothing leaves.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn export(&self, caller: &Principal) -> DomainResult<Export> {
        require_interactive(
            caller,
            "API keys cannot export an account; sign in with a token",
        )?;
        let turn = ExportTurn::take(&self.exporting, &caller.user.id)?;
        let entry =
            NewAuditEntry::by(caller, AuditAction::AccountExported).on("user", &caller.user.id);
        self.audit.append(&entry).await?;
        Ok(Export {
            user: caller.user.clone(),
            generated_at: time::now(),
            accounts: self.accounts.clone(),
            blobs: self.blobs.clone(),
            _turn: turn,
        })
    }

    /// The caller erases their own account. An API key is refused; an account with a
    /// password must send it again (`password`), so a token left on a shared computer
    /// cannot erase it. The last active ADMIN cannot go (`Conflict`).
    #[tracing::instrument(skip(self, caller, password), fields(caller = %caller.user.id))]
    pub async fn erase_self(
        &self,
        caller: &Principal,
        password: Option<Password>,
    ) -> DomainResult<()> {
        require_interactive(
            caller,
            "API keys cannot delete an account; sign in with a token",
        )?;
        let stored = self.users.find_credentials(&caller.user.email).await?;
        if let Some(hash) = stored.and_then(|c| c.password_hash) {
            let Some(password) = password else {
                return Err(DomainError::invalid(
                    "X-Confirm-Password",
                    "is required: send the account's password to delete it",
                ));
            };
            if !self.hasher.verify(&password, &hash).await? {
                return Err(DomainError::Forbidden("the password does not match"));
            }
        }
        let erasure = Erasure::new(&caller.user.id, caller, None, time::now())?;
        self.erase(erasure).await
    }

    /// An ADMIN deletes another user (`DELETE /users/{id}`): the same erasure. An ADMIN
    /// cannot delete themselves here (they use `DELETE /users/me`).
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn erase_user(
        &self,
        caller: &Principal,
        id: &UserId,
        precondition: &Precondition,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::Admin)?;
        caller.require_role(Role::Admin)?;
        if caller.is_self(id) {
            return Err(DomainError::Forbidden(
                "administrators cannot delete themselves",
            ));
        }
        let target = self
            .users
            .find(id)
            .await?
            .ok_or(DomainError::NotFound("user"))?;
        precondition.check(&target.etag())?;
        let expected = precondition.write_condition(target.updated_at);
        let erasure = Erasure::new(id, caller, expected, time::now())?;
        self.erase(erasure).await
    }

    /// The public profile an erased account still has, so that clients can show who
    /// wrote the messages it left: "Deleted user", no avatar. `None` for any other id.
    pub async fn erased_profile(&self, id: &UserId) -> DomainResult<Option<PublicProfile>> {
        let Some(erased_at) = self.accounts.erased_at(id).await? else {
            return Ok(None);
        };
        Ok(Some(PublicProfile {
            id: id.clone(),
            name: UserName::parse(DELETED_USER_NAME)?,
            avatar_url: None,
            updated_at: erased_at,
        }))
    }

    /// The one way a user is deleted: the repository's transaction, then the bytes of
    /// their files that nothing references any more.
    async fn erase(&self, erasure: Erasure) -> DomainResult<()> {
        let erased = self.accounts.erase(&erasure).await?;
        for digest in erased.blobs {
            let remove = RemoveBytes {
                blobs: self.blobs.clone(),
                digest: digest.clone(),
            };
            // The records are gone either way; bytes left behind here are the sweep's.
            if let Err(err) = self.files.collect_blob(&digest, Box::new(remove)).await {
                tracing::warn!(error = %err, "could not remove an erased user's bytes yet");
            }
        }
        Ok(())
    }
}

fn require_interactive(caller: &Principal, why: &'static str) -> DomainResult<()> {
    if caller.api_key.is_some() {
        return Err(DomainError::Forbidden(why));
    }
    Ok(())
}

/// A running export of one user's data: paged reads of each section, in id order, and
/// file bytes as a stream. Nothing is read before it is asked for.
pub struct Export {
    pub user: User,
    pub generated_at: Timestamp,
    accounts: Arc<dyn AccountRepository>,
    blobs: Arc<dyn BlobStore>,
    _turn: ExportTurn,
}

impl Export {
    pub async fn sessions(&self, after: Option<String>) -> DomainResult<Vec<Session>> {
        self.accounts
            .sessions(&self.user.id, after, EXPORT_PAGE)
            .await
    }

    pub async fn api_keys(&self, after: Option<String>) -> DomainResult<Vec<ApiKey>> {
        self.accounts
            .api_keys(&self.user.id, after, EXPORT_PAGE)
            .await
    }

    pub async fn threads(&self, after: Option<String>) -> DomainResult<Vec<ExportedThread>> {
        self.accounts
            .threads(&self.user.id, after, EXPORT_PAGE)
            .await
    }

    pub async fn messages(
        &self,
        thread: &ThreadId,
        after: Option<String>,
    ) -> DomainResult<Vec<ExportedMessage>> {
        self.accounts
            .messages(&self.user.id, thread, after, EXPORT_MESSAGE_PAGE)
            .await
    }

    pub async fn reactions(&self, after: Option<String>) -> DomainResult<Vec<ExportedReaction>> {
        self.accounts
            .reactions(&self.user.id, after, EXPORT_PAGE)
            .await
    }

    pub async fn files(&self, after: Option<String>) -> DomainResult<Vec<ExportedFile>> {
        self.accounts.files(&self.user.id, after, EXPORT_PAGE).await
    }

    /// Audit entries about the user (as actor, or on their `user` record), in seq
    /// order; `after` is the last entry's seq.
    pub async fn audit(&self, after: Option<String>) -> DomainResult<Vec<AuditEntry>> {
        self.accounts
            .audit_entries(&self.user.id, after, EXPORT_PAGE)
            .await
    }

    /// The stored bytes of one of the user's files, as a stream; `None` for a link to
    /// bytes kept elsewhere.
    pub async fn file_bytes(&self, file: &ExportedFile) -> DomainResult<Option<ByteStream>> {
        match &file.source {
            FileSource::Stored(digest) => Ok(Some(self.blobs.read(digest, None).await?)),
            FileSource::External(_) => Ok(None),
        }
    }
}

/// A user's turn to export; given back when dropped (the export finished, failed, or its
/// client went away).
struct ExportTurn {
    running: Arc<Mutex<HashSet<UserId>>>,
    user: UserId,
}

impl ExportTurn {
    fn take(running: &Arc<Mutex<HashSet<UserId>>>, user: &UserId) -> DomainResult<Self> {
        let mut set = running.lock().unwrap_or_else(PoisonError::into_inner);
        if !set.insert(user.clone()) {
            return Err(DomainError::Conflict(
                "an export of this account is already running; try again when it has finished",
            ));
        }
        Ok(Self {
            running: running.clone(),
            user: user.clone(),
        })
    }
}

impl Drop for ExportTurn {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.user);
    }
}

struct RemoveBytes {
    blobs: Arc<dyn BlobStore>,
    digest: Sha256Digest,
}

#[async_trait]
impl StorageStep for RemoveBytes {
    async fn run(&self) -> DomainResult<()> {
        self.blobs.delete(&self.digest).await
    }
}
