//! The rules about users: who may see, create, change and delete whom.

use std::sync::Arc;

use super::{
    AllowedDomains, CreateUser, NewUser, Role, User, UserChanges, UserFilter, UserRepository,
    UserView,
};
use crate::api_key::Scope;
use serde_json::json;

use crate::{
    audit::{AuditAction, NewAuditEntry},
    auth::{PasswordHasher, Principal},
    id::UserId,
    pagination::{Page, PageRequest},
    precondition::Precondition,
    time, DomainError, DomainResult,
};

pub struct UserService {
    users: Arc<dyn UserRepository>,
    hasher: Arc<dyn PasswordHasher>,
    allowed_domains: AllowedDomains,
}

impl UserService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        hasher: Arc<dyn PasswordHasher>,
        allowed_domains: AllowedDomains,
    ) -> Self {
        Self {
            users,
            hasher,
            allowed_domains,
        }
    }

    /// Everyone sees a public profile; the user themselves and ADMINs see the full record.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn get(&self, caller: &Principal, id: &UserId) -> DomainResult<UserView> {
        let user = self.find(id).await?;
        // Anyone's full record is an ADMIN power, which a key uses only with `admin`.
        if caller.is_self(id) || (caller.is_admin() && caller.has_scope(Scope::Admin)) {
            Ok(UserView::Full(user))
        } else {
            Ok(UserView::Public(user.public_profile()))
        }
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<User>> {
        caller.require_scope(Scope::Admin)?;
        caller.require_role(Role::Admin)?;
        // Users are paged by id: a cursor holding anything else was not issued by us.
        if let Some(after) = &page.after {
            UserId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        self.users.list(filter, page).await
    }

    #[tracing::instrument(skip(self, caller, input), fields(caller = %caller.user.id))]
    pub async fn create(&self, caller: &Principal, input: CreateUser) -> DomainResult<User> {
        caller.require_scope(Scope::Admin)?;
        caller.require_role(Role::Admin)?;
        self.allowed_domains.require(&input.email)?;
        let password_hash = match &input.password {
            Some(password) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let new_user = NewUser {
            id: UserId::generate(),
            email: input.email,
            name: input.name,
            role: input.role,
            password_hash,
            external_subject: None,
            created_at: time::now(),
        };
        let audit = NewAuditEntry::by(caller, AuditAction::UserCreated)
            .on("user", &new_user.id)
            .details(json!({ "email": new_user.email.as_str(), "role": new_user.role.as_str() }));
        self.users.insert(&new_user, &audit).await
    }

    /// A user edits their own profile; role and status are ADMIN-only, and nobody changes
    /// their own role or status (so an ADMIN cannot lock out or demote themselves by mistake).
    #[tracing::instrument(skip(self, caller, changes), fields(caller = %caller.user.id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: &UserId,
        changes: UserChanges,
        precondition: &Precondition,
    ) -> DomainResult<User> {
        caller.require_scope(Scope::Admin)?;
        let target = self.find(id).await?;
        let is_self = caller.is_self(id);
        // Sending back the current role or status (a PUT of the whole record) changes nothing.
        let mut changes = changes;
        if changes.role == Some(target.role) {
            changes.role = None;
        }
        if changes.status == Some(target.status) {
            changes.status = None;
        }
        if !is_self && !caller.is_admin() {
            return Err(DomainError::Forbidden("you may only edit your own profile"));
        }
        if changes.role.is_some() {
            if is_self {
                return Err(DomainError::Forbidden("you cannot change your own role"));
            }
            caller.require_role(Role::Admin)?;
        }
        if changes.status.is_some() {
            if is_self {
                return Err(DomainError::Forbidden("you cannot change your own status"));
            }
            caller.require_role(Role::Admin)?;
        }
        precondition.check(&target.etag())?;
        if changes == UserChanges::default() {
            return Ok(target);
        }
        let expected = precondition.write_condition(target.updated_at);
        let mut audit = Vec::new();
        if let Some(role) = changes.role {
            audit.push(
                NewAuditEntry::by(caller, AuditAction::UserRoleChanged)
                    .on("user", id)
                    .details(json!({ "from": target.role.as_str(), "to": role.as_str() })),
            );
        }
        if let Some(status) = changes.status {
            audit.push(
                NewAuditEntry::by(caller, AuditAction::UserStatusChanged)
                    .on("user", id)
                    .details(json!({ "from": target.status.as_str(), "to": status.as_str() })),
            );
        }
        self.users
            .update(
                id,
                &changes,
                expected,
                time::after(target.updated_at),
                &audit,
            )
            .await
    }

    async fn find(&self, id: &UserId) -> DomainResult<User> {
        self.users
            .find(id)
            .await?
            .ok_or(DomainError::NotFound("user"))
    }
}
