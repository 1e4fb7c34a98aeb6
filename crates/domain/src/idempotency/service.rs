use std::sync::Arc;

use chrono::Duration;

use super::{Claim, HeldClaim, IdempotencyKey, IdempotencyScope, IdempotencyStore, StoredResponse};
use crate::{time, DomainError, DomainResult};

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// How long a claim's holder may take to commit before a retry may take the key over; longer
/// than any request may run.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

const IN_PROGRESS: &str = "a request with this Idempotency-Key is still in progress";

pub struct IdempotencyService {
    store: Arc<dyn IdempotencyStore>,
    lease: Duration,
}

impl IdempotencyService {
    pub fn new(store: Arc<dyn IdempotencyStore>) -> Self {
        Self {
            store,
            lease: lease_of(DEFAULT_LEASE),
        }
    }

    /// The same service with claims leased for `lease` (at least a second).
    pub fn with_lease(self, lease: std::time::Duration) -> Self {
        Self {
            lease: lease_of(lease),
            ..self
        }
    }

    /// Claims a key for a request with this hash (of its method, path and body).
    ///
    /// Resolved by what happened to the key's first request: its answer is replayed; if it
    /// committed but its answer was lost, `Committed` says what it made; if it never
    /// committed and its lease ran out, this request takes the key over. The same key with
    /// another request, or while the first one still holds its lease, is a `Conflict`.
    pub async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
    ) -> DomainResult<Claim> {
        let now = time::now();
        let claim = HeldClaim::new(scope, key);
        let lease_until = now + self.lease;
        if self
            .store
            .insert_pending(&claim, request_hash, now, lease_until)
            .await?
        {
            return Ok(Claim::Fresh(claim));
        }
        let Some(record) = self.store.find(scope, key).await? else {
            // Released between our insert and find: try once more.
            return if self
                .store
                .insert_pending(&claim, request_hash, now, lease_until)
                .await?
            {
                Ok(Claim::Fresh(claim))
            } else {
                Err(DomainError::Conflict("this Idempotency-Key is in use"))
            };
        };
        let cutoff = now - Duration::hours(RETENTION_HOURS);
        if record.created_at <= cutoff {
            // One conditional update: of two requests renewing the same old key, one wins.
            let renewed = self
                .store
                .renew_expired(&claim, request_hash, cutoff, now, lease_until)
                .await?;
            return if renewed {
                Ok(Claim::Fresh(claim))
            } else {
                Err(DomainError::Conflict("this Idempotency-Key is in use"))
            };
        }
        if record.request_hash != request_hash {
            return Err(DomainError::Conflict(
                "this Idempotency-Key was used with a different request",
            ));
        }
        if let Some(response) = record.response {
            return Ok(Claim::Replay(response));
        }
        if let Some(receipt) = record.receipt {
            return Ok(Claim::Committed(receipt));
        }
        if record.lease_until.is_some_and(|until| until > now) {
            return Err(DomainError::Conflict(IN_PROGRESS));
        }
        // The holder vanished without committing. One conditional update decides between
        // concurrent retries, and between them and a holder committing at this moment.
        if self
            .store
            .take_over(&claim, &record.token, now, lease_until)
            .await?
        {
            Ok(Claim::Fresh(claim))
        } else {
            Err(DomainError::Conflict(IN_PROGRESS))
        }
    }

    /// Remembers the response of a fresh claim.
    pub async fn complete(&self, claim: &HeldClaim, response: &StoredResponse) -> DomainResult<()> {
        self.store.complete(claim, response).await
    }

    /// Gives a fresh claim up (the request failed on our side), so a retry can run; a claim
    /// whose write committed is kept, so that a retry is not done twice.
    pub async fn release(&self, claim: &HeldClaim) -> DomainResult<()> {
        self.store.release(claim).await
    }

    /// Forgets keys older than the retention window; returns how many.
    pub async fn purge_expired(&self) -> DomainResult<u64> {
        let cutoff = time::now() - Duration::hours(RETENTION_HOURS);
        self.store.remove_created_before(cutoff).await
    }
}

