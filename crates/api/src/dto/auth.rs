use domain::auth::{Principal, Session, SignedIn};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    rfc3339,
    user::{RoleDto, UserResponse},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@rpotential.ai")]
    pub email: String,
    /// At least 8 characters.
    #[schema(example = "correct horse battery", min_length = 8)]
    pub password: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[garde(length(max = 320))]
    #[schema(example = "ada@rpotential.ai")]
    pub email: String,
    #[garde(length(max = 4096))]
    #[schema(example = "correct horse battery")]
    pub password: String,
}

/// The refresh token may instead come from the refresh cookie, with an empty body.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[garde(length(min = 1, max = 512))]
    pub refresh_token: String,
}

/// A fresh token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer`; also set as the auth cookie.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Exchange it at `/api/v1/auth/refresh`; it works once.
    pub refresh_token: String,
    pub user: UserResponse,
}

impl From<SignedIn> for TokenResponse {
    fn from(signed_in: SignedIn) -> Self {
        Self {
            access_token: signed_in.access_token,
            token_type: "Bearer",
            expires_in: signed_in.expires_in.as_secs(),
            refresh_token: signed_in.refresh_token.expose().to_owned(),
            user: signed_in.user.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedClaims {
    pub sub: String,
    pub email: String,
    pub role: RoleDto,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    #[schema(example = true)]
    pub valid: bool,
    pub user: UserResponse,
    pub claims: VerifiedClaims,
}

impl From<Principal> for VerifyResponse {
    fn from(principal: Principal) -> Self {
        let claims = VerifiedClaims {
            sub: principal.claims.subject.clone(),
            email: principal.claims.email.clone(),
            role: principal.role.into(),
            exp: principal.claims.expires_at,
        };
        Self {
            valid: true,
            user: principal.user.into(),
            claims,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    #[schema(example = "ses_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// Whether this is the session of the request's own token.
    pub current: bool,
}

impl SessionResponse {
    pub fn new(session: Session, current: bool) -> Self {
        Self {
            id: session.id.to_string(),
            created_at: rfc3339(session.created_at),
            last_used_at: rfc3339(session.last_used_at),
            expires_at: rfc3339(session.expires_at),
            user_agent: session.user_agent,
            ip: session.ip,
            current,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutResponse {
    /// The session that ended; null for a token that had none (minted elsewhere).
    pub revoked_session_id: Option<String>,
}
