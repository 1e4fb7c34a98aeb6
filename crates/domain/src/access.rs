//! The one access check for everything inside a thread (the thread itself, its members,
//! messages, reactions and search hits) and for files. A caller who may not read a thread
//! or file learns nothing of it (404, exactly like a missing one); a reader who may not do
//! more gets 403.

use std::sync::Arc;

use crate::{
    auth::Principal,
    file::{File, FileRepository},
    id::{FileId, MessageId, ThreadId},
    message::{Message, MessageRepository},
    thread::{MemberRole, Thread, ThreadRepository},
    DomainError, DomainResult,
};

/// What a caller wants to do in a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadAction {
    /// See the thread, its members and messages: members and ADMINs.
    Read,
    /// React to messages: members, viewers included.
    React,
    /// Post `user` messages and change the thread: owners and editors.
    Write,
    /// Post as `assistant`, `system` or `tool`: ADMINs (agent services) in any thread.
    PostAsAgent,
    /// Add, change and remove members: owners.
    ManageMembers,
    /// Delete the thread or anyone's message in it: owners and ADMINs.
    Moderate,
    /// See, create and revoke the thread's share links: owners and ADMINs.
    Share,
}

/// A caller's standing in one thread.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadAccess {
    pub thread: Thread,
    /// `None` for an ADMIN who is not a member.
    pub role: Option<MemberRole>,
    pub is_admin: bool,
}

impl ThreadAccess {
    pub fn allows(&self, action: ThreadAction) -> bool {
        let at_least = |needed: MemberRole| self.role.is_some_and(|role| role >= needed);
        match action {
            ThreadAction::Read => self.role.is_some() || self.is_admin,
            ThreadAction::React => self.role.is_some(),
            ThreadAction::Write => at_least(MemberRole::Editor),
            ThreadAction::PostAsAgent => self.is_admin,
            ThreadAction::ManageMembers => at_least(MemberRole::Owner),
            ThreadAction::Moderate | ThreadAction::Share => {
                at_least(MemberRole::Owner) || self.is_admin
            }
        }
    }

    fn require(self, action: ThreadAction) -> DomainResult<Self> {
        if !self.allows(ThreadAction::Read) {
            return Err(DomainError::NotFound("thread"));
        }
        if !self.allows(action) {
            return Err(DomainError::Forbidden(match action {
                ThreadAction::Read | ThreadAction::React => "only members of this thread may react",
                ThreadAction::Write => "this needs the owner or editor role in this thread",
                ThreadAction::PostAsAgent => {
                    "posting as assistant, system or tool needs the ADMIN role"
                }
                ThreadAction::ManageMembers => "this needs the owner role in this thread",
                ThreadAction::Moderate => "this needs the owner role in this thread or ADMIN",
                ThreadAction::Share => "share links are managed by the thread's owner or an ADMIN",
            }));
        }
        Ok(self)
    }
}

/// What a caller wants to do with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// Metadata, bytes, preview, attaching it to a message: the owner, members of its
    /// thread, members of threads where it is attached, ADMINs.
    Read,
    /// Rename it or change its metadata: the owner.
    Change,
    /// The owner or an ADMIN.
    Delete,
}

pub struct AccessControl {
    threads: Arc<dyn ThreadRepository>,
    messages: Arc<dyn MessageRepository>,
    files: Arc<dyn FileRepository>,
}

impl AccessControl {
    pub fn new(
        threads: Arc<dyn ThreadRepository>,
        messages: Arc<dyn MessageRepository>,
        files: Arc<dyn FileRepository>,
    ) -> Self {
        Self {
            threads,
            messages,
            files,
        }
    }

    /// A file, if the caller may do `action` with it.
    pub async fn file(
        &self,
        caller: &Principal,
        id: &FileId,
        action: FileAction,
    ) -> DomainResult<File> {
        let file = self
            .files
            .find(id)
            .await?
            .ok_or(DomainError::NotFound("file"))?;
        let is_owner = file.owner_id == caller.user.id;
        let readable = is_owner
            || caller.is_admin()
            || self
                .files
                .readable_through_threads(id, &caller.user.id)
                .await?;
        if !readable {
            return Err(DomainError::NotFound("file"));
        }
        match action {
            FileAction::Read => Ok(file),
            FileAction::Change if is_owner => Ok(file),
            FileAction::Delete if is_owner || caller.is_admin() => Ok(file),
            FileAction::Change => Err(DomainError::Forbidden(
                "only the file's owner may change it",
            )),
            FileAction::Delete => Err(DomainError::Forbidden(
                "only the file's owner or an ADMIN may delete it",
            )),
        }
    }

    /// The caller's access to a thread, if it allows `action`.
    pub async fn thread(
        &self,
        caller: &Principal,
        id: &ThreadId,
        action: ThreadAction,
    ) -> DomainResult<ThreadAccess> {
        let (thread, role) = self
            .threads
            .find_with_role(id, &caller.user.id)
            .await?
            .ok_or(DomainError::NotFound("thread"))?;
        ThreadAccess {
            thread,
            role,
            is_admin: caller.is_admin(),
        }
        .require(action)
    }

    /// A message and the caller's access to its thread, if that allows `action`. A message
    /// in a thread the caller cannot read is "not found", like a missing one.
    pub async fn message(
        &self,
        caller: &Principal,
        id: &MessageId,
        action: ThreadAction,
    ) -> DomainResult<(Message, ThreadAccess)> {
        let message = self
            .messages
            .find(id)
            .await?
            .ok_or(DomainError::NotFound("message"))?;
        let access = self
            .thread(caller, &message.thread_id, action)
            .await
            .map_err(|e| match e {
                DomainError::NotFound(_) => DomainError::NotFound("message"),
                other => other,
            })?;
        Ok((message, access))
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
