//! The audit log (`SeaAuditLog` and the in-transaction append): the chain's order under
//! concurrent writers, entries that roll back with their write, the filters, pruning,
//! and verification naming a changed, deleted or reordered entry.

use std::sync::Arc;

use chrono::{Duration as ChronoDuration, TimeDelta};
use domain::{
    audit::{AuditAction, AuditFilter, AuditLog, Break, NewAuditEntry, GENESIS_HASH},
    auth::ClientInfo,
    event::EventKind,
    id::UserId,
    pagination::Page,
    thread::MemberRole,
    time, DomainError,
};
use infrastructure::repositories::SeaAuditLog;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{count, create_thread, event, first_page, insert_user, page_of, Fixture};

fn log(f: &Fixture) -> SeaAuditLog {
    SeaAuditLog::new(f.conn.clone())
}

fn client() -> ClientInfo {
    ClientInfo {
        user_agent: Some("audit-test/1.0".into()),
        ip: Some("203.0.113.7".into()),
    }
}

fn entry(action: AuditAction, actor: &UserId) -> NewAuditEntry {
    NewAuditEntry::new(action, &client())
        .actor(actor, "ada@example.com")
        .on("user", actor)
}

/// Appends `n` logouts by `actor`, one transaction each.
async fn append_n(log: &SeaAuditLog, actor: &UserId, n: usize) {
    for _ in 0..n {
        log.append(&entry(AuditAction::AuthLogout, actor))
            .await
            .unwrap();
    }
}

async fn exec(f: &Fixture, sql: &str) {
    f.conn
        .execute(Statement::from_string(f.conn.get_database_backend(), sql))
        .await
        .unwrap();
}

fn seqs<T>(page: &Page<T>, seq: impl Fn(&T) -> i64) -> Vec<i64> {
    page.items.iter().map(seq).collect()
}

