//! Logging out and revoking sessions: callers end only their own.

use super::*;
use crate::pagination::{Limit, Page, PageRequest};

#[tokio::test]
async fn logging_out_revokes_the_current_session() {
    let session_id = SessionId::generate();
    let mut ports = Ports::default();
    let expected = session_id.clone();
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _, _| id == &expected)
        .times(1)
        .returning(|_, _, _| Ok(()));

    ports
        .service()
        .logout(&principal_of(user(), Some(session_id)))
        .await
        .unwrap();
}

#[tokio::test]
async fn logging_out_with_a_token_without_a_session_revokes_nothing() {
    let mut ports = Ports::default();
    ports.sessions.expect_revoke().never();

    ports
        .service()
        .logout(&principal_of(user(), None))
        .await
        .unwrap();
}

#[tokio::test]
async fn revoking_another_users_session_is_not_found() {
    let someone_elses = session(&UserId::generate());
    let id = someone_elses.id.clone();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find()
        .returning(move |_| Ok(Some(someone_elses.clone())));
    ports.sessions.expect_revoke().never();

    let err = ports
        .service()
        .revoke_session(&principal_of(user(), None), &id)
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn revoking_an_unknown_session_is_not_found() {
    let mut ports = Ports::default();
    ports.sessions.expect_find().returning(|_| Ok(None));
    ports.sessions.expect_revoke().never();

    let err = ports
        .service()
        .revoke_session(&principal_of(user(), None), &SessionId::generate())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn users_may_revoke_their_own_sessions() {
    let ada = user();
    let own = session(&ada.id);
    let id = own.id.clone();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_find()
        .returning(move |_| Ok(Some(own.clone())));
    let expected = id.clone();
    ports
        .sessions
        .expect_revoke()
        .withf(move |revoked, _, _| revoked == &expected)
        .times(1)
        .returning(|_, _, _| Ok(()));

    ports
        .service()
        .revoke_session(&principal_of(ada, None), &id)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_session_list_is_the_callers_own_page_of_live_sessions() {
    let caller = principal_of(user(), Some(SessionId::generate()));
    let mine = session(&caller.user.id);
    let asked = PageRequest::first(Limit::parse(Some(2)).unwrap());
    let mut ports = Ports::default();
    let (owner, expected_page, listed) = (caller.user.id.clone(), asked.clone(), mine.clone());
    ports
        .sessions
        .expect_list_active()
        .withf(move |user, _, page| user == &owner && page == &expected_page)
        .times(1)
        .returning(move |_, _, _| {
            Ok(Page {
                items: vec![listed.clone()],
                next: None,
            })
        });

    let page = ports.service().sessions(&caller, &asked).await.unwrap();

    assert_eq!(page.items, vec![mine]);
}
