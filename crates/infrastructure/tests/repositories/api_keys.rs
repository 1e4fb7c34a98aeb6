//! `SeaApiKeyRepository` against the `ApiKeyRepository` contract.

use chrono::TimeDelta;
use domain::{
    api_key::{
        ApiKey, ApiKeyChanges, ApiKeyName, ApiKeyRepository, ApiKeySecret, NewApiKey, Scope, Scopes,
    },
    id::{ApiKeyId, UserId},
    time::{self, Timestamp},
    DomainError,
};
use infrastructure::repositories::SeaApiKeyRepository;

use crate::support::{first_page, page_of, Fixture};

fn keys(f: &Fixture) -> SeaApiKeyRepository {
    SeaApiKeyRepository::new(f.conn.clone())
}

fn scopes(list: &[Scope]) -> Scopes {
    Scopes::new(list.iter().copied()).unwrap()
}

/// A key of `owner` called `name`, made at `now`, and its secret.
fn new_key(owner: &UserId, name: &str, now: Timestamp) -> (NewApiKey, ApiKeySecret) {
    let secret = ApiKeySecret::generate();
    let key = ApiKey {
        id: ApiKeyId::generate(),
        user_id: owner.clone(),
        name: ApiKeyName::parse(name).unwrap(),
        scopes: scopes(&[Scope::ThreadsRead, Scope::MessagesWrite]),
        prefix: secret.shown_prefix(),
        created_at: now,
        updated_at: now,
        last_used_at: None,
        expires_at: Some(now + TimeDelta::days(30)),
    };
    (
        NewApiKey {
            key,
            secret_hash: secret.hash(),
        },
        secret,
    )
}

repo_test!(
    a_stored_key_is_found_by_id_and_by_the_hash_of_its_secret,
    |f| {
        let repo = keys(&f);
        let ada = f.user("Ada").await;
        let (new, secret) = new_key(&ada.id, "ci", time::now());

        let stored = repo
            .insert(&new, &crate::support::audit_entry())
            .await
            .unwrap();

        assert_eq!(stored, new.key);
        assert_eq!(repo.find(&new.key.id).await.unwrap(), Some(new.key.clone()));
        assert_eq!(
            repo.find_by_secret_hash(&secret.hash()).await.unwrap(),
            Some(new.key.clone())
        );
        assert_eq!(
            repo.find_by_secret_hash(&ApiKeySecret::generate().hash())
                .await
                .unwrap(),
            None
        );
        assert_eq!(repo.find(&ApiKeyId::generate()).await.unwrap(), None);
    }
);

repo_test!(two_keys_cannot_share_a_secret_hash, |f| {
    let repo = keys(&f);
    let ada = f.user("Ada").await;
    let (first, _) = new_key(&ada.id, "one", time::now());
    repo.insert(&first, &crate::support::audit_entry())
        .await
        .unwrap();
    let (mut second, _) = new_key(&ada.id, "two", time::now());
    second.secret_hash = first.secret_hash.clone();
    assert!(matches!(
        repo.insert(&second, &crate::support::audit_entry()).await,
        Err(DomainError::Conflict(_))
    ));
});

repo_test!(a_users_keys_are_listed_newest_first_in_pages, |f| {
    let repo = keys(&f);
    let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
    let mut made = Vec::new();
    for n in 0..3 {
        let (new, _) = new_key(&ada.id, &format!("key {n}"), time::now());
        made.push(
            repo.insert(&new, &crate::support::audit_entry())
                .await
                .unwrap(),
        );
    }
    let (theirs, _) = new_key(&bob.id, "bob's", time::now());
    repo.insert(&theirs, &crate::support::audit_entry())
        .await
        .unwrap();

    let first = repo.list(&ada.id, &first_page(2)).await.unwrap();
    assert_eq!(first.items, vec![made[2].clone(), made[1].clone()]);
    let second = repo.list(&ada.id, &page_of(2, first.next)).await.unwrap();
    assert_eq!(second.items, vec![made[0].clone()]);
    assert_eq!(second.next, None);
});

