//! Audit entries, their hash chain and its verification.

use std::fmt;

use chrono::{DurationRound, TimeDelta};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    auth::{ClientInfo, Principal},
    id::{AuditEntryId, UserId},
    pagination::Weigh,
    time::{self, Timestamp},
    DomainError,
};

/// The `prev_hash` of the first entry ever written: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

macro_rules! audit_actions {
    ($($variant:ident => $wire:literal,)*) => {
        /// What was done, as `auth.login.succeeded`, `api_key.rotated`, …
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)*
        }

        impl AuditAction {
            /// Every action, in the order they are documented.
            pub const ALL: &'static [AuditAction] = &[$(Self::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// The action with this wire name; `Invalid` naming `field` otherwise.
            pub fn parse(raw: &str, field: &'static str) -> Result<Self, DomainError> {
                match raw {
                    $($wire => Ok(Self::$variant),)*
                    _ => Err(DomainError::invalid(field, "is not a known audit action")),
                }
            }
        }
    };
}

audit_actions! {
    AuthLoginSucceeded => "auth.login.succeeded",
    AuthLoginFailed => "auth.login.failed",
    AuthLogout => "auth.logout",
    AuthRefreshReused => "auth.refresh_reused",
    SessionRevoked => "session.revoked",
    UserCreated => "user.created",
    UserRoleChanged => "user.role_changed",
    UserStatusChanged => "user.status_changed",
    UserDeleted => "user.deleted",
    ThreadDeleted => "thread.deleted",
    MemberAdded => "member.added",
    MemberRoleChanged => "member.role_changed",
    MemberRemoved => "member.removed",
    ApiKeyCreated => "api_key.created",
    ApiKeyUpdated => "api_key.updated",
    ApiKeyRotated => "api_key.rotated",
    ApiKeyDeleted => "api_key.deleted",
    ShareLinkCreated => "share_link.created",
    ShareLinkDeleted => "share_link.deleted",
    AccountExported => "account.exported",
    AuditPruned => "audit.pruned",
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the action succeeded. Writes record only their success (a failed write
/// rolls its entry back with it); refusals worth recording, like a wrong password, are
/// appended on their own as failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw {
            "success" => Ok(Self::Success),
            "failure" => Ok(Self::Failure),
            _ => Err(DomainError::invalid(
                "outcome",
                "must be success or failure",
            )),
        }
    }
}

/// An entry to append. The store gives it its `seq` and hashes; everything else, the
/// time included, is decided here. `details` is kept as the JSON text it was made into,
/// so that the text hashed is the text stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub id: AuditEntryId,
    pub action: AuditAction,
    pub actor_id: Option<UserId>,
    /// The actor's email, or for a failed sign-in the email that was tried.
    pub actor_email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What the action was done to: `user`, `session`, `thread`, `api_key`, …
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub outcome: Outcome,
    /// A small JSON object (`{"from": "USER", "to": "ADMIN"}`), as text.
    pub details: String,
    /// Whole microseconds, the precision both databases keep.
    pub occurred_at: Timestamp,
}

/// Longest user agent an entry keeps, in characters.
const MAX_USER_AGENT_CHARS: usize = 512;
/// Longest attempted email a failed sign-in keeps, in characters.
const MAX_EMAIL_CHARS: usize = 320;

impl NewAuditEntry {
    /// A successful `action` by `caller` from the caller's client, on nothing in
    /// particular yet (see [`Self::on`]).
    pub fn by(caller: &Principal, action: AuditAction) -> Self {
        Self::new(action, &caller.client).actor(&caller.user.id, caller.user.email.as_str())
    }

    /// A successful `action` from `client` by nobody known yet (see [`Self::actor`]).
    pub fn new(action: AuditAction, client: &ClientInfo) -> Self {
        let cut = |s: &Option<String>, n: usize| s.as_ref().map(|v| v.chars().take(n).collect());
        Self {
            id: AuditEntryId::generate(),
            action,
            actor_id: None,
            actor_email: None,
            ip: cut(&client.ip, 64),
            user_agent: cut(&client.user_agent, MAX_USER_AGENT_CHARS),
            resource_type: None,
            resource_id: None,
            outcome: Outcome::Success,
            details: "{}".to_owned(),
            occurred_at: micros(time::now()),
        }
    }

