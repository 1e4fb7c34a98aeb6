//! `SeaIdempotencyStore` and the receipts that writes record on a claim: a lease that runs
//! out is taken over by exactly one retry, and a receipt exists exactly when its write
//! committed.

use chrono::Duration;
use domain::{
    event::{EventKind, NewEvent},
    file::File,
    id::{MessageId, ThreadId, UserId},
    idempotency::{
        within_claim, HeldClaim, IdempotencyKey, IdempotencyScope, IdempotencyStore, Receipt,
    },
    time::{self, Timestamp},
    user::UserRepository,
    DomainError,
};
use infrastructure::{database::Db, repositories::SeaIdempotencyStore};
use serde_json::json;

use crate::support::{digest, event, new_message, new_thread, new_user, stored_file, CountingStep};

fn store(conn: &Db) -> SeaIdempotencyStore {
    SeaIdempotencyStore::new(conn.clone())
}

fn claim_on(user: &UserId, key: &str) -> HeldClaim {
    HeldClaim::new(
        &IdempotencyScope::user(user),
        &IdempotencyKey::parse(key).unwrap(),
    )
}

/// Leases for [`claimed`]: one with time left, one that ran out a second ago.
const RUNNING: Duration = Duration::seconds(30);
const LAPSED: Duration = Duration::seconds(-1);

/// A pending claim on `key` whose lease ends `lease_left` from now.
async fn claimed(
    store: &SeaIdempotencyStore,
    user: &UserId,
    key: &str,
    lease_left: Duration,
) -> HeldClaim {
    let claim = claim_on(user, key);
    let now = time::now();
    assert!(store
        .insert_pending(&claim, "hash", now, now + lease_left)
        .await
        .unwrap());
    claim
}

/// A text file of `owner` in `thread`, whose bytes are `digest(seed)`.
fn text_file(owner: &UserId, thread: &ThreadId, seed: char) -> File {
    stored_file(
        owner,
        Some(thread),
        "a.txt",
        &digest(seed),
        "text/plain",
        None,
    )
}

/// The same key, claimed by another request.
fn retry_of(claim: &HeldClaim) -> HeldClaim {
    HeldClaim::new(&claim.scope, &claim.key)
}

async fn receipt_of(store: &SeaIdempotencyStore, claim: &HeldClaim) -> Option<Receipt> {
    let record = store.find(&claim.scope, &claim.key).await.unwrap().unwrap();
    record.receipt
}

fn later(seconds: i64) -> Timestamp {
    time::now() + Duration::seconds(seconds)
}

repo_test!(
    a_claim_is_taken_over_only_after_its_lease_and_only_by_one_of_two_retries,
    |f| {
        let (store, user) = (store(&f.conn), f.user("Ada").await);

        let alive = claimed(&store, &user.id, "alive", RUNNING).await;
        let early = store
            .take_over(&retry_of(&alive), &alive.token, time::now(), later(30))
            .await
            .unwrap();
        assert!(!early, "a lease still running is not taken over");

        let gone = claimed(&store, &user.id, "gone", LAPSED).await;
        let (a, b) = (retry_of(&gone), retry_of(&gone));
        let now = time::now();
        let (took_a, took_b) = tokio::join!(
            store.take_over(&a, &gone.token, now, later(30)),
            store.take_over(&b, &gone.token, now, later(30)),
        );
        let (took_a, took_b) = (took_a.unwrap(), took_b.unwrap());
        assert!(
            took_a ^ took_b,
            "exactly one retry takes over: {took_a} {took_b}"
        );
        let winner = if took_a { &a } else { &b };
        let record = store.find(&gone.scope, &gone.key).await.unwrap().unwrap();
        assert_eq!(&record.token, &winner.token);
        assert!(record.lease_until.unwrap() > time::now());

        // A claim whose write committed is never taken over, whatever its lease says.
        let committed = claimed(&store, &user.id, "committed", LAPSED).await;
        within_claim(committed.clone(), f.thread(&user.id, "t")).await;
        let late = store
            .take_over(
                &retry_of(&committed),
                &committed.token,
                time::now(),
                later(30),
            )
            .await
            .unwrap();
        assert!(!late);
    }
);

