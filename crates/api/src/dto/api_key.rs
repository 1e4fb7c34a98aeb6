//! API keys on the wire: the key as listed (never its secret), the key with its secret as
//! shown once, and the requests that create and change keys.

use chrono::{DateTime, SubsecRound, Utc};
use domain::{
    api_key::{ApiKey, ApiKeyChanges, ApiKeyName, CreateApiKey, IssuedApiKey, Scope, Scopes},
    error::Validator,
    time::Timestamp,
    DomainError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{changed, rfc3339, CheckOptional};

/// What a key may do. A key holds a set of these; see `docs/api.md` for the routes each
/// one opens. `messages:assistant` and `admin` may be granted only by an ADMIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ApiKeyScope)]
pub enum ScopeDto {
    #[serde(rename = "threads:read")]
    ThreadsRead,
    #[serde(rename = "threads:write")]
    ThreadsWrite,
    #[serde(rename = "messages:read")]
    MessagesRead,
    #[serde(rename = "messages:write")]
    MessagesWrite,
    #[serde(rename = "messages:assistant")]
    MessagesAssistant,
    #[serde(rename = "files:read")]
    FilesRead,
    #[serde(rename = "files:write")]
    FilesWrite,
    #[serde(rename = "artifacts:read")]
    ArtifactsRead,
    #[serde(rename = "artifacts:write")]
    ArtifactsWrite,
    #[serde(rename = "admin")]
    Admin,
}

impl From<ScopeDto> for Scope {
    fn from(value: ScopeDto) -> Self {
        match value {
            ScopeDto::ThreadsRead => Scope::ThreadsRead,
            ScopeDto::ThreadsWrite => Scope::ThreadsWrite,
            ScopeDto::MessagesRead => Scope::MessagesRead,
            ScopeDto::MessagesWrite => Scope::MessagesWrite,
            ScopeDto::MessagesAssistant => Scope::MessagesAssistant,
            ScopeDto::FilesRead => Scope::FilesRead,
            ScopeDto::FilesWrite => Scope::FilesWrite,
            ScopeDto::ArtifactsRead => Scope::ArtifactsRead,
            ScopeDto::ArtifactsWrite => Scope::ArtifactsWrite,
            ScopeDto::Admin => Scope::Admin,
        }
    }
}

impl From<Scope> for ScopeDto {
    fn from(value: Scope) -> Self {
        match value {
            Scope::ThreadsRead => ScopeDto::ThreadsRead,
            Scope::ThreadsWrite => ScopeDto::ThreadsWrite,
            Scope::MessagesRead => ScopeDto::MessagesRead,
            Scope::MessagesWrite => ScopeDto::MessagesWrite,
            Scope::MessagesAssistant => ScopeDto::MessagesAssistant,
            Scope::FilesRead => ScopeDto::FilesRead,
            Scope::FilesWrite => ScopeDto::FilesWrite,
            Scope::ArtifactsRead => ScopeDto::ArtifactsRead,
            Scope::ArtifactsWrite => ScopeDto::ArtifactsWrite,
            Scope::Admin => ScopeDto::Admin,
        }
    }
}

/// An API key as listed: everything but the secret, which is shown only once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKey)]
pub struct ApiKeyResponse {
    #[schema(example = "key_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e")]
    pub id: String,
    #[schema(example = "summariser agent")]
    pub name: String,
    pub scopes: Vec<ScopeDto>,
    /// The first characters of the secret, to recognise the key by.
    #[schema(example = "xl_Q2hhdCBr")]
    pub prefix: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The last request made with the key, to within a minute; `null` if never used.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    /// After this the key is refused (401); `null`: it does not expire.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name.as_str().to_owned(),
            scopes: key.scopes.iter().map(ScopeDto::from).collect(),
            prefix: key.prefix,
            created_at: rfc3339(key.created_at),
            updated_at: rfc3339(key.updated_at),
            last_used_at: key.last_used_at.map(rfc3339),
            expires_at: key.expires_at.map(rfc3339),
        }
    }
}

/// A key just created or rotated, with its secret. The secret is not stored and cannot
/// be shown again: keep it now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = IssuedApiKey)]
pub struct IssuedApiKeyResponse {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    /// Send it as `X-API-Key`. `xl_` and 256 random bits.
    #[schema(example = "xl_Q2hhdCBrZXkgZXhhbXBsZSwgbm90IGEgcmVhbCBzZWNyZXQu")]
    pub secret: String,
}

impl From<IssuedApiKey> for IssuedApiKeyResponse {
    fn from(issued: IssuedApiKey) -> Self {
        Self {
            secret: issued.secret.expose().to_owned(),
            key: ApiKeyResponse::from(issued.key),
        }
    }
}

/// A new key for the caller.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateApiKey)]
pub struct CreateApiKeyRequest {
    /// 1–100 characters on one line.
    #[schema(example = "summariser agent")]
    pub name: String,
    /// At least one.
    #[schema(min_items = 1)]
    pub scopes: Vec<ScopeDto>,
    /// A future instant (RFC 3339); absent or `null`: the key does not expire.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

impl TryFrom<CreateApiKeyRequest> for CreateApiKey {
    type Error = DomainError;

    fn try_from(body: CreateApiKeyRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = v.check("name", ApiKeyName::parse(&body.name));
        let scopes = v.check("scopes", parse_scopes(body.scopes));
        let expires_at = v.parsed("expires_at", body.expires_at.as_deref(), parse_time);
        v.finish()?;
        match (name, scopes) {
            (Some(name), Some(scopes)) => Ok(Self {
                name,
                scopes,
                expires_at,
            }),
            _ => Err(DomainError::invalid("", "invalid API key")),
        }
    }
}

change_request! {
    /// The fields to change; absent fields stay as they are. A key's expiry and secret
    /// are not changed here (rotate for a new secret).
    pub struct UpdateApiKeyRequest {
        #[schema(value_type = String, required = false)]
        pub name: Option<Option<String>>,
        /// Replaces the whole set.
        #[schema(value_type = Vec<ScopeDto>, required = false, min_items = 1)]
        pub scopes: Option<Option<Vec<ScopeDto>>>,
    }
}

impl TryFrom<UpdateApiKeyRequest> for ApiKeyChanges {
    type Error = DomainError;

    fn try_from(body: UpdateApiKeyRequest) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let changes = Self {
            name: v.optional("name", changed(body.name, |n| ApiKeyName::parse(&n))),
            scopes: v.optional("scopes", changed(body.scopes, parse_scopes)),
        };
        v.finish()?;
        Ok(changes)
    }
}

fn parse_scopes(scopes: Vec<ScopeDto>) -> Result<Scopes, DomainError> {
    Scopes::new(scopes.into_iter().map(Scope::from))
}

fn parse_time(raw: &str) -> Result<Timestamp, DomainError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(3))
        .map_err(|_| DomainError::invalid("", "must be an RFC 3339 timestamp"))
}
