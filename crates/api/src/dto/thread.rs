use domain::{
    error::Validator,
    id::UserId,
    json_object::{Memory, Metadata},
    thread::{
        CreateThread, Invitee, Member, MemberRole, ThreadChanges, ThreadDescription, ThreadFilter,
        ThreadStatus, ThreadTitle, ThreadView,
    },
    user::Email,
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{changed, parse_bool, rfc3339, CheckOptional};

mirrored_enum! {
    #[serde(rename_all = "lowercase")]
    #[schema(as = ThreadStatus)]
    pub enum ThreadStatusDto mirrors ThreadStatus { Active, Archived }
}

mirrored_enum! {
    /// `owner` (everything), `editor` (post, react, change the thread), `viewer` (read, react).
    #[serde(rename_all = "lowercase")]
    #[schema(as = MemberRole)]
    pub enum MemberRoleDto mirrors MemberRole { Owner, Editor, Viewer }
}

/// A conversation, as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Thread)]
pub struct ThreadResponse {
    #[schema(example = "thr_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    #[schema(example = "Quarterly planning")]
    pub title: String,
    pub description: String,
    pub status: ThreadStatusDto,
    pub pinned: bool,
    /// A JSON object, at most 16 KiB serialized and 64 keys.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// The conversation's working memory: a JSON object of at most 64 KiB.
    #[schema(value_type = Object)]
    pub memory: serde_json::Value,
    pub owner_id: String,
    /// The caller's role; null for an ADMIN reading a thread they are not a member of.
    pub my_role: Option<MemberRoleDto>,
    pub message_count: u64,
    #[schema(format = DateTime)]
    pub last_message_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<ThreadView> for ThreadResponse {
    fn from(view: ThreadView) -> Self {
        let thread = view.thread;
        Self {
            id: thread.id.to_string(),
            title: thread.title.as_str().to_owned(),
            description: thread.description.as_str().to_owned(),
            status: thread.status.into(),
            pinned: thread.pinned,
            metadata: thread.metadata.into_value(),
            memory: thread.memory.into_value(),
            owner_id: thread.owner_id.to_string(),
            my_role: view.my_role.map(Into::into),
            message_count: thread.message_count,
            last_message_at: thread.last_message_at.map(rfc3339),
            created_at: rfc3339(thread.created_at),
            updated_at: rfc3339(thread.updated_at),
        }
    }
}

/// A new thread; every field is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThreadRequest {
    /// At most 200 characters; empty when absent.
    #[schema(example = "Quarterly planning")]
    pub title: Option<String>,
    /// At most 2,000 characters.
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub memory: Option<serde_json::Value>,
    pub pinned: Option<bool>,
}

impl TryFrom<CreateThreadRequest> for CreateThread {
    type Error = DomainError;

    fn try_from(body: CreateThreadRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let thread = Self {
            title: v
                .parsed("title", body.title.as_deref(), ThreadTitle::parse)
                .unwrap_or_default(),
            description: v
                .parsed(
                    "description",
                    body.description.as_deref(),
                    ThreadDescription::parse,
                )
                .unwrap_or_default(),
            metadata: v
                .parsed("metadata", body.metadata, Metadata::parse)
                .unwrap_or_default(),
            memory: v
                .parsed("memory", body.memory, Memory::parse)
                .unwrap_or_default(),
            pinned: body.pinned.unwrap_or(false),
        };
        v.finish()?;
        Ok(thread)
    }
}

change_request! {
    /// The fields to change; absent fields stay as they are.
    pub struct UpdateThreadRequest {
        #[schema(value_type = String, required = false)]
        pub title: Option<Option<String>>,
        #[schema(value_type = String, required = false)]
        pub description: Option<Option<String>>,
        /// Replaces the whole object.
        #[schema(value_type = Object, required = false)]
        pub metadata: Option<Option<serde_json::Value>>,
        /// Replaces the whole object.
        #[schema(value_type = Object, required = false)]
        pub memory: Option<Option<serde_json::Value>>,
        #[schema(value_type = ThreadStatusDto, required = false)]
        pub status: Option<Option<ThreadStatusDto>>,
        #[schema(value_type = bool, required = false)]
        pub pinned: Option<Option<bool>>,
    }
}

impl TryFrom<UpdateThreadRequest> for ThreadChanges {
    type Error = DomainError;

    fn try_from(body: UpdateThreadRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let changes = Self {
            title: v.optional("title", changed(body.title, |t| ThreadTitle::parse(&t))),
            description: v.optional(
                "description",
                changed(body.description, |d| ThreadDescription::parse(&d)),
            ),
            metadata: v.optional("metadata", changed(body.metadata, Metadata::parse)),
            memory: v.optional("memory", changed(body.memory, Memory::parse)),
            status: v
                .optional("status", changed(body.status, Ok))
                .map(Into::into),
            pinned: v.optional("pinned", changed(body.pinned, Ok)),
        };
        v.finish()?;
        Ok(changes)
    }
}

list_query! {
    /// Filters and paging of the caller's threads, latest activity first.
    pub struct ListThreadsQuery {
        #[garde(skip)]
        #[param(value_type = Option<ThreadStatusDto>)]
        pub status: Option<String>,
        #[garde(skip)]
        #[param(value_type = Option<bool>)]
        pub pinned: Option<String>,
        /// Part of the title, case-insensitive.
        #[garde(length(chars, max = 200))]
        pub q: Option<String>,
    }
}

impl ListThreadsQuery {
    pub fn filter(&self) -> Result<ThreadFilter, DomainError> {
        let mut v = Validator::new();
        let filter = ThreadFilter {
            status: v.parsed("status", self.status.as_deref(), ThreadStatus::parse),
            pinned: v.parsed("pinned", self.pinned.as_deref(), parse_bool),
            q: v.parsed("q", self.q.as_deref(), ThreadTitle::parse)
                .map(|q| q.as_str().to_owned()),
        };
        v.finish()?;
        Ok(filter)
    }
}

/// A member of a thread.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ThreadMember)]
pub struct MemberResponse {
    pub user_id: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub role: MemberRoleDto,
    #[schema(format = DateTime)]
    pub added_at: String,
}

impl From<Member> for MemberResponse {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.user_id.to_string(),
            name: member.name.as_str().to_owned(),
            avatar_url: member.avatar_url.map(|a| a.as_str().to_owned()),
            role: member.role.into(),
            added_at: rfc3339(member.added_at),
        }
    }
}

/// Whom to add, by `user_id` or `email` (exactly one), and with which role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub user_id: Option<String>,
    #[schema(example = "grace@rpotential.ai")]
    pub email: Option<String>,
    pub role: MemberRoleDto,
}

impl AddMemberRequest {
    pub fn invitee(&self) -> Result<Invitee, DomainError> {
        match (&self.user_id, &self.email) {
            (Some(id), None) => UserId::parse(id)
                .map(Invitee::Id)
                .map_err(|_| DomainError::invalid("user_id", "is not a valid user id")),
            (None, Some(email)) => Email::parse(email)
                .map(Invitee::Email)
                .map_err(|_| DomainError::invalid("email", "is not a valid email address")),
            _ => Err(DomainError::invalid(
                "user_id",
                "give exactly one of user_id and email",
            )),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeMemberRoleRequest {
    pub role: MemberRoleDto,
}