    pub fn actor(mut self, id: &UserId, email: &str) -> Self {
        self.actor_id = Some(id.clone());
        self.actor_email = Some(email.chars().take(MAX_EMAIL_CHARS).collect());
        self
    }

    /// Records the email a failed sign-in tried, with no actor id.
    pub fn attempted_email(mut self, email: &str) -> Self {
        self.actor_email = Some(email.chars().take(MAX_EMAIL_CHARS).collect());
        self
    }

    pub fn on(mut self, resource_type: &str, resource_id: impl fmt::Display) -> Self {
        self.resource_type = Some(resource_type.to_owned());
        self.resource_id = Some(resource_id.to_string());
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details.to_string();
        self
    }

    /// `hash` of this entry at `seq` after `prev_hash`: SHA-256, as lowercase hex, of
    /// the canonical encoding (see [`canonical_encoding`]).
    pub fn chain_hash(&self, seq: i64, prev_hash: &str) -> String {
        hex(&Sha256::digest(canonical_encoding(seq, self, prev_hash)))
    }
}

/// The bytes an entry's hash is taken of: the format version, then `seq` as 8 bytes
/// big-endian, then each field in a fixed order as one tag byte (0 absent, 1 present)
/// and, when present, its UTF-8 length as 8 bytes big-endian and the bytes themselves.
/// No field can run into the next, so two different entries never encode alike. The
/// fields: id, action, actor_id, actor_email, ip, user_agent, resource_type,
/// resource_id, outcome, details, occurred_at (RFC 3339, microseconds, `Z`), prev_hash.
pub fn canonical_encoding(seq: i64, entry: &NewAuditEntry, prev_hash: &str) -> Vec<u8> {
    let occurred_at = entry
        .occurred_at
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let fields: [Option<&str>; 12] = [
        Some(entry.id.as_str()),
        Some(entry.action.as_str()),
        entry.actor_id.as_ref().map(UserId::as_str),
        entry.actor_email.as_deref(),
        entry.ip.as_deref(),
        entry.user_agent.as_deref(),
        entry.resource_type.as_deref(),
        entry.resource_id.as_deref(),
        Some(entry.outcome.as_str()),
        Some(&entry.details),
        Some(&occurred_at),
        Some(prev_hash),
    ];
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"xl-audit-v1");
    out.extend_from_slice(&seq.to_be_bytes());
    for field in fields {
        match field {
            None => out.push(0),
            Some(text) => {
                out.push(1);
                out.extend_from_slice(&(text.len() as u64).to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `at` cut to whole microseconds.
pub fn micros(at: Timestamp) -> Timestamp {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// A stored entry: its place in the chain and the hashes that link it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub record: NewAuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

impl Weigh for AuditEntry {
    fn weight(&self) -> usize {
        let r = &self.record;
        512 + r.details.len()
            + r.user_agent.as_ref().map_or(0, String::len)
            + r.actor_email.as_ref().map_or(0, String::len)
            + r.resource_id.as_ref().map_or(0, String::len)
    }
}

/// Which entries to list. Every field narrows; `from` is inclusive, `to` exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor_id: Option<UserId>,
    pub action: Option<AuditAction>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// What `audit.pruned` records: the last entry it removed.
pub fn pruned_details(through_seq: i64, through_hash: &str, removed: u64) -> Value {
    serde_json::json!({
        "through_seq": through_seq,
        "through_hash": through_hash,
        "removed": removed,
    })
}

/// Why verification stopped at an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The stored hash is not the hash of the entry's fields: it was changed.
    Changed,
    /// Entries before this one are missing: `expected` was the next seq.
    Gap { expected: i64 },
    /// The entry does not follow the one before it: an entry was deleted or reordered.
    Unlinked,
    /// The chain starts after seq 1 and no `audit.pruned` entry accounts for the
    /// entries before it: they were deleted other than by pruning.
    PrefixDeleted,
}

/// The first broken entry of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenEntry {
    pub seq: i64,
    pub id: AuditEntryId,
    pub reason: Break,
}

impl fmt::Display for BrokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seq, id) = (self.seq, &self.id);
        match &self.reason {
            Break::Changed => write!(
                f,
                "entry seq {seq} (id {id}) was changed: its hash does not match its contents"
            ),
            Break::Gap { expected } => write!(
                f,
                "entry seq {seq} (id {id}) follows a gap: seq {expected} to {} are missing \
                 (deleted)",
                seq - 1
            ),
            Break::Unlinked => write!(
                f,
                "entry seq {seq} (id {id}) does not link to the entry before it: entries \
                 were deleted or reordered"
            ),
            Break::PrefixDeleted => write!(
                f,
                "entry seq {seq} (id {id}) is the first entry, but no audit.pruned entry \
                 accounts for the entries before it: they were deleted"
            ),
        }
    }
}

