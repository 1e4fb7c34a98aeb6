//! `SeaSessionRepository` against the `SessionRepository` contract.

use std::sync::Arc;

use chrono::TimeDelta;
use domain::{
    auth::{ClientInfo, Rotation, SessionRepository},
    id::SessionId,
    time,
};
use infrastructure::{backend_test, testing::TestDatabase};

use crate::{at, create_session, insert_user, session_repository, user_repository};

backend_test!(
    creating_a_session_then_finding_it_returns_the_stored_session,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let id = SessionId::generate();
        let now = time::now();
        let expires_at = now + TimeDelta::days(30);
        let client = ClientInfo {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".to_owned()),
            ip: Some("2001:db8::1".to_owned()),
        };

        let created = sessions
            .create(&id, &user.id, "token-1", &client, now, expires_at)
            .await
            .unwrap();

        assert_eq!(created.id, id);
        assert_eq!(created.user_id, user.id);
        assert_eq!(created.created_at, now);
        assert_eq!(created.last_used_at, now);
        assert_eq!(created.expires_at, expires_at);
        assert_eq!(created.revoked_at, None);
        assert_eq!(created.user_agent, client.user_agent);
        assert_eq!(created.ip, client.ip);
        assert_eq!(sessions.find(&id).await.unwrap(), Some(created));
        assert_eq!(sessions.find(&SessionId::generate()).await.unwrap(), None);

        // A session without client details keeps them absent.
        let bare = sessions
            .create(
                &SessionId::generate(),
                &user.id,
                "token-2",
                &ClientInfo::default(),
                now,
                expires_at,
            )
            .await
            .unwrap();
        let found = sessions.find(&bare.id).await.unwrap().unwrap();
        assert_eq!((found.user_agent, found.ip), (None, None));
    }
);

backend_test!(
    find_by_refresh_token_returns_the_session_with_the_token_unused,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let now = time::now();
        let session = create_session(
            &sessions,
            &user.id,
            "first-token",
            now,
            now + TimeDelta::days(1),
        )
        .await;

        let record = sessions
            .find_by_refresh_token("first-token")
            .await
            .unwrap()
            .unwrap();

        assert_eq!(record.session, session);
        assert_eq!(record.used_at, None);
        assert_eq!(
            sessions
                .find_by_refresh_token("unknown-token")
                .await
                .unwrap(),
            None
        );
    }
);

backend_test!(
    rotating_marks_the_old_token_used_stores_the_new_one_and_extends_the_session,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let t0 = time::now();
        let session = create_session(
            &sessions,
            &user.id,
            "old-token",
            t0,
            t0 + TimeDelta::days(30),
        )
        .await;
        let t1 = t0 + TimeDelta::minutes(10);
        let extended = t1 + TimeDelta::days(30);

        let outcome = sessions
            .rotate(&session.id, "old-token", "new-token", t1, extended)
            .await
            .unwrap();

        assert_eq!(outcome, Rotation::Rotated);
        let old = sessions
            .find_by_refresh_token("old-token")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(old.used_at, Some(t1));
        let new = sessions
            .find_by_refresh_token("new-token")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(new.used_at, None);
        assert_eq!(new.session.id, session.id);
        assert_eq!(new.session.expires_at, extended);
        assert_eq!(new.session.last_used_at, t1);
        assert_eq!(new.session.created_at, session.created_at);
        assert_eq!(new.session.revoked_at, None);
        assert_eq!(sessions.find(&session.id).await.unwrap(), Some(new.session));

        // The new token rotates in turn.
        let t2 = t1 + TimeDelta::minutes(10);
        let outcome = sessions
            .rotate(
                &session.id,
                "new-token",
                "newer-token",
                t2,
                t2 + TimeDelta::days(30),
            )
            .await
            .unwrap();
        assert_eq!(outcome, Rotation::Rotated);
    }
);

backend_test!(
    rotating_the_same_token_twice_is_already_used_and_stores_no_second_token,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let t0 = time::now();
        let session = create_session(
            &sessions,
            &user.id,
            "old-token",
            t0,
            t0 + TimeDelta::days(30),
        )
        .await;
        let t1 = t0 + TimeDelta::minutes(1);
        let first = sessions
            .rotate(
                &session.id,
                "old-token",
                "new-a",
                t1,
                t1 + TimeDelta::days(30),
            )
            .await
            .unwrap();
        let after_first = sessions.find(&session.id).await.unwrap().unwrap();

        let t2 = t1 + TimeDelta::minutes(1);
        let second = sessions
            .rotate(
                &session.id,
                "old-token",
                "new-b",
                t2,
                t2 + TimeDelta::days(60),
            )
            .await
            .unwrap();

        assert_eq!(first, Rotation::Rotated);
        assert_eq!(second, Rotation::AlreadyUsed);
        assert_eq!(sessions.find_by_refresh_token("new-b").await.unwrap(), None);
        assert!(sessions
            .find_by_refresh_token("new-a")
            .await
            .unwrap()
            .is_some());
        // The old token keeps the time of its one real use; the session is not extended.
        let old = sessions
            .find_by_refresh_token("old-token")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(old.used_at, Some(t1));
        assert_eq!(sessions.find(&session.id).await.unwrap(), Some(after_first));
    }
);

