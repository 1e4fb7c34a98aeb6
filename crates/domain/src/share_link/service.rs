//! The rules of share links: who makes, lists and revokes them, and what opening one
//! shows to a reader without an account.

use std::{collections::BTreeMap, net::IpAddr, sync::Arc};

use serde_json::json;

use super::{
    future_expiry, CreateShareLink, IssuedShareLink, MaxViews, NewShareLink, ShareLink,
    ShareLinkRepository, SharePassword, ShareToken, SharedMessage, SharedThread,
};
use crate::{
    access::{AccessControl, ThreadAction},
    api_key::Scope,
    audit::{AuditAction, NewAuditEntry},
    auth::{PasswordHasher, Principal},
    id::{MessageId, ShareLinkId, ThreadId},
    message::{MessageFilter, MessageRepository, SortOrder},
    pagination::{Page, PageRequest},
    rate_limit::RateLimitService,
    thread::ThreadRepository,
    time,
    user::UserRepository,
    DomainError, DomainResult,
};

/// Every way opening a link can fail (unknown, revoked, expired, used up, a wrong or
/// missing password, a deleted thread) is this one answer, so a reader learns nothing
/// about why.
pub const LINK_NOT_FOUND: DomainError = DomainError::NotFound("shared thread");

/// What opening a link presents besides its token.
#[derive(Debug, Default)]
pub struct ShareReader {
    /// `X-Share-Password`, as sent.
    pub password: Option<String>,
    /// The client's address, for the limit on password guesses.
    pub ip: Option<IpAddr>,
}

pub struct ShareLinkService {
    links: Arc<dyn ShareLinkRepository>,
    threads: Arc<dyn ThreadRepository>,
    messages: Arc<dyn MessageRepository>,
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    access: Arc<AccessControl>,
    rate_limits: Option<Arc<RateLimitService>>,
}

/// The stores a [`ShareLinkService`] reads and writes.
pub struct ShareLinkStores {
    pub links: Arc<dyn ShareLinkRepository>,
    pub threads: Arc<dyn ThreadRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub users: Arc<dyn UserRepository>,
}

impl ShareLinkService {
    pub fn new(
        stores: ShareLinkStores,
        hasher: Arc<dyn PasswordHasher>,
        access: Arc<AccessControl>,
    ) -> Self {
        Self {
            links: stores.links,
            threads: stores.threads,
            messages: stores.messages,
            users: stores.users,
            hasher,
            access,
            rate_limits: None,
        }
    }

    /// Limits password guesses with `limits` (`RateLimitService::admit_share_password`).
    pub fn with_rate_limits(mut self, limits: Arc<RateLimitService>) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Makes a link to the thread and returns its token, which is never shown again. The
    /// thread's owner or an ADMIN; other members 403, anybody else 404.
    #[tracing::instrument(skip(self, caller, input), fields(caller = %caller.user.id))]
    pub async fn create(
        &self,
        caller: &Principal,
        thread_id: &ThreadId,
        input: CreateShareLink,
    ) -> DomainResult<IssuedShareLink> {
        caller.require_scope(Scope::ThreadsWrite)?;
        self.access
            .thread(caller, thread_id, ThreadAction::Share)
            .await?;
        let now = time::now();
        // Checked again: the request may have waited since its body was read.
        if input
            .expires_at
            .is_some_and(|at| future_expiry(at, now).is_err())
        {
            return Err(DomainError::invalid("expires_at", "must be in the future"));
        }
        let password_hash = match &input.password {
            Some(password) => Some(self.hasher.hash(password.as_password()).await?),
            None => None,
        };
        let token = ShareToken::generate();
        let link = ShareLink {
            id: ShareLinkId::generate(),
            thread_id: thread_id.clone(),
            created_by: caller.user.id.clone(),
            expires_at: input.expires_at,
            max_views: input.max_views,
            view_count: 0,
            password_hash,
            created_at: now,
        };
        let audit = NewAuditEntry::by(caller, AuditAction::ShareLinkCreated)
            .on("share_link", &link.id)
            .details(json!({
                "thread_id": thread_id.as_str(),
                "expires_at": link.expires_at.map(|at| at.to_rfc3339()),
                "max_views": link.max_views.map(MaxViews::get),
                "has_password": link.password_hash.is_some(),
            }));
        let new = NewShareLink {
            link,
            token_hash: token.hash(),
        };
        let link = self.links.insert(&new, &audit).await?;
        Ok(IssuedShareLink { link, token })
    }

