use domain::{
    error::Validator,
    user::{PublicProfile, Role, User, UserStatus, UserView},
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{changed, rfc3339, CheckOptional};

mirrored_enum! {
    /// A user's product-wide role.
    #[serde(rename_all = "UPPERCASE")]
    #[schema(as = Role)]
    pub enum RoleDto mirrors Role { User, Admin }
}

mirrored_enum! {
    /// `suspended` users cannot sign in, and their tokens and keys stop working at once.
    #[serde(rename_all = "lowercase")]
    #[schema(as = UserStatus)]
    pub enum UserStatusDto mirrors UserStatus { Active, Suspended }
}

/// The full user record, as the user themselves and ADMINs see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserResponse {
    #[schema(example = "usr_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    #[schema(example = "ada@rpotential.ai")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    pub avatar_url: Option<String>,
    pub role: RoleDto,
    pub status: UserStatusDto,
    /// Free-form client settings (a JSON object).
    #[schema(value_type = Object)]
    pub preferences: serde_json::Value,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
            avatar_url: user.avatar_url.map(|a| a.as_str().to_owned()),
            role: user.role.into(),
            status: user.status.into(),
            preferences: user.preferences.into_value(),
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
        }
    }
}

/// What any signed-in user sees of another user: these fields and no others.
// `deny_unknown_fields` closes the schema (`additionalProperties: false`), so that a full
// `User` never also matches it where `GET /users/{id}` answers one or the other (`oneOf`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PublicUser)]
pub struct PublicUserResponse {
    pub id: String,
    pub name: String,
    pub avatar_url: Option<String>,
}

impl From<PublicProfile> for PublicUserResponse {
    fn from(profile: PublicProfile) -> Self {
        Self {
            id: profile.id.to_string(),
            name: profile.name.as_str().to_owned(),
            avatar_url: profile.avatar_url.map(|a| a.as_str().to_owned()),
        }
    }
}

/// The full record for yourself and for ADMINs; the public profile otherwise.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = UserOrProfile)]
pub enum UserViewResponse {
    Full(UserResponse),
    Public(PublicUserResponse),
}

impl From<UserView> for UserViewResponse {
    fn from(view: UserView) -> Self {
        match view {
            UserView::Full(user) => Self::Full(user.into()),
            UserView::Public(profile) => Self::Public(profile.into()),
        }
    }
}

/// An ADMIN creating a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(example = "grace@rpotential.ai")]
    pub email: String,
    #[schema(example = "Grace Hopper")]
    pub name: String,
    /// USER when absent.
    pub role: Option<RoleDto>,
    /// Lets the user sign in with a password; at least 8 characters.
    #[schema(min_length = 8)]
    pub password: Option<String>,
}

change_request! {
    /// The fields to change; absent fields stay as they are. `role` and `status` are for
    /// ADMINs, and nobody changes their own.
    pub struct UpdateUserRequest {
        #[schema(value_type = String, required = false)]
        pub name: Option<Option<String>>,
        /// `null` removes the avatar.
        #[schema(value_type = Option<String>, nullable)]
        pub avatar_url: Option<Option<String>>,
        #[schema(value_type = Object, required = false)]
        pub preferences: Option<Option<serde_json::Value>>,
        #[schema(value_type = RoleDto, required = false)]
        pub role: Option<Option<RoleDto>>,
        #[schema(value_type = UserStatusDto, required = false)]
        pub status: Option<Option<UserStatusDto>>,
    }
}

impl TryFrom<UpdateUserRequest> for domain::user::UserChanges {
    type Error = DomainError;

    fn try_from(body: UpdateUserRequest) -> Result<Self, DomainError> {
        use domain::user::{AvatarUrl, Preferences, UserName};
        let mut v = Validator::new();
        let changes = Self {
            name: v.optional("name", changed(body.name, |n| UserName::parse(&n))),
            avatar_url: v
                .check(
                    "avatar_url",
                    body.avatar_url
                        .map(|a| a.as_deref().map(AvatarUrl::parse).transpose())
                        .transpose(),
                )
                .flatten(),
            preferences: v.optional("preferences", changed(body.preferences, Preferences::parse)),
            role: v.optional("role", changed(body.role, Ok)).map(Into::into),
            status: v
                .optional("status", changed(body.status, Ok))
                .map(Into::into),
        };
        v.finish()?;
        Ok(changes)
    }
}

list_query! {
    /// Filters and paging of the user list. Values arrive as text and are parsed by the
    /// domain, so that a bad one is reported under its own name.
    pub struct ListUsersQuery {
        /// Part of a name or email, case-insensitive.
        #[garde(length(chars, max = 200))]
        pub q: Option<String>,
        #[garde(skip)]
        #[param(value_type = Option<RoleDto>)]
        pub role: Option<String>,
        #[garde(skip)]
        #[param(value_type = Option<UserStatusDto>)]
        pub status: Option<String>,
    }
}

impl ListUsersQuery {
    /// The filter, reporting every bad value.
    pub fn filter(&self) -> Result<domain::user::UserFilter, DomainError> {
        let mut v = Validator::new();
        if self
            .q
            .as_deref()
            .is_some_and(|q| q.chars().any(char::is_control))
        {
            v.check::<()>(
                "q",
                Err(DomainError::invalid(
                    "",
                    "must not contain control characters",
                )),
            );
        }
        let filter = domain::user::UserFilter {
            q: self.q.clone(),
            role: v.parsed("role", self.role.as_deref(), Role::parse),
            status: v.parsed("status", self.status.as_deref(), UserStatus::parse),
        };
        v.finish()?;
        Ok(filter)
    }
}
