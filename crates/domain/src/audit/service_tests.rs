//! The rules of [`AuditService`] and of the hash chain, against a `mockall` log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::*;
use crate::{
    api_key::{KeyGrant, Scope, Scopes},
    auth::ClientInfo,
    id::ApiKeyId,
    pagination::{Cursor, Limit, Page, PageRequest},
    test_fixtures::principal,
    time,
    user::Role,
    DomainError,
};

fn first_page() -> PageRequest {
    PageRequest::first(Limit::DEFAULT)
}

fn service(log: MockAuditLog, retention_days: u32) -> AuditService {
    AuditService::new(Arc::new(log), retention_days)
}

#[tokio::test]
async fn an_admin_lists_entries_through_the_log() {
    let mut log = MockAuditLog::new();
    let filter = AuditFilter {
        action: Some(AuditAction::AuthLoginFailed),
        ..AuditFilter::default()
    };
    let expected = filter.clone();
    log.expect_list()
        .withf(move |f, _| f == &expected)
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: vec![],
                next: None,
            })
        });
    let page = service(log, 365)
        .list(&principal(Role::Admin), &filter, &first_page())
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn a_user_or_a_key_without_the_admin_scope_is_refused_before_any_read() {
    // No expectation: a read would panic.
    let audit = service(MockAuditLog::new(), 365);
    let user = audit
        .list(
            &principal(Role::User),
            &AuditFilter::default(),
            &first_page(),
        )
        .await;
    assert!(matches!(user, Err(DomainError::Forbidden(_))), "{user:?}");

    let mut key = principal(Role::Admin);
    key.api_key = Some(KeyGrant {
        id: ApiKeyId::generate(),
        scopes: Scopes::new([Scope::ThreadsRead]).unwrap(),
    });
    let keyed = audit
        .list(&key, &AuditFilter::default(), &first_page())
        .await;
    assert!(matches!(keyed, Err(DomainError::Forbidden(_))), "{keyed:?}");
}

#[tokio::test]
async fn an_inverted_time_range_or_a_foreign_cursor_is_invalid() {
    let audit = service(MockAuditLog::new(), 365);
    let now = time::now();
    let inverted = AuditFilter {
        from: Some(now),
        to: Some(now - ChronoDuration::hours(1)),
        ..AuditFilter::default()
    };
    let err = audit
        .list(&principal(Role::Admin), &inverted, &first_page())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Validation(fields) if fields.contains_key("from")),
        "{err:?}"
    );

    let page = PageRequest {
        limit: Limit::DEFAULT,
        after: Some(Cursor::after("usr_x")),
    };
    let err = audit
        .list(&principal(Role::Admin), &AuditFilter::default(), &page)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Validation(fields) if fields.contains_key("cursor")),
        "{err:?}"
    );
}

#[tokio::test]
async fn prune_removes_what_is_older_than_the_retention_and_records_it() {
    let mut log = MockAuditLog::new();
    log.expect_prune()
        .withf(|before, record| {
            let age = record.occurred_at - *before;
            record.action == AuditAction::AuditPruned && age == ChronoDuration::days(30)
        })
        .times(1)
        .returning(|_, _| Ok(3));
    assert_eq!(service(log, 30).prune().await.unwrap(), 3);
}

#[tokio::test]
async fn a_retention_of_zero_keeps_everything() {
    // No expectation: pruning would panic.
    assert_eq!(service(MockAuditLog::new(), 0).prune().await.unwrap(), 0);
}

#[test]
fn entries_by_a_caller_carry_their_actor_and_client() {
    let caller = principal(Role::Admin);
    let entry = NewAuditEntry::by(&caller, AuditAction::UserRoleChanged)
        .on("user", "usr_1")
        .details(serde_json::json!({"from": "USER", "to": "ADMIN"}));
    assert_eq!(entry.actor_id.as_ref(), Some(&caller.user.id));
    assert_eq!(entry.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(entry.user_agent.as_deref(), Some("test-agent/1.0"));
    assert_eq!(entry.resource_id.as_deref(), Some("usr_1"));
    assert_eq!(entry.outcome, Outcome::Success);
    assert_eq!(entry.details, r#"{"from":"USER","to":"ADMIN"}"#);
}

#[test]
fn wire_names_round_trip() {
    for action in AuditAction::ALL {
        assert_eq!(
            AuditAction::parse(action.as_str(), "action").unwrap(),
            *action
        );
    }
    assert!(AuditAction::parse("nope", "action").is_err());
}

// ---------------------------------------------------------------------------------------
// the chain

fn chain(n: usize) -> Vec<AuditEntry> {
    let mut prev = GENESIS_HASH.to_owned();
    (1..=n as i64)
        .map(|seq| {
            let record = NewAuditEntry::new(AuditAction::AuthLogout, &ClientInfo::default());
            let hash = record.chain_hash(seq, &prev);
            let entry = AuditEntry {
                seq,
                record,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            };
            prev = hash;
            entry
        })
        .collect()
}

fn verify(entries: &[AuditEntry]) -> ChainReport {
    let mut verifier = ChainVerifier::new();
    for entry in entries {
        if !verifier.check(entry) {
            break;
        }
    }
    verifier.finish()
}

#[test]
fn an_intact_chain_verifies() {
    let report = verify(&chain(5));
    assert_eq!(report.entries, 5);
    assert_eq!(report.broken, None);
}

#[test]
fn a_changed_entry_is_named() {
    let mut entries = chain(5);
    entries[2].record.ip = Some("203.0.113.9".into());
    let broken = verify(&entries).broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (3, Break::Changed));
    assert_eq!(broken.id, entries[2].record.id);
}

#[test]
fn a_deleted_entry_is_named_as_a_gap() {
    let mut entries = chain(5);
    entries.remove(2);
    let broken = verify(&entries).broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (4, Break::Gap { expected: 3 }));
}

#[test]
fn swapped_entries_do_not_link() {
    let mut entries = chain(5);
    // Rows 2 and 3 trade places (their seqs swapped).
    entries.swap(1, 2);
    entries[1].seq = 2;
    entries[2].seq = 3;
    let broken = verify(&entries).broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (2, Break::Unlinked));
}

#[test]
fn a_deleted_prefix_is_found_unless_a_prune_accounts_for_it() {
    let entries = chain(5);
    let broken = verify(&entries[2..]).broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (3, Break::PrefixDeleted));

    // The same start, accounted for by an audit.pruned entry at seq 6.
    let mut entries = chain(5);
    let record = NewAuditEntry::new(AuditAction::AuditPruned, &ClientInfo::default())
        .details(pruned_details(2, &entries[1].hash, 2));
    let prev = entries[4].hash.clone();
    entries.push(AuditEntry {
        seq: 6,
        hash: record.chain_hash(6, &prev),
        record,
        prev_hash: prev,
    });
    let report = verify(&entries[2..]);
    assert_eq!(report.broken, None);
    assert_eq!(report.entries, 4);
}

#[test]
fn the_encoding_cannot_shift_text_between_fields() {
    let base = NewAuditEntry::new(AuditAction::AuthLogout, &ClientInfo::default());
    let mut a = base.clone();
    a.resource_type = Some("ab".into());
    a.resource_id = Some("c".into());
    let mut b = base;
    b.resource_type = Some("a".into());
    b.resource_id = Some("bc".into());
    assert_ne!(a.chain_hash(1, GENESIS_HASH), b.chain_hash(1, GENESIS_HASH));
}
