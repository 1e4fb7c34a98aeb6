//! `SeaSessionRepository` against the `SessionRepository` contract.

use std::sync::Arc;

use chrono::TimeDelta;
use domain::{
    auth::{ClientInfo, RefreshTokenRecord, Rotation, Session, SessionRepository},
    id::SessionId,
    time::{self, Timestamp},
};

use crate::support::{at, page_of, Fixture};

const MONTH: TimeDelta = TimeDelta::days(30);

/// The refresh token stored under `hash`, if any.
async fn refresh_token(f: &Fixture, hash: &str) -> Option<RefreshTokenRecord> {
    f.sessions.find_by_refresh_token(hash).await.unwrap()
}

/// Exchanges the refresh token `old` for `new` at `now`, extending the session to
/// `expires_at`.
async fn rotate(
    f: &Fixture,
    session: &SessionId,
    old: &str,
    new: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Rotation {
    let sessions = &f.sessions;
    sessions
        .rotate(session, old, new, now, expires_at)
        .await
        .unwrap()
}

/// A session of a new user, started at the instant returned with the refresh token
/// `token` and a month to run.
async fn month_long_session(f: &Fixture, token: &str) -> (Session, Timestamp) {
    let user = f.user("Ada").await;
    let started = time::now();
    let session = f.session(&user.id, token, started, started + MONTH).await;
    (session, started)
}

repo_test!(
    creating_a_session_then_finding_it_returns_the_stored_session,
    |f| {
        let user = f.user("Ada").await;
        let id = SessionId::generate();
        let now = time::now();
        let expires_at = now + MONTH;
        let client = ClientInfo {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".to_owned()),
            ip: Some("2001:db8::1".to_owned()),
        };

        let created = f
            .sessions
            .create(
                &id,
                &user.id,
                "token-1",
                &client,
                now,
                expires_at,
                &crate::support::audit_entry(),
            )
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
        assert_eq!(f.sessions.find(&id).await.unwrap(), Some(created));
        assert_eq!(f.sessions.find(&SessionId::generate()).await.unwrap(), None);

        // A session without client details keeps them absent.
        let bare = f
            .sessions
            .create(
                &SessionId::generate(),
                &user.id,
                "token-2",
                &ClientInfo::default(),
                now,
                expires_at,
                &crate::support::audit_entry(),
            )
            .await
            .unwrap();
        let found = f.sessions.find(&bare.id).await.unwrap().unwrap();
        assert_eq!((found.user_agent, found.ip), (None, None));
    }
);

repo_test!(
    find_by_refresh_token_returns_the_session_with_the_token_unused,
    |f| {
        let user = f.user("Ada").await;
        let now = time::now();
        let session = f
            .session(&user.id, "first-token", now, now + TimeDelta::days(1))
            .await;

        let record = refresh_token(&f, "first-token").await.unwrap();

        assert_eq!(record.session, session);
        assert_eq!(record.used_at, None);
        assert_eq!(refresh_token(&f, "unknown-token").await, None);
    }
);

repo_test!(
    rotating_marks_the_old_token_used_stores_the_new_one_and_extends_the_session,
    |f| {
        let (session, t0) = month_long_session(&f, "old-token").await;
        let t1 = t0 + TimeDelta::minutes(10);
        let extended = t1 + MONTH;

        let outcome = rotate(&f, &session.id, "old-token", "new-token", t1, extended).await;

        assert_eq!(outcome, Rotation::Rotated);
        let old = refresh_token(&f, "old-token").await.unwrap();
        assert_eq!(old.used_at, Some(t1));
        let new = refresh_token(&f, "new-token").await.unwrap();
        assert_eq!(new.used_at, None);
        assert_eq!(new.session.id, session.id);
        assert_eq!(new.session.expires_at, extended);
        assert_eq!(new.session.last_used_at, t1);
        assert_eq!(new.session.created_at, session.created_at);
        assert_eq!(new.session.revoked_at, None);
        assert_eq!(
            f.sessions.find(&session.id).await.unwrap(),
            Some(new.session)
        );

        // The new token rotates in turn.
        let t2 = t1 + TimeDelta::minutes(10);
        let outcome = rotate(&f, &session.id, "new-token", "newer-token", t2, t2 + MONTH).await;
        assert_eq!(outcome, Rotation::Rotated);
    }
);

repo_test!(
    rotating_the_same_token_twice_is_already_used_and_stores_no_second_token,
    |f| {
        let (session, t0) = month_long_session(&f, "old-token").await;
        let t1 = t0 + TimeDelta::minutes(1);
        let first = rotate(&f, &session.id, "old-token", "new-a", t1, t1 + MONTH).await;
        let after_first = f.sessions.find(&session.id).await.unwrap().unwrap();

        let t2 = t1 + TimeDelta::minutes(1);
        let second = rotate(
            &f,
            &session.id,
            "old-token",
            "new-b",
            t2,
            t2 + TimeDelta::days(60),
        )
        .await;

        assert_eq!(first, Rotation::Rotated);
        assert_eq!(second, Rotation::AlreadyUsed);
        assert_eq!(refresh_token(&f, "new-b").await, None);
        assert!(refresh_token(&f, "new-a").await.is_some());
        // The old token keeps the time of its one real use; the session is not extended.
        let old = refresh_token(&f, "old-token").await.unwrap();
        assert_eq!(old.used_at, Some(t1));
        assert_eq!(
            f.sessions.find(&session.id).await.unwrap(),
            Some(after_first)
        );
    }
);

repo_test!(
    concurrent_rotations_of_one_token_rotate_it_exactly_once,
    |f| {
        const RACERS: usize = 8;
        const ROUNDS: usize = 5;
        let (session, t0) = month_long_session(&f, "round-0").await;

        // Each round races RACERS exchanges of the token the previous round's winner got.
        let mut current = "round-0".to_owned();
        for round in 1..=ROUNDS {
            let now = t0 + TimeDelta::seconds(i64::try_from(round).unwrap());
            let tasks: Vec<_> = (0..RACERS)
                .map(|racer| {
                    let sessions = Arc::clone(&f.sessions);
                    let session_id = session.id.clone();
                    let old = current.clone();
                    let new = format!("round-{round}-racer-{racer}");
                    tokio::spawn(async move {
                        let outcome = sessions
                            .rotate(&session_id, &old, &new, now, now + MONTH)
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
                let stored = refresh_token(&f, &new).await;
                assert_eq!(stored.is_some(), new == winners[0], "round {round}: {new}");
            }
            let old = refresh_token(&f, &current).await.unwrap();
            assert_eq!(old.used_at, Some(now));
            current = winners.remove(0);
        }
    }
);

repo_test!(revoking_sets_revoked_at_and_repeating_it_is_harmless, |f| {
    let (session, t0) = month_long_session(&f, "token").await;
    let t1 = t0 + TimeDelta::minutes(5);

    f.sessions
        .revoke(&session.id, t1, &crate::support::audit_entry())
        .await
        .unwrap();
    let revoked = f.sessions.find(&session.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(t1));
    assert!(!revoked.is_active(t1));

    // Again, later: still fine, and the session keeps the time it ended.
    f.sessions
        .revoke(
            &session.id,
            t1 + TimeDelta::minutes(5),
            &crate::support::audit_entry(),
        )
        .await
        .unwrap();
    assert_eq!(f.sessions.find(&session.id).await.unwrap(), Some(revoked));
});

repo_test!(
    list_active_excludes_revoked_and_expired_sessions_newest_first,
    |f| {
        let [ada, other] = f.users_called(["Ada", "Other"]).await;
        let now = time::now();
        let later = now + MONTH;
        let start = now - TimeDelta::hours(2);

        let oldest = f.session(&ada.id, "oldest", start, later).await;
        let revoked = f.session(&ada.id, "revoked", start, later).await;
        f.sessions
            .revoke(
                &revoked.id,
                now - TimeDelta::minutes(1),
                &crate::support::audit_entry(),
            )
            .await
            .unwrap();
        f.session(&ada.id, "expired", start, now - TimeDelta::seconds(1))
            .await;
        // Expiring exactly now counts as expired, as `Session::is_active` says.
        f.session(&ada.id, "expires-now", start, now).await;
        f.session(&other.id, "someone-else", start, later).await;
        let newest = f.session(&ada.id, "newest", now, later).await;

        let active = f
            .sessions
            .list_active(&ada.id, now, &page_of(100, None))
            .await
            .unwrap();

        assert_eq!(active.items, vec![newest.clone(), oldest.clone()]);
        assert_eq!(active.next, None);
        let none = f
            .sessions
            .list_active(&ada.id, later + TimeDelta::seconds(1), &page_of(100, None))
            .await
            .unwrap();
        assert!(none.items.is_empty());

        // A page of one, then the rest after its cursor.
        let first = f
            .sessions
            .list_active(&ada.id, now, &page_of(1, None))
            .await
            .unwrap();
        assert_eq!(first.items, vec![newest]);
        let rest = f
            .sessions
            .list_active(&ada.id, now, &page_of(1, first.next))
            .await
            .unwrap();
        assert_eq!(rest.items, vec![oldest]);
        assert_eq!(rest.next, None);
    }
);

repo_test!(
    session_timestamps_round_trip_exactly_at_millisecond_precision,
    |f| {
        let user = f.user("Ada").await;
        let instants = [
            time::now(),
            at("2024-02-29T23:59:59.999Z"),
            at("2030-01-01T00:00:00Z"),
            at("2030-06-15T12:30:45.010Z"),
        ];
        for (i, created_at) in instants.into_iter().enumerate() {
            let expires_at = created_at + TimeDelta::milliseconds(86_400_123);
            let token = format!("token-{i}");
            let session = f.session(&user.id, &token, created_at, expires_at).await;
            let found = f.sessions.find(&session.id).await.unwrap().unwrap();
            assert_eq!(found.created_at, created_at);
            assert_eq!(found.last_used_at, created_at);
            assert_eq!(found.expires_at, expires_at);

            let used_at = created_at + TimeDelta::milliseconds(1);
            let outcome = rotate(
                &f,
                &session.id,
                &token,
                &format!("{token}-next"),
                used_at,
                expires_at,
            )
            .await;
            assert_eq!(outcome, Rotation::Rotated);
            let old = refresh_token(&f, &token).await.unwrap();
            assert_eq!(old.used_at, Some(used_at));
            assert_eq!(old.session.last_used_at, used_at);

            f.sessions
                .revoke(&session.id, used_at, &crate::support::audit_entry())
                .await
                .unwrap();
            let revoked = f.sessions.find(&session.id).await.unwrap().unwrap();
            assert_eq!(revoked.revoked_at, Some(used_at));
        }
    }
);
