//! User entities and the value types that can only hold valid values.

use std::fmt;

use crate::{error::Validator, id::UserId, precondition::EntityTag, time::Timestamp, DomainError};

/// What a user may do across the whole product. Thread roles are a separate concept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Admin => "ADMIN",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "USER" => Ok(Self::User),
            "ADMIN" => Ok(Self::Admin),
            _ => Err(DomainError::invalid("", "must be USER or ADMIN")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Active,
    /// Refused on every request, at once, whatever tokens the user still holds.
    Suspended,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            _ => Err(DomainError::invalid("", "must be active or suspended")),
        }
    }
}

/// An email address, normalised to lower case so that one mailbox is one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let normalised = raw.trim().to_lowercase();
        if normalised.len() > Self::MAX_LEN {
            return Err(DomainError::invalid("", "must be at most 254 characters"));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            &normalised,
            email_address::Options::default().without_display_text(),
        );
        match parsed {
            Ok(address) if address.domain().contains('.') => Ok(Self(normalised)),
            _ => Err(DomainError::invalid("", "must be an email address")),
        }
    }

    /// The part after the `@`, which decides whether the address may sign in.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name: 1 to 100 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid("", "must not be empty"));
        }
        crate::text::bounded(trimmed, Self::MAX_CHARS, crate::text::Lines::Single).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link to a profile picture: an absolute http(s) URL of at most 2048 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvatarUrl(String);

impl AvatarUrl {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() > 2048 {
            return Err(DomainError::invalid("", "must be at most 2048 characters"));
        }
        match url::Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
                Ok(Self(url.to_string()))
            }
            _ => Err(DomainError::invalid("", "must be an http or https URL")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free-form client settings: a JSON object of at most 16 KiB serialized.
pub type Preferences = crate::json_object::JsonObject<{ 16 * 1024 }, { usize::MAX }>;

/// A stored password hash in PHC string format; opaque to the domain.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: UserName,
    pub avatar_url: Option<AvatarUrl>,
    pub role: Role,
    pub status: UserStatus,
    pub preferences: Preferences,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    pub fn etag(&self) -> EntityTag {
        EntityTag::of(self.updated_at)
    }

    pub fn public_profile(&self) -> PublicProfile {
        PublicProfile {
            id: self.id.clone(),
            name: self.name.clone(),
            avatar_url: self.avatar_url.clone(),
            updated_at: self.updated_at,
        }
    }
}

/// What any signed-in user may see of another.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicProfile {
    pub id: UserId,
    pub name: UserName,
    pub avatar_url: Option<AvatarUrl>,
    /// Not shown; versions the profile for `ETag`.
    pub updated_at: Timestamp,
}

/// A user as the caller may see them.
#[derive(Clone, Debug, PartialEq)]
pub enum UserView {
    Full(User),
    Public(PublicProfile),
}

impl UserView {
    pub fn etag(&self) -> EntityTag {
        match self {
            Self::Full(user) => user.etag(),
            Self::Public(profile) => EntityTag::of(profile.updated_at),
        }
    }
}

/// A user about to be stored.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub name: UserName,
    pub role: Role,
    pub password_hash: Option<PasswordHash>,
    /// The `sub` of an external identity provider's token, for users it provisioned.
    pub external_subject: Option<String>,
    pub created_at: Timestamp,
}

/// A user with the hash needed to check a password.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: Option<PasswordHash>,
}

/// The fields a write sets; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserChanges {
    pub name: Option<UserName>,
    /// `Some(None)` clears the avatar.
    pub avatar_url: Option<Option<AvatarUrl>>,
    pub preferences: Option<Preferences>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// Filters of the admin's user list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserFilter {
    /// Matches a substring of the name or email, case-insensitively.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// The email domains whose users may sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedDomains(Vec<String>);

impl AllowedDomains {
    pub fn new(domains: impl IntoIterator<Item = String>) -> Self {
        Self(
            domains
                .into_iter()
                .map(|d| d.trim().to_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
        )
    }

    /// An exact match of the address's domain; subdomains are not implied.
    pub fn permits(&self, email: &Email) -> bool {
        self.0.iter().any(|d| d == email.domain())
    }

    pub fn require(&self, email: &Email) -> Result<(), DomainError> {
        if self.permits(email) {
            Ok(())
        } else {
            Err(DomainError::Forbidden("email domain is not allowed"))
        }
    }
}

/// The input of an ADMIN creating a user.
#[derive(Clone, Debug)]
pub struct CreateUser {
    pub email: Email,
    pub name: UserName,
    pub role: Role,
    pub password: Option<crate::auth::Password>,
}

impl CreateUser {
    /// Parses raw fields, reporting every bad one.
    pub fn parse(
        email: &str,
        name: &str,
        role: Option<Role>,
        password: Option<String>,
    ) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let email = v.check("email", Email::parse(email));
        let name = v.check("name", UserName::parse(name));
        let password = v.check(
            "password",
            password.map(crate::auth::Password::parse).transpose(),
        );
        v.finish()?;
        match (email, name, password) {
            (Some(email), Some(name), Some(password)) => Ok(Self {
                email,
                name,
                role: role.unwrap_or(Role::User),
                password,
            }),
            _ => Err(DomainError::invalid("", "invalid user")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_lowercased_and_knows_its_domain() {
        let email = Email::parse("  Ada@RPotential.AI ").map_err(|e| e.to_string());
        assert_eq!(email.as_ref().map(Email::as_str), Ok("ada@rpotential.ai"));
        assert_eq!(email.as_ref().map(Email::domain), Ok("rpotential.ai"));
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@x.io",
            "ada@localhost",
            "a b@x.io",
            "Ada <ada@x.io>",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw} was accepted");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            UserName::parse(" Ada ").map(|n| n.0).ok(),
            Some("Ada".into())
        );
        assert!(UserName::parse("   ").is_err());
        assert!(UserName::parse(&"x".repeat(101)).is_err());
        assert!(UserName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn avatar_urls_must_be_http() {
        assert!(AvatarUrl::parse("https://cdn.example.com/a.png").is_ok());
        assert!(AvatarUrl::parse("javascript:alert(1)").is_err());
        assert!(AvatarUrl::parse("/relative.png").is_err());
    }

    #[test]
    fn preferences_must_be_a_small_object() {
        assert!(Preferences::parse(serde_json::json!({"theme": "dark"})).is_ok());
        assert!(Preferences::parse(serde_json::json!([1, 2])).is_err());
        let big = "x".repeat(16 * 1024);
        assert!(Preferences::parse(serde_json::json!({ "big": big })).is_err());
    }

    #[test]
    fn allowed_domains_match_exactly() {
        let allowed = AllowedDomains::new(["rpotential.ai".to_owned(), " Globant.com".to_owned()]);
        let ok = |raw: &str| {
            Email::parse(raw)
                .map(|e| allowed.permits(&e))
                .unwrap_or(false)
        };
        assert!(ok("a@rpotential.ai"));
        assert!(ok("a@globant.com"));
        assert!(!ok("a@evil.com"));
        assert!(!ok("a@sub.rpotential.ai"));
        assert!(!ok("a@rpotential.ai.evil.com"));
    }

    #[test]
    fn role_and_status_parse_only_known_values() {
        assert_eq!(Role::parse("ADMIN").ok(), Some(Role::Admin));
        assert!(Role::parse("admin").is_err());
        assert_eq!(
            UserStatus::parse("suspended").ok(),
            Some(UserStatus::Suspended)
        );
        assert!(UserStatus::parse("deleted").is_err());
    }
}
