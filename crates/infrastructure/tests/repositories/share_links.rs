//! `SeaShareLinkRepository` against the `ShareLinkRepository` contract: links found by
//! the hash of their token, listed per thread, revoked at once, views counted exactly
//! under concurrency, and links gone with their thread.

use std::sync::Arc;

use chrono::TimeDelta;
use domain::{
    audit::{AuditAction, AuditFilter, AuditLog, NewAuditEntry},
    auth::ClientInfo,
    id::{ShareLinkId, ThreadId, UserId},
    share_link::{MaxViews, NewShareLink, ShareLink, ShareLinkRepository, ShareToken},
    time::{self, Timestamp},
    user::PasswordHash,
    DomainError,
};
use infrastructure::repositories::{SeaAuditLog, SeaShareLinkRepository};

use crate::support::{audit_entry, first_page, page_of, Fixture, A_HASH};

fn links(f: &Fixture) -> Arc<SeaShareLinkRepository> {
    Arc::new(SeaShareLinkRepository::new(f.conn.clone()))
}

/// A link to `thread` made by `by` at `now`, and its token.
fn new_link(thread: &ThreadId, by: &UserId, now: Timestamp) -> (NewShareLink, ShareToken) {
    let token = ShareToken::generate();
    let link = ShareLink {
        id: ShareLinkId::generate(),
        thread_id: thread.clone(),
        created_by: by.clone(),
        expires_at: None,
        max_views: None,
        view_count: 0,
        password_hash: None,
        created_at: now,
    };
    (
        NewShareLink {
            link,
            token_hash: token.hash(),
        },
        token,
    )
}

repo_test!(
    a_stored_link_is_found_by_id_and_by_the_hash_of_its_token,
    |f| {
        let repo = links(&f);
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Plans").await;
        let (mut new, token) = new_link(&thread.id, &ada.id, time::now());
        new.link.max_views = Some(MaxViews::parse(7).unwrap());
        new.link.expires_at = Some(time::now() + TimeDelta::days(2));
        new.link.password_hash = Some(PasswordHash::new(A_HASH.to_owned()));

        let stored = repo.insert(&new, &audit_entry()).await.unwrap();

        assert_eq!(stored, new.link);
        assert_eq!(
            repo.find(&new.link.id).await.unwrap(),
            Some(new.link.clone())
        );
        assert_eq!(
            repo.find_by_token_hash(&token.hash()).await.unwrap(),
            Some(new.link.clone())
        );
        assert_eq!(
            repo.find_by_token_hash(&ShareToken::generate().hash())
                .await
                .unwrap(),
            None
        );
        // The token itself is nowhere in the table.
        let clear = format!(
            "share_links WHERE token_hash = '{}' OR id = '{}'",
            token.expose(),
            token.expose()
        );
        assert_eq!(f.count(&clear).await, 0);
    }
);

repo_test!(two_links_cannot_share_a_token_hash, |f| {
    let repo = links(&f);
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Plans").await;
    let (first, _) = new_link(&thread.id, &ada.id, time::now());
    repo.insert(&first, &audit_entry()).await.unwrap();
    let (mut second, _) = new_link(&thread.id, &ada.id, time::now());
    second.token_hash = first.token_hash.clone();

    let result = repo.insert(&second, &audit_entry()).await;

    assert!(
        matches!(result, Err(DomainError::Conflict(_))),
        "{result:?}"
    );
    assert_eq!(f.count("share_links").await, 1);
});

repo_test!(a_link_to_a_missing_thread_is_not_stored, |f| {
    let repo = links(&f);
    let ada = f.user("Ada").await;
    let (new, _) = new_link(&ThreadId::generate(), &ada.id, time::now());

    let result = repo.insert(&new, &audit_entry()).await;

    assert!(
        matches!(result, Err(DomainError::NotFound("thread"))),
        "{result:?}"
    );
    assert_eq!(f.count("share_links").await, 0);
});