repo_test!(
    a_write_within_a_claim_records_its_receipt_in_its_own_transaction,
    |f| {
        let (store, user) = (store(&f.conn), f.user("Ada").await);

        // An event-writing repository.
        let claim = claimed(&store, &user.id, "thread", RUNNING).await;
        let thread = within_claim(claim.clone(), f.thread(&user.id, "t")).await;
        let receipt = receipt_of(&store, &claim).await.expect("a receipt");
        assert_eq!(receipt.kind, EventKind::ThreadCreated.as_str());
        assert_eq!(receipt.id("thread_id"), Some(thread.id.as_str()));

        // The group-commit writer, which writes on its own task.
        let claim = claimed(&store, &user.id, "message", RUNNING).await;
        let message = new_message(&thread.id, &user.id, "hello", time::now());
        let created = NewEvent::new(
            EventKind::MessageCreated,
            &thread.id,
            &user.id,
            json!({ "message_id": message.id }),
            time::now(),
        );
        within_claim(claim.clone(), f.messages.insert(&message, &created))
            .await
            .unwrap();
        let receipt = receipt_of(&store, &claim).await.expect("a receipt");
        assert_eq!(receipt.kind, EventKind::MessageCreated.as_str());
        assert_eq!(receipt.id("message_id"), Some(message.id.as_str()));

        // Files and users, which record no event.
        let claim = claimed(&store, &user.id, "file", RUNNING).await;
        let file = text_file(&user.id, &thread.id, 'a');
        within_claim(claim.clone(), f.insert_file(&file)).await;
        let receipt = receipt_of(&store, &claim).await.expect("a receipt");
        assert_eq!(receipt.kind, Receipt::FILE_CREATED);
        assert_eq!(receipt.id("file_id"), Some(file.id.as_str()));

        let claim = claimed(&store, &user.id, "user", RUNNING).await;
        let grace = new_user("grace@rpotential.ai", "Grace");
        within_claim(
            claim.clone(),
            f.users.insert(&grace, &crate::support::audit_entry()),
        )
        .await
        .unwrap();
        let receipt = receipt_of(&store, &claim).await.expect("a receipt");
        assert_eq!(receipt.kind, Receipt::USER_CREATED);
        assert_eq!(receipt.id("user_id"), Some(grace.id.as_str()));

        // Writes outside a claim record nothing anywhere.
        let other = claimed(&store, &user.id, "untouched", RUNNING).await;
        f.post(&thread.id, &user.id, "no key").await;
        assert_eq!(receipt_of(&store, &other).await, None);
    }
);

repo_test!(
    a_write_that_rolls_back_leaves_its_claim_without_a_receipt,
    |f| {
        let (store, user) = (store(&f.conn), f.user("Ada").await);
        let thread = f.thread(&user.id, "t").await;

        // The receipt is written, then the bytes cannot be placed: all of it rolls back.
        let claim = claimed(&store, &user.id, "file", RUNNING).await;
        let file = text_file(&user.id, &thread.id, 'b');
        let failed = within_claim(
            claim.clone(),
            f.files.insert(&file, Some(CountingStep::failing().boxed())),
        )
        .await;
        assert!(failed.is_err());
        assert_eq!(receipt_of(&store, &claim).await, None);
        assert_eq!(f.count(&format!("files WHERE id = '{}'", file.id)).await, 0);
        // And the claim can be given up, so that a retry runs.
        store.release(&claim).await.unwrap();
        assert!(store
            .find(&claim.scope, &claim.key)
            .await
            .unwrap()
            .is_none());
    }
);

repo_test!(
    a_write_whose_claim_was_taken_over_is_refused_and_leaves_nothing,
    |f| {
        let (store, user) = (store(&f.conn), f.user("Ada").await);
        let thread = f.thread(&user.id, "t").await;

        // A slow holder whose lease ran out, and the retry that took its key over.
        let slow = claimed(&store, &user.id, "slow", LAPSED).await;
        let retry = retry_of(&slow);
        assert!(store
            .take_over(&retry, &slow.token, time::now(), later(30))
            .await
            .unwrap());

        let new = new_thread(&user.id, "late", time::now());
        let created = event(EventKind::ThreadCreated, &new.id, &user.id);
        let refused = within_claim(slow.clone(), f.threads.insert(&new, &created)).await;
        assert!(
            matches!(refused, Err(DomainError::Conflict(_))),
            "{refused:?}"
        );
        assert_eq!(
            f.count(&format!("threads WHERE id = '{}'", new.id)).await,
            0
        );

        // Through the group-commit writer, beside a message whose claim is fine: only the late one fails.
        let late_message = new_message(&thread.id, &user.id, "late", time::now());
        let fine = claimed(&store, &user.id, "fine", RUNNING).await;
        let fine_message = new_message(&thread.id, &user.id, "fine", time::now());
        let late_event = event(EventKind::MessageCreated, &thread.id, &user.id);
        let fine_event = event(EventKind::MessageCreated, &thread.id, &user.id);
        let (late, ok) = tokio::join!(
            within_claim(slow.clone(), f.messages.insert(&late_message, &late_event)),
            within_claim(fine.clone(), f.messages.insert(&fine_message, &fine_event)),
        );
        assert!(matches!(late, Err(DomainError::Conflict(_))), "{late:?}");
        ok.unwrap();
        let stored = |id: &MessageId| format!("messages WHERE id = '{id}'");
        assert_eq!(f.count(&stored(&late_message.id)).await, 0);
        assert_eq!(f.count(&stored(&fine_message.id)).await, 1);

        let record = store.find(&slow.scope, &slow.key).await.unwrap().unwrap();
        assert_eq!(record.token, retry.token);
        assert_eq!(
            record.receipt, None,
            "the retry's own write is still to come"
        );
        assert!(receipt_of(&store, &fine).await.is_some());
    }
);
