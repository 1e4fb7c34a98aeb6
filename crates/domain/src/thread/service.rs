//! The rules about threads and their members.

use std::sync::Arc;

use serde_json::json;

use super::{
    CreateThread, Invitee, Member, MemberRole, NewThread, ThreadChanges, ThreadFilter,
    ThreadRepository, ThreadView, LAST_OWNER,
};
use crate::api_key::Scope;
use crate::{
    access::{AccessControl, ThreadAccess, ThreadAction},
    audit::{AuditAction, NewAuditEntry},
    auth::Principal,
    event::{EventKind, NewEvent},
    id::{ThreadId, UserId},
    pagination::{Page, PageRequest},
    precondition::Precondition,
    time,
    user::UserRepository,
    DomainError, DomainResult,
};

pub struct ThreadService {
    threads: Arc<dyn ThreadRepository>,
    users: Arc<dyn UserRepository>,
    access: Arc<AccessControl>,
}

impl ThreadService {
    pub fn new(
        threads: Arc<dyn ThreadRepository>,
        users: Arc<dyn UserRepository>,
        access: Arc<AccessControl>,
    ) -> Self {
        Self {
            threads,
            users,
            access,
        }
    }

    #[tracing::instrument(skip(self, caller, input), fields(caller = %caller.user.id))]
    pub async fn create(
        &self,
        caller: &Principal,
        input: CreateThread,
    ) -> DomainResult<ThreadView> {
        caller.require_scope(Scope::ThreadsWrite)?;
        let thread = NewThread {
            id: ThreadId::generate(),
            owner_id: caller.user.id.clone(),
            fields: input,
            created_at: time::now(),
        };
        let event = NewEvent::new(
            EventKind::ThreadCreated,
            &thread.id,
            &caller.user.id,
            json!({ "thread_id": thread.id }),
            thread.created_at,
        );
        let thread = self.threads.insert(&thread, &event).await?;
        Ok(ThreadView {
            thread,
            my_role: Some(MemberRole::Owner),
        })
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn get(&self, caller: &Principal, id: &ThreadId) -> DomainResult<ThreadView> {
        caller.require_scope(Scope::ThreadsRead)?;
        let access = self.access.thread(caller, id, ThreadAction::Read).await?;
        Ok(view(access))
    }

    /// The threads the caller is a member of (ADMINs too: reading others' threads is by id).
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn list(
        &self,
        caller: &Principal,
        filter: &ThreadFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<ThreadView>> {
        caller.require_scope(Scope::ThreadsRead)?;
        self.threads
            .list_for_member(&caller.user.id, filter, page)
            .await
    }

    #[tracing::instrument(skip(self, caller, changes), fields(caller = %caller.user.id))]
    pub async fn update(
        &self,
        caller: &Principal,
        id: &ThreadId,
        changes: ThreadChanges,
        precondition: &Precondition,
    ) -> DomainResult<ThreadView> {
        caller.require_scope(Scope::ThreadsWrite)?;
        let access = self.access.thread(caller, id, ThreadAction::Write).await?;
        precondition.check(&access.thread.etag())?;
        if changes == ThreadChanges::default() {
            return Ok(view(access));
        }
        let now = time::after(access.thread.updated_at);
        let event = NewEvent::new(
            EventKind::ThreadUpdated,
            id,
            &caller.user.id,
            json!({ "thread_id": id, "fields": changes.field_names() }),
            now,
        );
        let expected = precondition.write_condition(access.thread.updated_at);
        let thread = self
            .threads
            .update(id, &changes, expected, now, &event)
            .await?;
        Ok(ThreadView {
            thread,
            my_role: access.role,
        })
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn delete(
        &self,
        caller: &Principal,
        id: &ThreadId,
        precondition: &Precondition,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::ThreadsWrite)?;
        let access = self
            .access
            .thread(caller, id, ThreadAction::Moderate)
            .await?;
        precondition.check(&access.thread.etag())?;
        let event = NewEvent::new(
            EventKind::ThreadDeleted,
            id,
            &caller.user.id,
            json!({ "thread_id": id }),
            time::now(),
        );
        let audit = NewAuditEntry::by(caller, AuditAction::ThreadDeleted).on("thread", id);
        self.threads
            .delete(
                id,
                precondition.write_condition(access.thread.updated_at),
                &event,
                &audit,
            )
            .await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn members(
        &self,
        caller: &Principal,
        id: &ThreadId,
        page: &PageRequest,
    ) -> DomainResult<Page<Member>> {
        caller.require_scope(Scope::ThreadsRead)?;
        self.access.thread(caller, id, ThreadAction::Read).await?;
        if let Some(after) = &page.after {
            UserId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
        }
        self.threads.members(id, page).await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn member(
        &self,
        caller: &Principal,
        id: &ThreadId,
        user: &UserId,
    ) -> DomainResult<Member> {
        caller.require_scope(Scope::ThreadsRead)?;
        self.access.thread(caller, id, ThreadAction::Read).await?;
        self.find_member(id, user).await
    }

    /// The owner adds someone, named by id or email, with a role.
    #[tracing::instrument(skip(self, caller, invitee), fields(caller = %caller.user.id))]
    pub async fn add_member(
        &self,
        caller: &Principal,
        id: &ThreadId,
        invitee: Invitee,
        role: MemberRole,
    ) -> DomainResult<Member> {
        caller.require_scope(Scope::ThreadsWrite)?;
        self.access
            .thread(caller, id, ThreadAction::ManageMembers)
            .await?;
        let user = match &invitee {
            Invitee::Id(user_id) => self.users.find(user_id).await?,
            Invitee::Email(email) => self
                .users
                .find_credentials(email)
                .await?
                .map(|credentials| credentials.user),
        };
        let Some(user) = user else {
            let field = match invitee {
                Invitee::Id(_) => "user_id",
                Invitee::Email(_) => "email",
            };
            return Err(DomainError::invalid(field, "no such user"));
        };
        let now = time::now();
        let event = NewEvent::new(
            EventKind::MemberAdded,
            id,
            &caller.user.id,
            json!({ "thread_id": id, "user_id": user.id, "role": role.as_str() }),
            now,
        );
        let audit = NewAuditEntry::by(caller, AuditAction::MemberAdded)
            .on("thread", id)
            .details(json!({ "user_id": user.id, "role": role.as_str() }));
        self.threads
            .add_member(id, &user.id, role, now, &event, &audit)
            .await
    }

    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn change_member_role(
        &self,
        caller: &Principal,
        id: &ThreadId,
        user: &UserId,
        role: MemberRole,
    ) -> DomainResult<Member> {
        caller.require_scope(Scope::ThreadsWrite)?;
        self.access
            .thread(caller, id, ThreadAction::ManageMembers)
            .await?;
        let member = self.find_member(id, user).await?;
        if member.role == role {
            return Ok(member);
        }
        if member.role == MemberRole::Owner {
            self.keep_an_owner(id).await?;
        }
        let event = NewEvent::new(
            EventKind::MemberUpdated,
            id,
            &caller.user.id,
            json!({ "thread_id": id, "user_id": user, "role": role.as_str() }),
            time::now(),
        );
        let audit = NewAuditEntry::by(caller, AuditAction::MemberRoleChanged)
            .on("thread", id)
            .details(json!({ "user_id": user, "from": member.role.as_str(), "to": role.as_str() }));
        self.threads
            .change_role(id, user, role, &event, &audit)
            .await
    }

    /// The owner removes anyone; any member may remove themselves (leave). The last owner
    /// cannot go: a thread always has someone who can manage it.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user.id))]
    pub async fn remove_member(
        &self,
        caller: &Principal,
        id: &ThreadId,
        user: &UserId,
    ) -> DomainResult<()> {
        caller.require_scope(Scope::ThreadsWrite)?;
        let access = self.access.thread(caller, id, ThreadAction::Read).await?;
        if !caller.is_self(user) && !access.allows(ThreadAction::ManageMembers) {
            return Err(DomainError::Forbidden(
                "only an owner removes other members",
            ));
        }
        let member = self.find_member(id, user).await?;
        if member.role == MemberRole::Owner {
            self.keep_an_owner(id).await?;
        }
        let event = NewEvent::new(
            EventKind::MemberRemoved,
            id,
            &caller.user.id,
            json!({ "thread_id": id, "user_id": user }),
            time::now(),
        );
        let audit = NewAuditEntry::by(caller, AuditAction::MemberRemoved)
            .on("thread", id)
            .details(json!({ "user_id": user, "role": member.role.as_str() }));
        self.threads.remove_member(id, user, &event, &audit).await
    }

    async fn find_member(&self, id: &ThreadId, user: &UserId) -> DomainResult<Member> {
        self.threads
            .member(id, user)
            .await?
            .ok_or(DomainError::NotFound("member"))
    }

    /// Names the rule and fails fast; the repository enforces it again inside the write's
    /// transaction, where two owners demoting each other at once cannot both pass.
    async fn keep_an_owner(&self, id: &ThreadId) -> DomainResult<()> {
        if self.threads.count_owners(id).await? <= 1 {
            return Err(DomainError::Conflict(LAST_OWNER));
        }
        Ok(())
    }
}

fn view(access: ThreadAccess) -> ThreadView {
    ThreadView {
        thread: access.thread,
        my_role: access.role,
    }
}
