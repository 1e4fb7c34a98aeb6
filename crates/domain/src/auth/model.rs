//! Credentials, claims, sessions and the authenticated caller.

use std::{fmt, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::{
    api_key::{KeyGrant, Scope},
    id::{SessionId, UserId},
    time::Timestamp,
    user::{AllowedDomains, Role, User},
    DomainError,
};

/// A plain-text password on its way to the hasher. At least 8 characters; at most 1024 so
/// that nobody can make the server hash megabytes.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: String) -> Result<Self, DomainError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(DomainError::invalid("", "must be at least 8 characters"));
        }
        if chars > Self::MAX_CHARS {
            return Err(DomainError::invalid("", "must be at most 1024 characters"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// The verified content of an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// Our user id for tokens we issue; the identity provider's subject otherwise.
    pub subject: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Set on tokens we issue: the session whose revocation invalidates the token.
    pub session_id: Option<String>,
}

/// A refresh token as handed to the client: 256 random bits, base64url. Only its SHA-256
/// is stored, so a database leak does not leak usable tokens.
#[derive(Clone)]
pub struct RefreshToken(String);

impl RefreshToken {
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_client(raw: String) -> Self {
        Self(raw)
    }

    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

/// Where a request came from, kept on sessions so that users can recognise them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// A sign-in: one refresh-token family. Revoking it ends every token issued under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl Session {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// The state of a presented refresh token.
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshTokenRecord {
    pub session: Session,
    /// Set once the token was exchanged; presenting it again means it was stolen.
    pub used_at: Option<Timestamp>,
}

/// Whether a refresh token could be exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// Someone exchanged the token first: the same token was used twice.
    AlreadyUsed,
}

/// What a successful sign-in returns.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub session_id: SessionId,
    pub access_token: String,
    /// Lifetime of the access token.
    pub expires_in: Duration,
    pub refresh_token: RefreshToken,
}

/// The caller of a request, as established by a verified credential.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    /// The stored user, read on this request (so a suspension applies at once).
    pub user: User,
    /// The role the verified token grants; a role change applies with the next token.
    pub role: Role,
    pub session_id: Option<SessionId>,
    /// What the verified token said (for a key: what the owner's record says).
    pub claims: Claims,
    /// Set when the caller sent an API key: the key and the scopes it is limited to.
    /// `None` for tokens, which may do everything their role allows.
    pub api_key: Option<KeyGrant>,
    /// Where the request came from (address and user agent), for the audit log. Set by
    /// the transport after verification; empty where there is no request.
    pub client: ClientInfo,
}

impl Principal {
    /// The same caller, calling from `client`.
    pub fn with_client(mut self, client: ClientInfo) -> Self {
        self.client = client;
        self
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_self(&self, id: &UserId) -> bool {
        &self.user.id == id
    }

    /// Whether the credential allows `scope`: tokens allow every scope, keys theirs.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.api_key
            .as_ref()
            .is_none_or(|grant| grant.scopes.contains(scope))
    }

    /// The one check of scopes: every service operation names the scope it needs and
    /// asks here before it reads or writes anything. A key without it is refused with
    /// 403, whatever the owner's role would allow.
    pub fn require_scope(&self, scope: Scope) -> Result<(), DomainError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(scope_needed(scope)))
        }
    }

    pub fn require_role(&self, role: Role) -> Result<(), DomainError> {
        if self.role == role || self.role == Role::Admin {
            Ok(())
        } else {
            Err(DomainError::Forbidden("this needs the ADMIN role"))
        }
    }
}

/// The refusal of a key that lacks `scope`, naming it.
fn scope_needed(scope: Scope) -> &'static str {
    match scope {
        Scope::ThreadsRead => "this API key lacks the threads:read scope",
        Scope::ThreadsWrite => "this API key lacks the threads:write scope",
        Scope::MessagesRead => "this API key lacks the messages:read scope",
        Scope::MessagesWrite => "this API key lacks the messages:write scope",
        Scope::MessagesAssistant => "this API key lacks the messages:assistant scope",
        Scope::FilesRead => "this API key lacks the files:read scope",
        Scope::FilesWrite => "this API key lacks the files:write scope",
        Scope::ArtifactsRead => "this API key lacks the artifacts:read scope",
        Scope::ArtifactsWrite => "this API key lacks the artifacts:write scope",
        Scope::Admin => "this API key lacks the admin scope",
    }
}

/// The knobs of authentication, from configuration.
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    pub allowed_domains: AllowedDomains,
    pub allow_registration: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_eight_characters_and_at_most_1024() {
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("long enough".into()).is_ok());
        assert!(Password::parse("é".repeat(8)).is_ok());
        assert!(Password::parse("x".repeat(1025)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret123".into()).ok()),
            "Some(Password(..))"
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.hash().len(), 64);
        assert_eq!(
            RefreshToken::from_client(a.expose().to_owned()).hash(),
            a.hash()
        );
    }
}
