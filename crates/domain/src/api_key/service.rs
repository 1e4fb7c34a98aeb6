//! The rules of API keys: who may hold which scopes, and turning a presented secret into
//! the caller it stands for.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{
    ApiKey, ApiKeyChanges, ApiKeyRepository, ApiKeySecret, CreateApiKey, IssuedApiKey, KeyGrant,
    NewApiKey, Scopes,
};
use serde_json::json;

use crate::{
    audit::{AuditAction, NewAuditEntry},
    auth::{Claims, ClientInfo, Principal},
    id::ApiKeyId,
    pagination::{Page, PageRequest},
    precondition::Precondition,
    time::{self, Timestamp},
    user::{AllowedDomains, User, UserRepository, UserStatus},
    DomainError, DomainResult,
};

/// How stale a key's `last_used_at` may get: it is written at most once per interval.
pub const LAST_USED_PRECISION: ChronoDuration = ChronoDuration::seconds(60);

/// `exp` of a key without expiry as `/auth/verify` shows it: 9999-12-31T23:59:59Z.
pub const NO_EXPIRY: i64 = 253_402_300_799;

const INVALID_KEY: &str = "invalid API key";

pub struct ApiKeyService {
    keys: Arc<dyn ApiKeyRepository>,
    users: Arc<dyn UserRepository>,
    allowed_domains: AllowedDomains,
}

impl ApiKeyService {
    pub fn new(
        keys: Arc<dyn ApiKeyRepository>,
        users: Arc<dyn UserRepository>,
        allowed_domains: AllowedDomains,
    ) -> Self {
        Self {
            keys,
            users,
            allowed_domains,
        }
    }

    /// A page of the caller's keys, newest first.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(&self, caller: &Principal, page: &PageRequest) -> DomainResult<Page<ApiKey>> {
        require_interactive(caller)?;
        if let Some(after) = &page.after {
            ApiKeyId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        self.keys.list(&caller.user.id, page).await
    }

    /// One of the caller's keys; anybody else's is "not found".
    pub async fn get(&self, caller: &Principal, id: &ApiKeyId) -> DomainResult<ApiKey> {
        require_interactive(caller)?;
        self.own(caller, id).await
    }

    /// Makes a key for the caller and returns its secret, which is never shown again.
    #[tracing::instrument(skip(self, caller, input), fields(caller = %caller.user.id))]
    pub async fn create(
        &self,
        caller: &Principal,
        input: CreateApiKey,
    ) -> DomainResult<IssuedApiKey> {
        require_interactive(caller)?;
        require_grantable(caller, &input.scopes)?;
        let now = time::now();
        if input.expires_at.is_some_and(|at| at <= now) {
            return Err(DomainError::invalid("expires_at", "must be in the future"));
        }
        let secret = ApiKeySecret::generate();
        let key = ApiKey {
            id: ApiKeyId::generate(),
            user_id: caller.user.id.clone(),
            name: input.name,
            scopes: input.scopes,
            prefix: secret.shown_prefix(),
            created_at: now,
            updated_at: now,
            last_used_at: None,
            expires_at: input.expires_at,
        };
        let audit = NewAuditEntry::by(caller, AuditAction::ApiKeyCreated)
            .on("api_key", &key.id)
            .details(json!({ "name": key.name.as_str(), "scopes": key.scopes.to_stored() }));
        let key = self
            .keys
            .insert(
                &NewApiKey {
                    key,
                    secret_hash: secret.hash(),
                },
                &audit,
            )
            .await?;
        Ok(IssuedApiKey { key, secret })
    }