repo_test!(a_thread_lists_its_own_links_newest_first_in_pages, |f| {
    let repo = links(&f);
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Plans").await;
    let other = f.thread(&ada.id, "Other").await;
    let mut made = Vec::new();
    for _ in 0..3 {
        let (new, _) = new_link(&thread.id, &ada.id, time::now());
        made.push(repo.insert(&new, &audit_entry()).await.unwrap().id);
    }
    let (elsewhere, _) = new_link(&other.id, &ada.id, time::now());
    repo.insert(&elsewhere, &audit_entry()).await.unwrap();

    let first = repo.list(&thread.id, &page_of(2, None)).await.unwrap();
    let ids: Vec<_> = first.items.iter().map(|l| l.id.clone()).collect();
    assert_eq!(ids, vec![made[2].clone(), made[1].clone()]);
    let next = first.next.expect("a second page");
    let second = repo
        .list(&thread.id, &page_of(2, Some(next)))
        .await
        .unwrap();
    let ids: Vec<_> = second.items.iter().map(|l| l.id.clone()).collect();
    assert_eq!(ids, vec![made[0].clone()]);
    assert!(second.next.is_none());
    assert_eq!(
        repo.list(&other.id, &first_page(20))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
});

repo_test!(a_revoked_link_is_gone_at_once, |f| {
    let repo = links(&f);
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Plans").await;
    let (new, token) = new_link(&thread.id, &ada.id, time::now());
    repo.insert(&new, &audit_entry()).await.unwrap();

    repo.delete(&new.link.id, &audit_entry()).await.unwrap();

    assert_eq!(repo.find_by_token_hash(&token.hash()).await.unwrap(), None);
    assert!(!repo.record_view(&new.link.id, time::now()).await.unwrap());
    assert!(matches!(
        repo.delete(&new.link.id, &audit_entry()).await,
        Err(DomainError::NotFound("share link"))
    ));
});

repo_test!(
    making_and_revoking_a_link_each_append_their_audit_entry_and_a_failed_revoke_none,
    |f| {
        let repo = links(&f);
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Plans").await;
        let (new, _) = new_link(&thread.id, &ada.id, time::now());
        let entry = |action| {
            NewAuditEntry::new(action, &ClientInfo::default()).on("share_link", &new.link.id)
        };

        repo.insert(&new, &entry(AuditAction::ShareLinkCreated))
            .await
            .unwrap();
        repo.delete(&new.link.id, &entry(AuditAction::ShareLinkDeleted))
            .await
            .unwrap();
        let again = repo
            .delete(&new.link.id, &entry(AuditAction::ShareLinkDeleted))
            .await;

        assert!(matches!(again, Err(DomainError::NotFound("share link"))));
        let recorded = SeaAuditLog::new(f.conn.clone())
            .list(
                &AuditFilter {
                    resource_type: Some("share_link".to_owned()),
                    ..AuditFilter::default()
                },
                &first_page(10),
            )
            .await
            .unwrap();
        let actions: Vec<_> = recorded.items.iter().map(|e| e.record.action).collect();
        assert_eq!(
            actions,
            [AuditAction::ShareLinkDeleted, AuditAction::ShareLinkCreated]
        );
    }
);

repo_test!(
    views_are_counted_up_to_the_limit_and_not_after_expiry,
    |f| {
        let repo = links(&f);
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Plans").await;
        let now = time::now();

        let (mut limited, _) = new_link(&thread.id, &ada.id, now);
        limited.link.max_views = Some(MaxViews::parse(3).unwrap());
        repo.insert(&limited, &audit_entry()).await.unwrap();
        let served: Vec<bool> = {
            let mut served = Vec::new();
            for _ in 0..5 {
                served.push(repo.record_view(&limited.link.id, now).await.unwrap());
            }
            served
        };
        assert_eq!(served, vec![true, true, true, false, false]);
        let stored = repo.find(&limited.link.id).await.unwrap().unwrap();
        assert_eq!(stored.view_count, 3);

        let (mut expiring, _) = new_link(&thread.id, &ada.id, now);
        expiring.link.expires_at = Some(now + TimeDelta::minutes(1));
        repo.insert(&expiring, &audit_entry()).await.unwrap();
        assert!(repo.record_view(&expiring.link.id, now).await.unwrap());
        let later = now + TimeDelta::minutes(2);
        assert!(!repo.record_view(&expiring.link.id, later).await.unwrap());
        let stored = repo.find(&expiring.link.id).await.unwrap().unwrap();
        assert_eq!(stored.view_count, 1);

        let (unlimited, _) = new_link(&thread.id, &ada.id, now);
        repo.insert(&unlimited, &audit_entry()).await.unwrap();
        for _ in 0..4 {
            assert!(repo.record_view(&unlimited.link.id, now).await.unwrap());
        }
        let stored = repo.find(&unlimited.link.id).await.unwrap().unwrap();
        assert_eq!(stored.view_count, 4);
    }
);

repo_test!(
    of_fifty_concurrent_views_of_a_five_view_link_exactly_five_are_counted,
    |f| {
        let repo = links(&f);
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Plans").await;
        let (mut new, _) = new_link(&thread.id, &ada.id, time::now());
        new.link.max_views = Some(MaxViews::parse(5).unwrap());
        repo.insert(&new, &audit_entry()).await.unwrap();

        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (repo, id) = (Arc::clone(&repo), new.link.id.clone());
                tokio::spawn(async move { repo.record_view(&id, time::now()).await })
            })
            .collect();
        let mut served = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() {
                served += 1;
            }
        }

        assert_eq!(served, 5);
        let stored = repo.find(&new.link.id).await.unwrap().unwrap();
        assert_eq!(stored.view_count, 5);
    }
);

repo_test!(links_go_with_their_thread, |f| {
    let repo = links(&f);
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Plans").await;
    let kept = f.thread(&ada.id, "Kept").await;
    let (new, token) = new_link(&thread.id, &ada.id, time::now());
    repo.insert(&new, &audit_entry()).await.unwrap();
    let (other, _) = new_link(&kept.id, &ada.id, time::now());
    repo.insert(&other, &audit_entry()).await.unwrap();

    f.delete_thread(&thread.id, None, &ada.id).await.unwrap();

    assert_eq!(repo.find_by_token_hash(&token.hash()).await.unwrap(), None);
    let gone = format!("share_links WHERE thread_id = '{}'", thread.id);
    assert_eq!(f.count(&gone).await, 0);
    assert_eq!(f.count("share_links").await, 1);
});
