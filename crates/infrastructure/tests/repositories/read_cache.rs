//! The read cache in front of users and sessions never serves a value older than a write
//! made through it.

use std::time::Duration;

use domain::{
    auth::{ClientInfo, SessionRepository},
    id::SessionId,
    time,
    user::{UserChanges, UserRepository, UserStatus},
};
use infrastructure::cache::{CachedSessionRepository, CachedUserRepository};

use crate::support::new_user;

const TTL: Duration = Duration::from_secs(60);

repo_test!(a_cached_user_reflects_updates_and_deletion_at_once, |f| {
    let users = CachedUserRepository::new(f.users.clone(), TTL);
    let user = users
        .insert(
            &new_user("ada@example.com", "Ada"),
            &crate::support::audit_entry(),
        )
        .await
        .unwrap();
    assert_eq!(
        users.find(&user.id).await.unwrap().unwrap().status,
        UserStatus::Active
    );

    let suspend = UserChanges {
        status: Some(UserStatus::Suspended),
        ..UserChanges::default()
    };
    users
        .update(&user.id, &suspend, None, time::after(user.updated_at), &[])
        .await
        .unwrap();
    let cached = users.find(&user.id).await.unwrap().unwrap();
    assert_eq!(cached.status, UserStatus::Suspended);
});

repo_test!(a_cached_session_reflects_revocation_at_once, |f| {
    let user = f.user("Ada").await;
    let sessions = CachedSessionRepository::new(f.sessions.clone(), TTL);
    let now = time::now();
    let id = SessionId::generate();
    let expires_at = now + chrono::Duration::days(1);
    sessions
        .create(
            &id,
            &user.id,
            "hash-1",
            &ClientInfo::default(),
            now,
            expires_at,
            &crate::support::audit_entry(),
        )
        .await
        .unwrap();
    let revoked_at = || async { sessions.find(&id).await.unwrap().unwrap().revoked_at };
    assert!(revoked_at().await.is_none());

    sessions
        .revoke(&id, time::now(), &crate::support::audit_entry())
        .await
        .unwrap();

    assert!(revoked_at().await.is_some());
});

repo_test!(an_erased_user_leaves_the_user_cache_at_once, |f| {
    use domain::account::{AccountRepository, Erasure};
    use infrastructure::{cache::CachedAccountRepository, repositories::SeaAccountRepository};
    use std::sync::Arc;

    let users = CachedUserRepository::new(f.users.clone(), TTL);
    let accounts = CachedAccountRepository::new(
        Arc::new(SeaAccountRepository::new(f.conn.clone())),
        Some(users.evictor()),
        None,
    );
    let user = f.user("Ada").await;
    assert!(users.find(&user.id).await.unwrap().is_some(), "now cached");

    let caller = crate::support::principal(&user);
    let erasure = Erasure::new(&user.id, &caller, None, time::now()).unwrap();
    accounts.erase(&erasure).await.unwrap();

    assert!(users.find(&user.id).await.unwrap().is_none());
});
