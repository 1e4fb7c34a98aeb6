use serde_json::Value;

use crate::{event::NewEvent, DomainError};

/// A client-chosen key: 1 to 255 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose keys these are: the user who sent them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyScope(String);

impl IdempotencyScope {
    pub fn user(id: &crate::id::UserId) -> Self {
        Self(id.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The response that a key's first request got, replayed to its retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// A claim this request holds on a key. Its token tells this holder from one that took
/// the key over after the lease ran out, so only the holder can commit under the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldClaim {
    pub scope: IdempotencyScope,
    pub key: IdempotencyKey,
    pub token: String,
}

impl HeldClaim {
    /// A new claim on `key`, with a token no other claim has.
    pub fn new(scope: &IdempotencyScope, key: &IdempotencyKey) -> Self {
        Self {
            scope: scope.clone(),
            key: key.clone(),
            token: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

/// Proof that a claim's write committed, stored in the write's own transaction: what the
/// write did (an event kind such as `message.created`) and the ids that name its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub kind: String,
    pub ids: Value,
}

impl Receipt {
    /// The receipts of writes that record no event.
    pub const FILE_CREATED: &'static str = "file.created";
    pub const USER_CREATED: &'static str = "user.created";

    pub fn new(kind: impl Into<String>, ids: Value) -> Self {
        Self {
            kind: kind.into(),
            ids,
        }
    }

    /// The receipt of a write recorded by `event`.
    pub fn of_event(event: &NewEvent) -> Self {
        Self::new(event.kind.as_str(), event.payload.clone())
    }

    /// `ids[name]` as text, when the write recorded it.
    pub fn id(&self, name: &str) -> Option<&str> {
        self.ids.get(name).and_then(Value::as_str)
    }
}

/// What happened to a key when a request claimed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First use, or a claim whose holder vanished without committing: go ahead (the write
    /// runs `within` this claim), then `complete` (or `release` on failure).
    Fresh(HeldClaim),
    /// Seen with the same request: send this again.
    Replay(StoredResponse),
    /// The first request's write committed but its answer was never stored (the process
    /// died in between): answer from what the write made, as named by the receipt.
    Committed(Receipt),
}