backend_test!(
    concurrent_rotations_of_one_token_rotate_it_exactly_once,
    |db: TestDatabase| async move {
        const RACERS: usize = 8;
        const ROUNDS: usize = 5;
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = Arc::new(session_repository(&conn));
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let t0 = time::now();
        let session =
            create_session(&sessions, &user.id, "round-0", t0, t0 + TimeDelta::days(30)).await;

        // Each round races RACERS exchanges of the token the previous round's winner got.
        let mut current = "round-0".to_owned();
        for round in 1..=ROUNDS {
            let now = t0 + TimeDelta::seconds(i64::try_from(round).unwrap());
            let tasks: Vec<_> = (0..RACERS)
                .map(|racer| {
                    let sessions = Arc::clone(&sessions);
                    let session_id = session.id.clone();
                    let old = current.clone();
                    let new = format!("round-{round}-racer-{racer}");
                    tokio::spawn(async move {
                        let outcome = sessions
                            .rotate(&session_id, &old, &new, now, now + TimeDelta::days(30))
                            .await;
                        (new, outcome)
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for task in tasks {
                let (new, outcome) = task.await.unwrap();
                match outcome {
                    Ok(Rotation::Rotated) => winners.push(new),
                    Ok(Rotation::AlreadyUsed) => {}
                    Err(err) => panic!("round {round}: a racer failed: {err:?}"),
                }
            }

            assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
            for racer in 0..RACERS {
                let new = format!("round-{round}-racer-{racer}");
                let stored = sessions.find_by_refresh_token(&new).await.unwrap();
                assert_eq!(stored.is_some(), new == winners[0], "round {round}: {new}");
            }
            let old = sessions
                .find_by_refresh_token(&current)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(old.used_at, Some(now));
            current = winners.remove(0);
        }
    }
);

backend_test!(
    revoking_sets_revoked_at_and_repeating_it_is_harmless,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let t0 = time::now();
        let session =
            create_session(&sessions, &user.id, "token", t0, t0 + TimeDelta::days(30)).await;
        let t1 = t0 + TimeDelta::minutes(5);

        sessions.revoke(&session.id, t1).await.unwrap();
        let revoked = sessions.find(&session.id).await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(t1));
        assert!(!revoked.is_active(t1));

        // Again, later: still fine, and the session keeps the time it ended.
        sessions
            .revoke(&session.id, t1 + TimeDelta::minutes(5))
            .await
            .unwrap();
        assert_eq!(sessions.find(&session.id).await.unwrap(), Some(revoked));
    }
);

backend_test!(
    list_active_excludes_revoked_and_expired_sessions_newest_first,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let ada = insert_user(&users, "ada@example.com", "Ada").await;
        let other = insert_user(&users, "other@example.com", "Other").await;
        let now = time::now();
        let later = now + TimeDelta::days(30);
        let start = now - TimeDelta::hours(2);

        let oldest = create_session(&sessions, &ada.id, "oldest", start, later).await;
        let revoked = create_session(&sessions, &ada.id, "revoked", start, later).await;
        sessions
            .revoke(&revoked.id, now - TimeDelta::minutes(1))
            .await
            .unwrap();
        create_session(
            &sessions,
            &ada.id,
            "expired",
            start,
            now - TimeDelta::seconds(1),
        )
        .await;
        // Expiring exactly now counts as expired, as `Session::is_active` says.
        create_session(&sessions, &ada.id, "expires-now", start, now).await;
        create_session(&sessions, &other.id, "someone-else", start, later).await;
        let newest = create_session(&sessions, &ada.id, "newest", now, later).await;

        let active = sessions.list_active(&ada.id, now).await.unwrap();

        assert_eq!(active, vec![newest, oldest]);
        assert!(active.iter().all(|s| s.is_active(now)));
        let none = sessions
            .list_active(&ada.id, later + TimeDelta::seconds(1))
            .await
            .unwrap();
        assert!(none.is_empty());
    }
);

backend_test!(
    session_timestamps_round_trip_exactly_at_millisecond_precision,
    |db: TestDatabase| async move {
        let conn = db.connect().await;
        let users = user_repository(&conn);
        let sessions = session_repository(&conn);
        let user = insert_user(&users, "ada@example.com", "Ada").await;
        let instants = [
            time::now(),
            at("2024-02-29T23:59:59.999Z"),
            at("2030-01-01T00:00:00Z"),
            at("2030-06-15T12:30:45.010Z"),
        ];
        for (i, created_at) in instants.into_iter().enumerate() {
            let expires_at = created_at + TimeDelta::milliseconds(86_400_123);
            let token = format!("token-{i}");
            let session = create_session(&sessions, &user.id, &token, created_at, expires_at).await;
            let found = sessions.find(&session.id).await.unwrap().unwrap();
            assert_eq!(found.created_at, created_at);
            assert_eq!(found.last_used_at, created_at);
            assert_eq!(found.expires_at, expires_at);

            let used_at = created_at + TimeDelta::milliseconds(1);
            let outcome = sessions
                .rotate(
                    &session.id,
                    &token,
                    &format!("{token}-next"),
                    used_at,
                    expires_at,
                )
                .await
                .unwrap();
            assert_eq!(outcome, Rotation::Rotated);
            let old = sessions
                .find_by_refresh_token(&token)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(old.used_at, Some(used_at));
            assert_eq!(old.session.last_used_at, used_at);

            sessions.revoke(&session.id, used_at).await.unwrap();
            let revoked = sessions.find(&session.id).await.unwrap().unwrap();
            assert_eq!(revoked.revoked_at, Some(used_at));
        }
    }
);