fn lease_of(lease: std::time::Duration) -> Duration {
    Duration::from_std(lease)
        .unwrap_or(Duration::hours(1))
        .max(Duration::seconds(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::idempotency::{
        current_claim, within_claim, IdempotencyRecord, MockIdempotencyStore, Receipt,
    };

    fn scope() -> IdempotencyScope {
        IdempotencyScope::user(&crate::id::UserId::generate())
    }

    fn key() -> IdempotencyKey {
        IdempotencyKey::parse("k-1").unwrap()
    }

    fn record(hash: &str, age_hours: i64, response: Option<StoredResponse>) -> IdempotencyRecord {
        IdempotencyRecord {
            request_hash: hash.into(),
            created_at: time::now() - Duration::hours(age_hours),
            token: "first".into(),
            lease_until: Some(time::now() + Duration::seconds(30)),
            receipt: None,
            response,
        }
    }

    /// A pending record of `hash` whose lease ends `lease_left` from now, with `receipt`.
    fn pending(hash: &str, lease_left: Duration, receipt: Option<Receipt>) -> IdempotencyRecord {
        IdempotencyRecord {
            lease_until: Some(time::now() + lease_left),
            receipt,
            ..record(hash, 0, None)
        }
    }

    fn receipt() -> Receipt {
        Receipt::new("message.created", json!({"message_id": "msg_1"}))
    }

    /// A store where the key is taken and `find` returns `record`.
    fn taken(record: IdempotencyRecord) -> MockIdempotencyStore {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .returning(|_, _, _, _| Ok(false));
        store
            .expect_find()
            .returning(move |_, _| Ok(Some(record.clone())));
        store
    }

    #[tokio::test]
    async fn purging_forgets_only_keys_past_the_retention_window() {
        let mut store = MockIdempotencyStore::new();
        let before = time::now() - Duration::hours(RETENTION_HOURS);
        store
            .expect_remove_created_before()
            .withf(move |cutoff| *cutoff >= before && *cutoff <= before + Duration::seconds(5))
            .times(1)
            .returning(|_| Ok(3));
        let purged = IdempotencyService::new(Arc::new(store))
            .purge_expired()
            .await
            .unwrap();
        assert_eq!(purged, 3);
    }

    fn stored() -> StoredResponse {
        StoredResponse {
            status: 201,
            body: "{}".into(),
            location: Some("/x".into()),
        }
    }

    #[tokio::test]
    async fn a_new_key_is_fresh_and_leased_for_the_configured_time() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .withf(|claim, hash, now, until| {
                claim.key.as_str() == "k-1"
                    && !claim.token.is_empty()
                    && hash == "h"
                    && *until - *now == Duration::seconds(7)
            })
            .returning(|_, _, _, _| Ok(true));
        let service =
            IdempotencyService::new(Arc::new(store)).with_lease(std::time::Duration::from_secs(7));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim.unwrap(), Claim::Fresh(held) if held.key == key()));
    }

    #[tokio::test]
    async fn the_same_request_again_replays_the_stored_response() {
        let store = taken(record("h", 1, Some(stored())));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert_eq!(claim.unwrap(), Claim::Replay(stored()));
    }

    #[tokio::test]
    async fn another_request_with_the_same_key_is_a_conflict() {
        let store = taken(record("other", 1, Some(stored())));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim, Err(DomainError::Conflict(_))));
    }

    #[tokio::test]
    async fn a_key_whose_holder_still_has_its_lease_is_in_progress() {
        // No take-over is attempted: the mock would panic on an unexpected call.
        let store = taken(pending("h", Duration::seconds(20), None));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim, Err(DomainError::Conflict(IN_PROGRESS))));
    }

    #[tokio::test]
    async fn a_claim_past_its_lease_without_a_receipt_is_taken_over_and_fresh() {
        let mut store = taken(pending("h", Duration::seconds(-1), None));
        store
            .expect_take_over()
            .withf(|claim, previous, now, until| {
                previous == "first" && claim.token != "first" && until > now
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim.unwrap(), Claim::Fresh(held) if held.token != "first"));
    }

    #[tokio::test]
    async fn a_claim_from_before_leases_counts_as_run_out() {
        let old = IdempotencyRecord {
            lease_until: None,
            ..pending("h", Duration::zero(), None)
        };
        let mut store = taken(old);
        store
            .expect_take_over()
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim.unwrap(), Claim::Fresh(_)));
    }

    #[tokio::test]
    async fn a_committed_claim_whose_answer_was_lost_is_answered_from_its_receipt() {
        // Even with the lease long over: the write happened, so it must not happen again.
        let store = taken(pending("h", Duration::seconds(-30), Some(receipt())));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert_eq!(claim.unwrap(), Claim::Committed(receipt()));
    }

    #[tokio::test]
    async fn a_stored_answer_is_replayed_before_its_receipt_is_consulted() {
        let record = IdempotencyRecord {
            response: Some(stored()),
            ..pending("h", Duration::seconds(-30), Some(receipt()))
        };
        let service = IdempotencyService::new(Arc::new(taken(record)));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert_eq!(claim.unwrap(), Claim::Replay(stored()));
    }

    #[tokio::test]
    async fn of_two_retries_taking_over_the_same_claim_exactly_one_is_fresh() {
        // The store's conditional update lets the first take-over of "first" through.
        let mut store = taken(pending("h", Duration::seconds(-1), None));
        let holder: Arc<Mutex<Option<String>>> = Arc::default();
        let seen = holder.clone();
        store
            .expect_take_over()
            .times(2)
            .returning(move |claim, previous, _, _| {
                let mut holder = seen.lock().unwrap();
                if previous == "first" && holder.is_none() {
                    *holder = Some(claim.token.clone());
                    Ok(true)
                } else {
                    Ok(false)
                }
            });
        let service = IdempotencyService::new(Arc::new(store));
        let (scope, key) = (scope(), key());
        let (a, b) = tokio::join!(
            service.claim(&scope, &key, "h"),
            service.claim(&scope, &key, "h")
        );
        let fresh: Vec<_> = [&a, &b]
            .into_iter()
            .filter_map(|c| match c {
                Ok(Claim::Fresh(held)) => Some(held.token.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(fresh.len(), 1, "{a:?} {b:?}");
        assert_eq!(Some(&fresh[0]), holder.lock().unwrap().as_ref());
        let loser = if a.is_ok() { b } else { a };
        assert!(matches!(loser, Err(DomainError::Conflict(IN_PROGRESS))));
    }

    #[tokio::test]
    async fn releasing_and_completing_name_the_held_claim() {
        let mut store = MockIdempotencyStore::new();
        let claim = HeldClaim::new(&scope(), &key());
        let token = claim.token.clone();
        store
            .expect_release()
            .withf(move |held| held.token == token)
            .times(1)
            .returning(|_| Ok(()));
        let token = claim.token.clone();
        store
            .expect_complete()
            .withf(move |held, response| held.token == token && response.status == 201)
            .times(1)
            .returning(|_, _| Ok(()));
        let service = IdempotencyService::new(Arc::new(store));
        service.complete(&claim, &stored()).await.unwrap();
        service.release(&claim).await.unwrap();
    }

    #[tokio::test]
    async fn a_key_older_than_a_day_is_forgotten_and_fresh_again() {
        let mut store = taken(record("other", 25, Some(stored())));
        store
            .expect_renew_expired()
            .times(1)
            .returning(|_, _, _, _, _| Ok(true));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim.unwrap(), Claim::Fresh(_)));
    }

    #[tokio::test]
    async fn the_claim_of_a_request_reaches_its_writes_and_no_others() {
        let claim = HeldClaim::new(&scope(), &key());
        let seen = within_claim(claim.clone(), async { current_claim() }).await;
        assert_eq!(seen, Some(claim));
        assert_eq!(current_claim(), None);
    }

    #[test]
    fn keys_must_be_short_visible_ascii() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
    }
}
