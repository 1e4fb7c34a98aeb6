use std::sync::Arc;

use chrono::Duration;

use super::{Claim, IdempotencyKey, IdempotencyScope, IdempotencyStore, StoredResponse};
use crate::{time, DomainError, DomainResult};

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

pub struct IdempotencyService {
    store: Arc<dyn IdempotencyStore>,
}

impl IdempotencyService {
    pub fn new(store: Arc<dyn IdempotencyStore>) -> Self {
        Self { store }
    }

    /// Claims a key for a request with this hash (of its method, path and body).
    /// The same key with another request, or while its first request is still running,
    /// is a `Conflict`.
    pub async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: &str,
    ) -> DomainResult<Claim> {
        let now = time::now();
        if self
            .store
            .insert_pending(scope, key, request_hash, now)
            .await?
        {
            return Ok(Claim::Fresh);
        }
        let Some(record) = self.store.find(scope, key).await? else {
            // Released between our insert and find: try once more.
            return if self
                .store
                .insert_pending(scope, key, request_hash, now)
                .await?
            {
                Ok(Claim::Fresh)
            } else {
                Err(DomainError::Conflict("this Idempotency-Key is in use"))
            };
        };
        let cutoff = now - Duration::hours(RETENTION_HOURS);
        if record.created_at <= cutoff {
            // One conditional update: of two requests renewing the same old key, one wins.
            let renewed = self
                .store
                .renew_expired(scope, key, request_hash, cutoff, now)
                .await?;
            return if renewed {
                Ok(Claim::Fresh)
            } else {
                Err(DomainError::Conflict("this Idempotency-Key is in use"))
            };
        }
        if record.request_hash != request_hash {
            return Err(DomainError::Conflict(
                "this Idempotency-Key was used with a different request",
            ));
        }
        match record.response {
            Some(response) => Ok(Claim::Replay(response)),
            None => Err(DomainError::Conflict(
                "a request with this Idempotency-Key is still in progress",
            )),
        }
    }

    /// Remembers the response of a fresh claim.
    pub async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> DomainResult<()> {
        self.store.complete(scope, key, response).await
    }

    /// Gives a fresh claim up (the request failed on our side), so a retry can run.
    pub async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> DomainResult<()> {
        self.store.remove(scope, key).await
    }

    /// Forgets keys older than the retention window; returns how many.
    pub async fn purge_expired(&self) -> DomainResult<u64> {
        let cutoff = time::now() - Duration::hours(RETENTION_HOURS);
        self.store.remove_created_before(cutoff).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::idempotency::{IdempotencyRecord, MockIdempotencyStore};

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
            response,
        }
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
    async fn a_new_key_is_fresh() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .returning(|_, _, _, _| Ok(true));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert_eq!(claim.unwrap(), Claim::Fresh);
    }

    #[tokio::test]
    async fn the_same_request_again_replays_the_stored_response() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .returning(|_, _, _, _| Ok(false));
        store
            .expect_find()
            .returning(|_, _| Ok(Some(record("h", 1, Some(stored())))));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert_eq!(claim.unwrap(), Claim::Replay(stored()));
    }

    #[tokio::test]
    async fn another_request_with_the_same_key_is_a_conflict() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .returning(|_, _, _, _| Ok(false));
        store
            .expect_find()
            .returning(|_, _| Ok(Some(record("other", 1, Some(stored())))));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim, Err(DomainError::Conflict(_))));
    }

    #[tokio::test]
    async fn a_key_still_in_progress_is_a_conflict() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .returning(|_, _, _, _| Ok(false));
        store
            .expect_find()
            .returning(|_, _| Ok(Some(record("h", 0, None))));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert!(matches!(claim, Err(DomainError::Conflict(_))));
    }

    #[tokio::test]
    async fn a_key_older_than_a_day_is_forgotten_and_fresh_again() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_insert_pending()
            .returning(|_, _, _, _| Ok(false));
        store
            .expect_find()
            .returning(|_, _| Ok(Some(record("other", 25, Some(stored())))));
        store
            .expect_renew_expired()
            .times(1)
            .returning(|_, _, _, _, _| Ok(true));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = service.claim(&scope(), &key(), "h").await;
        assert_eq!(claim.unwrap(), Claim::Fresh);
    }

    #[test]
    fn keys_must_be_short_visible_ascii() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
    }
}