    /// Renames a key or changes its scopes. Granting an ADMIN-only scope needs ADMIN.
    #[tracing::instrument(skip(self, caller, changes), fields(caller = %caller.user.id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: &ApiKeyId,
        changes: ApiKeyChanges,
        precondition: &Precondition,
    ) -> DomainResult<ApiKey> {
        require_interactive(caller)?;
        let key = self.own(caller, id).await?;
        if let Some(scopes) = &changes.scopes {
            require_grantable(caller, scopes)?;
        }
        precondition.check(&key.etag())?;
        if changes == ApiKeyChanges::default() {
            return Ok(key);
        }
        let expected = precondition.write_condition(key.updated_at);
        let mut details = serde_json::Map::new();
        if let Some(name) = &changes.name {
            details.insert("name".into(), json!(name.as_str()));
        }
        if let Some(scopes) = &changes.scopes {
            details.insert(
                "scopes".into(),
                json!({ "from": key.scopes.to_stored(), "to": scopes.to_stored() }),
            );
        }
        let audit = NewAuditEntry::by(caller, AuditAction::ApiKeyUpdated)
            .on("api_key", id)
            .details(details.into());
        self.keys
            .update(id, &changes, expected, time::after(key.updated_at), &audit)
            .await
    }

    /// Gives a key a new secret; the old one stops working at once.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn rotate(
        &self,
        caller: &Principal,
        id: &ApiKeyId,
        precondition: &Precondition,
    ) -> DomainResult<IssuedApiKey> {
        require_interactive(caller)?;
        let key = self.own(caller, id).await?;
        precondition.check(&key.etag())?;
        let secret = ApiKeySecret::generate();
        let key = self
            .keys
            .rotate(
                id,
                &secret.hash(),
                &secret.shown_prefix(),
                precondition.write_condition(key.updated_at),
                time::after(key.updated_at),
                &NewAuditEntry::by(caller, AuditAction::ApiKeyRotated).on("api_key", id),
            )
            .await?;
        Ok(IssuedApiKey { key, secret })
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn delete(
        &self,
        caller: &Principal,
        id: &ApiKeyId,
        precondition: &Precondition,
    ) -> DomainResult<()> {
        require_interactive(caller)?;
        let key = self.own(caller, id).await?;
        precondition.check(&key.etag())?;
        let audit = NewAuditEntry::by(caller, AuditAction::ApiKeyDeleted)
            .on("api_key", id)
            .details(json!({ "name": key.name.as_str() }));
        self.keys
            .delete(id, precondition.write_condition(key.updated_at), &audit)
            .await
    }

    /// Turns a presented `X-API-Key` into the caller: its owner, limited to its scopes.
    /// Runs on every request with a key: the key and its owner are read afresh, so a
    /// rotated or deleted key, and a suspended or deleted owner, stop at once. The owner's
    /// role is the stored one (a key has no token to carry a role). An unknown or expired
    /// key is 401; a suspended owner 403, as for tokens.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, presented: &str) -> DomainResult<Principal> {
        if !presented.starts_with(ApiKeySecret::PREFIX) || presented.len() > 256 {
            return Err(DomainError::Unauthorized(INVALID_KEY));
        }
        let hash = ApiKeySecret::from_client(presented).hash();
        let key = self
            .keys
            .find_by_secret_hash(&hash)
            .await?
            .ok_or(DomainError::Unauthorized(INVALID_KEY))?;
        let now = time::now();
        if key.is_expired(now) {
            return Err(DomainError::Unauthorized("API key has expired"));
        }
        let user = self
            .users
            .find(&key.user_id)
            .await?
            .ok_or(DomainError::Unauthorized(INVALID_KEY))?;
        if user.status == UserStatus::Suspended {
            return Err(DomainError::Forbidden("user is suspended"));
        }
        self.allowed_domains.require(&user.email)?;
        self.record_use(&key, now).await;
        Ok(principal_for(user, key))
    }

    /// Keeps `last_used_at` within [`LAST_USED_PRECISION`] of the truth with at most one
    /// write per key and interval: the key was just read, so a recent enough value costs
    /// nothing. A failed write is logged, not fatal: the request itself is fine.
    async fn record_use(&self, key: &ApiKey, now: Timestamp) {
        let since = now - LAST_USED_PRECISION;
        if key.last_used_at.is_some_and(|at| at >= since) {
            return;
        }
        if let Err(err) = self.keys.touch(&key.id, now, since).await {
            tracing::warn!(key = %key.id, error = %err, "could not record the use of an API key");
        }
    }

    async fn own(&self, caller: &Principal, id: &ApiKeyId) -> DomainResult<ApiKey> {
        match self.keys.find(id).await? {
            Some(key) if key.user_id == caller.user.id => Ok(key),
            _ => Err(DomainError::NotFound("api key")),
        }
    }
}

/// Keys are managed by a person signed in with a token, never by another key: a leaked
/// key cannot mint itself successors or widen its own scopes.
fn require_interactive(caller: &Principal) -> DomainResult<()> {
    if caller.api_key.is_some() {
        return Err(DomainError::Forbidden(
            "API keys cannot manage API keys; sign in with a token",
        ));
    }
    Ok(())
}

/// Only an ADMIN may put `messages:assistant` or `admin` on a key.
fn require_grantable(caller: &Principal, scopes: &Scopes) -> DomainResult<()> {
    match scopes.admin_only() {
        Some(_) if !caller.is_admin() => Err(DomainError::Forbidden(
            "only an ADMIN may grant the messages:assistant and admin scopes",
        )),
        _ => Ok(()),
    }
}

fn principal_for(user: User, key: ApiKey) -> Principal {
    let claims = Claims {
        subject: user.id.to_string(),
        email: user.email.to_string(),
        name: user.name.as_str().to_owned(),
        role: user.role,
        issued_at: key.created_at.timestamp(),
        expires_at: key.expires_at.map_or(NO_EXPIRY, |at| at.timestamp()),
        session_id: None,
    };
    Principal {
        role: user.role,
        user,
        session_id: None,
        claims,
        api_key: Some(KeyGrant {
            id: key.id,
            scopes: key.scopes,
        }),
        client: ClientInfo::default(),
    }
}
