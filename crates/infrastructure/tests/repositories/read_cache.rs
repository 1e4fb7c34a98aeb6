//! The read cache in front of users and sessions never serves a value older than a write
//! made through it.

use std::{sync::Arc, time::Duration};

use domain::{
    auth::{ClientInfo, SessionRepository},
    id::SessionId,
    time,
    user::{UserChanges, UserRepository, UserStatus},
};
use infrastructure::{
    backend_test,
    cache::{CachedSessionRepository, CachedUserRepository},
    testing::TestDatabase,
};

use crate::{new_user, session_repository, user_repository};

const TTL: Duration = Duration::from_secs(60);

backend_test!(
    a_cached_user_reflects_updates_and_deletion_at_once,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = CachedUserRepository::new(Arc::new(user_repository(&conn)), TTL);
        let user = users
            .insert(&new_user("ada@example.com", "Ada"))
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
            .update(&user.id, &suspend, None, time::after(user.updated_at))
            .await
            .unwrap();
        let cached = users.find(&user.id).await.unwrap().unwrap();
        assert_eq!(cached.status, UserStatus::Suspended);

        users.delete(&user.id, None).await.unwrap();
        assert!(users.find(&user.id).await.unwrap().is_none());
    }
);

backend_test!(
    a_cached_session_reflects_revocation_at_once,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let user = users
            .insert(&new_user("ada@example.com", "Ada"))
            .await
            .unwrap();
        let sessions = CachedSessionRepository::new(Arc::new(session_repository(&conn)), TTL);
        let now = time::now();
        let id = SessionId::generate();
        sessions
            .create(
                &id,
                &user.id,
                "hash-1",
                &ClientInfo::default(),
                now,
                now + chrono::Duration::days(1),
            )
            .await
            .unwrap();
        assert!(sessions
            .find(&id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none());

        sessions.revoke(&id, time::now()).await.unwrap();

        assert!(sessions
            .find(&id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some());
    }
);
