//! Refreshing: a refresh token is used once; using it again revokes its session.

use super::*;

fn record(session: Session, used_at: Option<Timestamp>) -> RefreshTokenRecord {
    RefreshTokenRecord { session, used_at }
}

fn presented() -> RefreshToken {
    RefreshToken::from_client("the-presented-refresh-token".to_owned())
}

/// The presented token is unused and belongs to `live`, a session of `user`'s.
fn presenting_an_unused_token_of(live: Session, user: User) -> Ports {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(move |_| Ok(Some(record(live.clone(), None))));
    ports
        .users
        .expect_find()
        .returning(move |_| Ok(Some(user.clone())));
    ports
}

#[tokio::test]
async fn refreshing_with_an_unknown_token_is_unauthorized() {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(|_| Ok(None));
    ports.sessions.expect_rotate().never();
    ports.sessions.expect_revoke().never();

    let err = ports
        .service()
        .refresh(presented(), &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_with_an_already_used_token_revokes_the_session() {
    let live = session(&UserId::generate());
    let session_id = live.id.clone();
    let mut ports = Ports::default();
    let presented_hash = presented().hash();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .withf(move |hash| hash == presented_hash)
        .returning(move |_| Ok(Some(record(live.clone(), Some(time::now())))));
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _, _| id == &session_id)
        .times(1)
        .returning(|_, _, _| Ok(()));
    ports.sessions.expect_rotate().never();

    let err = ports
        .service()
        .refresh(presented(), &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn losing_the_rotation_race_counts_as_reuse_and_revokes_the_session() {
    let ada = user();
    let live = session(&ada.id);
    let session_id = live.id.clone();
    let mut ports = presenting_an_unused_token_of(live, ada);
    ports
        .sessions
        .expect_rotate()
        .times(1)
        .returning(|_, _, _, _, _| Ok(Rotation::AlreadyUsed));
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _, _| id == &session_id)
        .times(1)
        .returning(|_, _, _| Ok(()));
    ports.tokens.expect_issue().never();

    let err = ports
        .service()
        .refresh(presented(), &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

async fn refresh_on(ended: Session) -> DomainError {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find_by_refresh_token()
        .returning(move |_| Ok(Some(record(ended.clone(), None))));
    ports.sessions.expect_rotate().never();
    ports.tokens.expect_issue().never();
    ports
        .service()
        .refresh(presented(), &ClientInfo::default())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn refreshing_a_revoked_session_is_unauthorized_and_rotates_nothing() {
    let mut revoked = session(&UserId::generate());
    revoked.revoked_at = Some(time::now() - ChronoDuration::minutes(1));

    let err = refresh_on(revoked).await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_an_expired_session_is_unauthorized_and_rotates_nothing() {
    let mut expired = session(&UserId::generate());
    expired.expires_at = time::now() - ChronoDuration::minutes(1);

    let err = refresh_on(expired).await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_for_a_suspended_user_is_forbidden_and_rotates_nothing() {
    let ada = suspended(user());
    let live = session(&ada.id);
    let mut ports = presenting_an_unused_token_of(live, ada);
    ports.sessions.expect_rotate().never();

    let err = ports
        .service()
        .refresh(presented(), &ClientInfo::default())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn refreshing_rotates_the_old_token_hash_to_a_new_one() {
    let ada = user();
    let live = session(&ada.id);
    let session_id = live.id.clone();
    let old_hash = presented().hash();
    let mut ports = presenting_an_unused_token_of(live, ada);
    let new_hash = Arc::new(Mutex::new(None::<String>));
    let seen = Arc::clone(&new_hash);
    let expected_session = session_id.clone();
    ports
        .sessions
        .expect_rotate()
        .withf(move |id, old, new, now, expires_at| {
            id == &expected_session
                && old == old_hash
                && new != old
                && *expires_at - *now == ChronoDuration::days(30)
        })
        .times(1)
        .returning(move |_, _, new, _, _| {
            *seen.lock().unwrap() = Some(new.to_owned());
            Ok(Rotation::Rotated)
        });
    ports
        .tokens
        .expect_issue()
        .withf({
            let session_id = session_id.clone();
            move |claims| claims.session_id == Some(session_id.to_string())
        })
        .times(1)
        .returning(|_| Ok("access-token".to_owned()));
    ports.sessions.expect_revoke().never();

    let signed_in = ports
        .service()
        .refresh(presented(), &ClientInfo::default())
        .await
        .unwrap();

    let new_hash = new_hash.lock().unwrap().clone().unwrap();
    assert_eq!(signed_in.refresh_token.hash(), new_hash);
    assert_ne!(new_hash, presented().hash());
    assert_eq!(signed_in.session_id, session_id);
}