    /// A page of the thread's links, newest first, without tokens. Like making and
    /// revoking them: the owner or an ADMIN.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        thread_id: &ThreadId,
        page: &PageRequest,
    ) -> DomainResult<Page<ShareLink>> {
        caller.require_scope(Scope::ThreadsRead)?;
        self.access
            .thread(caller, thread_id, ThreadAction::Share)
            .await?;
        if let Some(after) = &page.after {
            ShareLinkId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        self.links.list(thread_id, page).await
    }

    /// One link of the thread, without its token.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn get(
        &self,
        caller: &Principal,
        thread_id: &ThreadId,
        id: &ShareLinkId,
    ) -> DomainResult<ShareLink> {
        caller.require_scope(Scope::ThreadsRead)?;
        self.access
            .thread(caller, thread_id, ThreadAction::Share)
            .await?;
        self.of_thread(thread_id, id).await
    }

    /// Revokes a link: it stops working when this returns.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn revoke(
        &self,
        caller: &Principal,
        thread_id: &ThreadId,
        id: &ShareLinkId,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::ThreadsWrite)?;
        self.access
            .thread(caller, thread_id, ThreadAction::Share)
            .await?;
        self.of_thread(thread_id, id).await?;
        let audit = NewAuditEntry::by(caller, AuditAction::ShareLinkDeleted)
            .on("share_link", id)
            .details(json!({ "thread_id": thread_id.as_str() }));
        self.links.delete(id, &audit).await
    }

    /// Opens a link: the thread as it is now and a page of its messages, oldest first.
    /// Each successful call is one view. Every failure is [`LINK_NOT_FOUND`], apart from a
    /// bad `limit`/`cursor` (400, checked first, nothing counted) and a throttled password
    /// guess (429, before the password is hashed). A wrong password counts no view.
    #[tracing::instrument(skip_all)]
    pub async fn open(
        &self,
        token: &str,
        reader: ShareReader,
        page: &PageRequest,
    ) -> DomainResult<SharedThread> {
        if let Some(after) = &page.after {
            MessageId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        let token = ShareToken::from_client(token).ok_or(LINK_NOT_FOUND)?;
        let link = self
            .links
            .find_by_token_hash(&token.hash())
            .await?
            .ok_or(LINK_NOT_FOUND)?;
        let now = time::now();
        if !link.is_live(now) {
            return Err(LINK_NOT_FOUND);
        }
        self.check_password(&link, reader).await?;
        if !self.links.record_view(&link.id, now).await? {
            return Err(LINK_NOT_FOUND);
        }
        // Any id finds the thread; the creator's is at hand. Gone since: like a dead link.
        let (thread, _) = self
            .threads
            .find_with_role(&link.thread_id, &link.created_by)
            .await?
            .ok_or(LINK_NOT_FOUND)?;
        let filter = MessageFilter {
            order: SortOrder::Asc,
            ..MessageFilter::default()
        };
        let messages = self.messages.list(&thread.id, &filter, page).await?;
        let mut authors = BTreeMap::new();
        for message in &messages.items {
            if !authors.contains_key(&message.author_id) {
                let profile = self
                    .users
                    .find(&message.author_id)
                    .await?
                    .map(|user| user.public_profile());
                authors.insert(message.author_id.clone(), profile);
            }
        }
        let messages = messages.map(|message| SharedMessage {
            author: authors.get(&message.author_id).cloned().flatten(),
            message,
        });
        Ok(SharedThread { thread, messages })
    }

    /// A link without a password passes. With one, the guess is counted (per address and
    /// per link) before it is hashed, so guessing can neither burn CPU nor go on for long.
    async fn check_password(&self, link: &ShareLink, reader: ShareReader) -> DomainResult<()> {
        let Some(stored) = &link.password_hash else {
            return Ok(());
        };
        let presented = reader.password.ok_or(LINK_NOT_FOUND)?;
        if let Some(limits) = &self.rate_limits {
            limits
                .admit_share_password(link.id.as_str(), reader.ip)
                .await?;
        }
        // Outside what a link's password can be: wrong, without hashing.
        let Ok(password) = SharePassword::parse(presented) else {
            return Err(LINK_NOT_FOUND);
        };
        if self.hasher.verify(password.as_password(), stored).await? {
            Ok(())
        } else {
            Err(LINK_NOT_FOUND)
        }
    }

    async fn of_thread(&self, thread_id: &ThreadId, id: &ShareLinkId) -> DomainResult<ShareLink> {
        match self.links.find(id).await? {
            Some(link) if &link.thread_id == thread_id => Ok(link),
            _ => Err(DomainError::NotFound("share link")),
        }
    }
}