/// The result of walking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries checked (up to and including a broken one).
    pub entries: u64,
    pub broken: Option<BrokenEntry>,
}

/// Walks the chain in seq order, one entry at a time, so that memory does not grow
/// with the log: feed it entries with [`Self::check`], then [`Self::finish`].
#[derive(Debug, Default)]
pub struct ChainVerifier {
    entries: u64,
    /// The first entry (seq, id, prev_hash) and whether its start is accounted for.
    first: Option<(i64, AuditEntryId, String)>,
    start_accounted: bool,
    last: Option<(i64, String)>,
    broken: Option<BrokenEntry>,
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry; false once the chain is broken (stop feeding it).
    pub fn check(&mut self, entry: &AuditEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        self.entries += 1;
        let broken = |reason| BrokenEntry {
            seq: entry.seq,
            id: entry.record.id.clone(),
            reason,
        };
        match &self.last {
            None => {
                self.start_accounted = entry.seq == 1 && entry.prev_hash == GENESIS_HASH;
                self.first = Some((entry.seq, entry.record.id.clone(), entry.prev_hash.clone()));
            }
            Some((seq, _)) if entry.seq != seq + 1 => {
                self.broken = Some(broken(Break::Gap { expected: seq + 1 }));
                return false;
            }
            Some((_, hash)) if &entry.prev_hash != hash => {
                self.broken = Some(broken(Break::Unlinked));
                return false;
            }
            Some(_) => {}
        }
        if entry.record.chain_hash(entry.seq, &entry.prev_hash) != entry.hash {
            self.broken = Some(broken(Break::Changed));
            return false;
        }
        if entry.record.action == AuditAction::AuditPruned {
            self.note_prune(&entry.record.details);
        }
        self.last = Some((entry.seq, entry.hash.clone()));
        true
    }

    /// A verified `audit.pruned` entry accounts for the start when it names the entry
    /// just before the first one.
    fn note_prune(&mut self, details: &str) {
        let Some((first_seq, _, first_prev)) = &self.first else {
            return;
        };
        let Ok(value) = serde_json::from_str::<Value>(details) else {
            return;
        };
        let seq = value.get("through_seq").and_then(Value::as_i64);
        let hash = value.get("through_hash").and_then(Value::as_str);
        if seq == Some(first_seq - 1) && hash == Some(first_prev.as_str()) {
            self.start_accounted = true;
        }
    }

    pub fn finish(self) -> ChainReport {
        let broken = match (self.broken, self.first) {
            (Some(broken), _) => Some(broken),
            (None, Some((seq, id, _))) if !self.start_accounted => Some(BrokenEntry {
                seq,
                id,
                reason: Break::PrefixDeleted,
            }),
            _ => None,
        };
        ChainReport {
            entries: self.entries,
            broken,
        }
    }
}