repo_test!(
    changes_and_rotation_are_conditional_on_the_version_read,
    |f| {
        let repo = keys(&f);
        let ada = f.user("Ada").await;
        let created = time::now() - TimeDelta::minutes(5);
        let (new, old_secret) = new_key(&ada.id, "ci", created);
        repo.insert(&new, &crate::support::audit_entry())
            .await
            .unwrap();
        let id = new.key.id.clone();

        let renamed = ApiKeyChanges {
            name: Some(ApiKeyName::parse("agent").unwrap()),
            scopes: Some(scopes(&[Scope::MessagesRead])),
        };
        let stale = created - TimeDelta::seconds(1);
        let later = time::now();
        assert!(matches!(
            repo.update(
                &id,
                &renamed,
                Some(stale),
                later,
                &crate::support::audit_entry()
            )
            .await,
            Err(DomainError::PreconditionFailed)
        ));
        let changed = repo
            .update(
                &id,
                &renamed,
                Some(created),
                later,
                &crate::support::audit_entry(),
            )
            .await
            .unwrap();
        assert_eq!(changed.name.as_str(), "agent");
        assert_eq!(changed.scopes, scopes(&[Scope::MessagesRead]));
        assert_eq!(changed.updated_at, later);

        let next = ApiKeySecret::generate();
        let rotated_at = time::after(later);
        let rotated = repo
            .rotate(
                &id,
                &next.hash(),
                &next.shown_prefix(),
                None,
                rotated_at,
                &crate::support::audit_entry(),
            )
            .await
            .unwrap();
        assert_eq!(rotated.prefix, next.shown_prefix());
        assert_eq!(
            repo.find_by_secret_hash(&old_secret.hash()).await.unwrap(),
            None
        );
        assert_eq!(
            repo.find_by_secret_hash(&next.hash()).await.unwrap(),
            Some(rotated)
        );
        assert!(matches!(
            repo.rotate(
                &ApiKeyId::generate(),
                "x",
                "xl_",
                None,
                rotated_at,
                &crate::support::audit_entry()
            )
            .await,
            Err(DomainError::NotFound("api key"))
        ));
    }
);

repo_test!(
    a_deleted_key_is_gone_and_deleting_it_again_is_not_found,
    |f| {
        let repo = keys(&f);
        let ada = f.user("Ada").await;
        let (new, secret) = new_key(&ada.id, "ci", time::now());
        repo.insert(&new, &crate::support::audit_entry())
            .await
            .unwrap();

        assert!(matches!(
            repo.delete(
                &new.key.id,
                Some(new.key.updated_at - TimeDelta::seconds(1)),
                &crate::support::audit_entry(),
            )
            .await,
            Err(DomainError::PreconditionFailed)
        ));
        repo.delete(
            &new.key.id,
            Some(new.key.updated_at),
            &crate::support::audit_entry(),
        )
        .await
        .unwrap();
        assert_eq!(
            repo.find_by_secret_hash(&secret.hash()).await.unwrap(),
            None
        );
        assert!(matches!(
            repo.delete(&new.key.id, None, &crate::support::audit_entry())
                .await,
            Err(DomainError::NotFound("api key"))
        ));
    }
);

repo_test!(
    a_use_is_recorded_once_per_interval_without_moving_the_version,
    |f| {
        let repo = keys(&f);
        let ada = f.user("Ada").await;
        let (new, _) = new_key(&ada.id, "ci", time::now() - TimeDelta::minutes(5));
        repo.insert(&new, &crate::support::audit_entry())
            .await
            .unwrap();
        let id = &new.key.id;

        let first = time::now();
        repo.touch(id, first, first - TimeDelta::minutes(1))
            .await
            .unwrap();
        let seen = repo.find(id).await.unwrap().unwrap();
        assert_eq!(seen.last_used_at, Some(first));
        assert_eq!(seen.updated_at, new.key.updated_at);

        // Within the interval a second touch (a concurrent request) writes nothing.
        let soon = first + TimeDelta::seconds(10);
        repo.touch(id, soon, soon - TimeDelta::minutes(1))
            .await
            .unwrap();
        assert_eq!(
            repo.find(id).await.unwrap().unwrap().last_used_at,
            Some(first)
        );

        let later = first + TimeDelta::minutes(2);
        repo.touch(id, later, later - TimeDelta::minutes(1))
            .await
            .unwrap();
        assert_eq!(
            repo.find(id).await.unwrap().unwrap().last_used_at,
            Some(later)
        );
    }
);

repo_test!(
    a_cached_key_reflects_rotation_deletion_and_recorded_use_at_once,
    |f| {
        let cached = infrastructure::cache::CachedApiKeyRepository::new(
            std::sync::Arc::new(keys(&f)),
            std::time::Duration::from_secs(60),
        );
        let ada = f.user("Ada").await;
        let now = time::now();
        let (new, secret) = new_key(&ada.id, "ci", now);
        cached
            .insert(&new, &crate::support::audit_entry())
            .await
            .unwrap();
        let by_secret = |hash: String| {
            let cached = &cached;
            async move { cached.find_by_secret_hash(&hash).await.unwrap() }
        };
        assert_eq!(by_secret(secret.hash()).await, Some(new.key.clone()));

        // A recorded use is seen by the next lookup, not a minute later.
        cached.touch(&new.key.id, now, now).await.unwrap();
        let used = by_secret(secret.hash()).await.unwrap();
        assert_eq!(used.last_used_at, Some(now));

        // The old secret stops at once; the new one works.
        let fresh = ApiKeySecret::generate();
        cached
            .rotate(
                &new.key.id,
                &fresh.hash(),
                &fresh.shown_prefix(),
                None,
                time::now(),
                &crate::support::audit_entry(),
            )
            .await
            .unwrap();
        assert_eq!(by_secret(secret.hash()).await, None);
        assert!(by_secret(fresh.hash()).await.is_some());

        cached
            .delete(&new.key.id, None, &crate::support::audit_entry())
            .await
            .unwrap();
        assert_eq!(by_secret(fresh.hash()).await, None);
    }
);
