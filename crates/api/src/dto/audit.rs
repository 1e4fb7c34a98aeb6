//! The audit log on the wire: the filters of `GET /admin/audit-logs` and its entries.

use chrono::{DateTime, Utc};
use domain::{
    audit::{AuditAction, AuditEntry, AuditFilter, Outcome},
    error::Validator,
    id::UserId,
    time::Timestamp,
    DomainError,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{rfc3339, CheckOptional};

/// What was done; `audit.pruned` is the retention of the log itself. On the wire it is
/// the domain's own name (`auth.login.succeeded`), and the schema lists
/// `AuditAction::ALL`, so the two cannot drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditActionDto(pub AuditAction);

impl From<AuditAction> for AuditActionDto {
    fn from(value: AuditAction) -> Self {
        Self(value)
    }
}

impl Serialize for AuditActionDto {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl utoipa::PartialSchema for AuditActionDto {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "What was done; `audit.pruned` is the retention of the log itself.",
            ))
            .enum_values(Some(AuditAction::ALL.iter().map(|a| a.as_str())))
            .into()
    }
}

impl ToSchema for AuditActionDto {
    fn name() -> std::borrow::Cow<'static, str> {
        "AuditAction".into()
    }
}

/// Whether the action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = AuditOutcome)]
pub enum OutcomeDto {
    Success,
    Failure,
}

list_query! {
    /// Filters and paging of the audit log. Values arrive as text and are parsed by the
    /// domain, so that a bad one is reported under its own name.
    pub struct ListAuditLogsQuery {
        /// Entries by this user (a user id).
        #[garde(skip)]
        pub actor_id: Option<String>,
        #[garde(skip)]
        #[param(value_type = Option<AuditActionDto>)]
        pub action: Option<String>,
        /// `user`, `session`, `thread`, `api_key`, `audit_log`, …
        #[garde(length(chars, min = 1, max = 64))]
        pub resource_type: Option<String>,
        #[garde(length(chars, min = 1, max = 128))]
        pub resource_id: Option<String>,
        /// Entries that occurred at or after this time (RFC 3339).
        #[garde(skip)]
        #[param(value_type = Option<String>, format = DateTime)]
        pub from: Option<String>,
        /// Entries that occurred before this time (RFC 3339).
        #[garde(skip)]
        #[param(value_type = Option<String>, format = DateTime)]
        pub to: Option<String>,
    }
}

impl ListAuditLogsQuery {
    /// The filter, reporting every bad value under its own name.
    pub fn filter(&self) -> Result<AuditFilter, DomainError> {
        let mut v = Validator::new();
        let filter = AuditFilter {
            actor_id: v.parsed("actor_id", self.actor_id.as_deref(), UserId::parse),
            action: v.parsed("action", self.action.as_deref(), |raw| {
                AuditAction::parse(raw, "")
            }),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            from: v.parsed("from", self.from.as_deref(), parse_time),
            to: v.parsed("to", self.to.as_deref(), parse_time),
        };
        v.finish()?;
        Ok(filter)
    }
}

fn parse_time(raw: &str) -> Result<Timestamp, DomainError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| DomainError::invalid("", "must be an RFC 3339 timestamp"))
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryResponse {
    #[schema(example = "aud_0190a0b1c2d37e8f9a0b1c2d3e4f5a6b")]
    pub id: String,
    /// The entry's place in the hash chain: 1, 2, 3, … in the order entries were written.
    pub seq: i64,
    pub occurred_at: String,
    pub action: AuditActionDto,
    pub outcome: OutcomeDto,
    /// Who acted; absent for a failed sign-in and for the server's own actions.
    pub actor_id: Option<String>,
    /// The actor's email; for a failed sign-in, the email that was tried.
    pub actor_email: Option<String>,
    /// The client's address (`X-Forwarded-For` only from `TRUSTED_PROXIES`).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// What changed, as a small object (`{"from": "USER", "to": "ADMIN"}`).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// SHA-256 (hex) of the previous entry.
    pub prev_hash: String,
    /// SHA-256 (hex) of this entry, chained to `prev_hash`.
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryResponse {
    fn from(entry: AuditEntry) -> Self {
        let r = entry.record;
        // Stored as the JSON text that was hashed; text that is not JSON is shown as is.
        let details = match serde_json::from_str(&r.details) {
            Ok(value) => value,
            Err(_) => serde_json::Value::String(r.details),
        };
        Self {
            id: r.id.to_string(),
            seq: entry.seq,
            occurred_at: rfc3339(r.occurred_at),
            action: r.action.into(),
            outcome: match r.outcome {
                Outcome::Success => OutcomeDto::Success,
                Outcome::Failure => OutcomeDto::Failure,
            },
            actor_id: r.actor_id.map(|id| id.to_string()),
            actor_email: r.actor_email,
            ip: r.ip,
            user_agent: r.user_agent,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            details,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        }
    }
}
