use domain::{
    user::{PublicProfile, Role, User, UserStatus, UserView},
    DomainError,
};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{not_null, rfc3339};

/// A user's product-wide role.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum RoleDto {
    User,
    Admin,
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::User => Role::User,
            RoleDto::Admin => Role::Admin,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        match role {
            Role::User => RoleDto::User,
            Role::Admin => RoleDto::Admin,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UserStatusDto {
    Active,
    Suspended,
}

impl From<UserStatusDto> for UserStatus {
    fn from(status: UserStatusDto) -> Self {
        match status {
            UserStatusDto::Active => UserStatus::Active,
            UserStatusDto::Suspended => UserStatus::Suspended,
        }
    }
}

impl From<UserStatus> for UserStatusDto {
    fn from(status: UserStatus) -> Self {
        match status {
            UserStatus::Active => UserStatusDto::Active,
            UserStatus::Suspended => UserStatusDto::Suspended,
        }
    }
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

/// What any signed-in user sees of another user.
#[derive(Debug, Serialize, ToSchema)]
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
    pub password: Option<String>,
}

/// The fields to change; absent fields stay as they are. `role` and `status` are for
/// ADMINs, and nobody changes their own.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// `null` removes the avatar.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub avatar_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<RoleDto>)]
    pub role: Option<Option<RoleDto>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<UserStatusDto>)]
    pub status: Option<Option<UserStatusDto>>,
}

impl TryFrom<UpdateUserRequest> for domain::user::UserChanges {
    type Error = DomainError;

    fn try_from(body: UpdateUserRequest) -> Result<Self, DomainError> {
        use domain::user::{AvatarUrl, Preferences, UserName};
        let mut v = domain::error::Validator::new();
        let name = v.check(
            "name",
            body.name
                .map(not_null)
                .transpose()
                .and_then(|n| n.as_deref().map(UserName::parse).transpose()),
        );
        let avatar_url = v.check(
            "avatar_url",
            body.avatar_url
                .map(|a| a.as_deref().map(AvatarUrl::parse).transpose())
                .transpose(),
        );
        let preferences = v.check(
            "preferences",
            body.preferences
                .map(not_null)
                .transpose()
                .and_then(|p| p.map(Preferences::parse).transpose()),
        );
        let role = v.check("role", body.role.map(not_null).transpose());
        let status = v.check("status", body.status.map(not_null).transpose());
        v.finish()?;
        Ok(Self {
            name: name.flatten(),
            avatar_url: avatar_url.flatten(),
            preferences: preferences.flatten(),
            role: role.flatten().map(Into::into),
            status: status.flatten().map(Into::into),
        })
    }
}

/// Filters and paging of the user list. Values arrive as text and are parsed by the
/// domain, so that a bad one is reported under its own name.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
    /// 1 to 100; 20 when absent.
    #[garde(skip)]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[garde(length(max = 1024))]
    pub cursor: Option<String>,
}

impl ListUsersQuery {
    /// The filter, reporting every bad value.
    pub fn filter(&self) -> Result<domain::user::UserFilter, DomainError> {
        let mut v = domain::error::Validator::new();
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
        let role = v.check("role", self.role.as_deref().map(Role::parse).transpose());
        let status = v.check(
            "status",
            self.status.as_deref().map(UserStatus::parse).transpose(),
        );
        v.finish()?;
        Ok(domain::user::UserFilter {
            q: self.q.clone(),
            role: role.flatten(),
            status: status.flatten(),
        })
    }
}