repo_test!(entries_form_a_chain_that_verifies, |f| {
    let log = log(&f);
    let actor = UserId::generate();
    append_n(&log, &actor, 3).await;
    let page = log
        .list(&AuditFilter::default(), &first_page(10))
        .await
        .unwrap();
    assert_eq!(seqs(&page, |e| e.seq), [3, 2, 1]);
    let oldest = &page.items[2];
    assert_eq!(oldest.prev_hash, GENESIS_HASH);
    assert_eq!(page.items[1].prev_hash, oldest.hash);
    assert_eq!(oldest.record.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(oldest.record.user_agent.as_deref(), Some("audit-test/1.0"));
    let report = log.verify().await.unwrap();
    assert_eq!((report.entries, report.broken), (3, None));
});

repo_test!(concurrent_writers_never_fork_the_chain, |f| {
    let log = Arc::new(log(&f));
    let actor = UserId::generate();
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let log = log.clone();
            let actor = actor.clone();
            tokio::spawn(async move {
                log.append(&entry(AuditAction::AuthLoginFailed, &actor).failed())
                    .await
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    let page = log
        .list(&AuditFilter::default(), &first_page(100))
        .await
        .unwrap();
    assert_eq!(seqs(&page, |e| e.seq), (1..=16).rev().collect::<Vec<_>>());
    let report = log.verify().await.unwrap();
    assert_eq!((report.entries, report.broken), (16, None));
});

repo_test!(an_audited_write_that_fails_leaves_no_entry, |f| {
    let owner = insert_user(&f.users, "owner@example.com", "Owner").await;
    let ada = insert_user(&f.users, "ada@example.com", "Ada").await;
    let thread = create_thread(&*f.threads, &owner.id, "Plans").await;
    let before = count(&f.conn, "audit_log").await;
    let add = |audit: NewAuditEntry| {
        let threads = f.threads.clone();
        let (thread, ada, owner) = (thread.id.clone(), ada.id.clone(), owner.id.clone());
        async move {
            threads
                .add_member(
                    &thread,
                    &ada,
                    MemberRole::Editor,
                    time::now(),
                    &event(EventKind::MemberAdded, &thread, &owner),
                    &audit,
                )
                .await
        }
    };
    add(entry(AuditAction::MemberAdded, &owner.id))
        .await
        .unwrap();
    let again = add(entry(AuditAction::MemberAdded, &owner.id)).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    // Removing someone who is not a member fails too, and records nothing.
    let stranger = UserId::generate();
    let removed = f
        .threads
        .remove_member(
            &thread.id,
            &stranger,
            &event(EventKind::MemberRemoved, &thread.id, &owner.id),
            &entry(AuditAction::MemberRemoved, &owner.id),
        )
        .await;
    assert!(
        matches!(removed, Err(DomainError::NotFound(_))),
        "{removed:?}"
    );
    assert_eq!(
        count(&f.conn, "audit_log WHERE action = 'member.added'").await,
        1
    );
    assert_eq!(count(&f.conn, "audit_log").await, before + 1);
    assert_eq!(log(&f).verify().await.unwrap().broken, None);
});

repo_test!(filters_narrow_the_list_and_pages_follow_the_cursor, |f| {
    let log = log(&f);
    let ada = UserId::generate();
    let bob = UserId::generate();
    append_n(&log, &ada, 3).await;
    log.append(&entry(AuditAction::ApiKeyCreated, &bob).on("api_key", "key_1"))
        .await
        .unwrap();
    let list = |filter: AuditFilter| {
        let log = &log;
        async move { log.list(&filter, &first_page(100)).await.unwrap() }
    };
    let by_ada = list(AuditFilter {
        actor_id: Some(ada.clone()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(seqs(&by_ada, |e| e.seq), [3, 2, 1]);
    let keys = list(AuditFilter {
        action: Some(AuditAction::ApiKeyCreated),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(seqs(&keys, |e| e.seq), [4]);
    let resource = list(AuditFilter {
        resource_type: Some("api_key".into()),
        resource_id: Some("key_1".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(seqs(&resource, |e| e.seq), [4]);
    let now = time::now();
    let future = list(AuditFilter {
        from: Some(now + ChronoDuration::minutes(1)),
        ..AuditFilter::default()
    })
    .await;
    assert!(future.items.is_empty());
    let past = list(AuditFilter {
        from: Some(now - ChronoDuration::minutes(1)),
        to: Some(now + ChronoDuration::minutes(1)),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(past.items.len(), 4);

    let first = log
        .list(&AuditFilter::default(), &first_page(3))
        .await
        .unwrap();
    assert_eq!(seqs(&first, |e| e.seq), [4, 3, 2]);
    let rest = log
        .list(&AuditFilter::default(), &page_of(3, first.next.clone()))
        .await
        .unwrap();
    assert_eq!(seqs(&rest, |e| e.seq), [1]);
    assert!(rest.next.is_none());
});

repo_test!(a_changed_entry_is_named, |f| {
    let log = log(&f);
    append_n(&log, &UserId::generate(), 4).await;
    exec(&f, "UPDATE audit_log SET ip = '198.51.100.1' WHERE seq = 2").await;
    let broken = log.verify().await.unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.reason.clone()), (2, Break::Changed));
    assert!(broken.id.as_str().starts_with("aud_"));
    assert!(broken.to_string().contains("seq 2"), "{broken}");
});

repo_test!(a_deleted_entry_is_named, |f| {
    let log = log(&f);
    append_n(&log, &UserId::generate(), 4).await;
    exec(&f, "DELETE FROM audit_log WHERE seq = 2").await;
    let broken = log.verify().await.unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (3, Break::Gap { expected: 2 }));
    // Deleting the oldest entries is found too, as no pruning accounts for them.
    exec(&f, "DELETE FROM audit_log WHERE seq <= 3").await;
    let broken = log.verify().await.unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (4, Break::PrefixDeleted));
});

repo_test!(reordered_entries_are_named, |f| {
    let log = log(&f);
    append_n(&log, &UserId::generate(), 4).await;
    // Rows 2 and 3 swap places in the order.
    exec(&f, "UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
    exec(&f, "UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    exec(&f, "UPDATE audit_log SET seq = 3 WHERE seq = -2").await;
    let broken = log.verify().await.unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.reason), (2, Break::Unlinked));
});

repo_test!(
    pruning_removes_the_oldest_and_keeps_the_chain_verifiable,
    |f| {
        let log = log(&f);
        let actor = UserId::generate();
        let now = time::now();
        for age in [40, 30, 20] {
            let mut old = entry(AuditAction::AuthLogout, &actor);
            old.occurred_at = domain::audit::micros(now - ChronoDuration::days(age));
            log.append(&old).await.unwrap();
        }
        append_n(&log, &actor, 2).await;
        let record = NewAuditEntry::new(AuditAction::AuditPruned, &ClientInfo::default())
            .on("audit_log", "audit_log");
        let removed = log
            .prune(now - ChronoDuration::days(25), &record)
            .await
            .unwrap();
        assert_eq!(removed, 2);
        let page = log
            .list(&AuditFilter::default(), &first_page(10))
            .await
            .unwrap();
        assert_eq!(seqs(&page, |e| e.seq), [6, 5, 4, 3]);
        let pruned = &page.items[0];
        assert_eq!(pruned.record.action, AuditAction::AuditPruned);
        let details: serde_json::Value = serde_json::from_str(&pruned.record.details).unwrap();
        assert_eq!(details["through_seq"], 2);
        assert_eq!(details["through_hash"], page.items[3].prev_hash.as_str());
        let report = log.verify().await.unwrap();
        assert_eq!((report.entries, report.broken), (4, None));

        // Nothing more is old enough: nothing removed, nothing recorded.
        let again = log
            .prune(now - ChronoDuration::days(25), &record)
            .await
            .unwrap();
        assert_eq!(again, 0);
        assert_eq!(count(&f.conn, "audit_log").await, 4);

        // Deleting past the pruned prefix is still found.
        exec(&f, "DELETE FROM audit_log WHERE seq = 3").await;
        let broken = log.verify().await.unwrap().broken.unwrap();
        assert_eq!((broken.seq, broken.reason), (4, Break::PrefixDeleted));
    }
);

repo_test!(occurred_at_round_trips_to_the_microsecond, |f| {
    let log = log(&f);
    let mut e = entry(AuditAction::AuthLogout, &UserId::generate());
    e.occurred_at = domain::audit::micros(time::now()) + TimeDelta::microseconds(7);
    log.append(&e).await.unwrap();
    let page = log
        .list(&AuditFilter::default(), &first_page(1))
        .await
        .unwrap();
    assert_eq!(page.items[0].record, e);
});
