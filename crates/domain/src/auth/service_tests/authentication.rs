//! Authenticating an access token: our own (with a live session) or an external identity
//! provider's (which may provision or link an account).

use super::*;
use crate::test_fixtures::{assert_refused, Refusal};

/// The claims of a token minted by an external identity provider.
fn external_claims(subject: &str) -> Claims {
    let now = time::now().timestamp();
    Claims {
        subject: subject.to_owned(),
        email: "grace@example.com".to_owned(),
        name: "Grace".to_owned(),
        role: Role::User,
        issued_at: now,
        expires_at: now + 900,
        session_id: None,
    }
}

/// Tokens verify to `claims`, the session is `session` and the stored user is `user`.
fn authenticating(claims: Claims, session: Option<Session>, user: Option<User>) -> Ports {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(move |_| Ok(claims.clone()));
    ports
        .sessions
        .expect_find()
        .returning(move |_| Ok(session.clone()));
    ports
        .users
        .expect_find()
        .returning(move |_| Ok(user.clone()));
    ports
}

#[tokio::test]
async fn a_token_that_does_not_verify_is_unauthorized() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Err(DomainError::Unauthorized("bad signature")));

    let err = ports.service().authenticate("garbage").await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

/// The id a token names and the session stored under it: `session` itself.
fn naming(session: Session) -> (SessionId, Option<Session>) {
    (session.id.clone(), Some(session))
}

#[tokio::test]
async fn a_token_is_refused_unless_its_session_is_live_and_its_user_allowed() {
    let ada = user();
    let revoked = Session {
        revoked_at: Some(time::now() - ChronoDuration::minutes(1)),
        ..session(&ada.id)
    };
    let outsider = user_with_email("eve@elsewhere.org");
    let suspended = suspended(user());
    // (case, the token's user, the session it names and that session as stored, refusal)
    let cases = [
        (
            "a revoked session",
            ada.clone(),
            naming(revoked),
            Refusal::Unauthorized,
        ),
        (
            "someone else's session",
            ada.clone(),
            naming(session(&UserId::generate())),
            Refusal::Unauthorized,
        ),
        (
            "an unknown session",
            ada,
            (SessionId::generate(), None),
            Refusal::Unauthorized,
        ),
        (
            "an email outside the allowed domains",
            outsider.clone(),
            naming(session(&outsider.id)),
            Refusal::Forbidden,
        ),
        (
            "a suspended user",
            suspended.clone(),
            naming(session(&suspended.id)),
            Refusal::Forbidden,
        ),
    ];
    for (case, holder, (session_id, stored), refusal) in cases {
        let claims = claims(&holder, Some(&session_id));

        let result = authenticating(claims, stored, Some(holder))
            .service()
            .authenticate("token")
            .await;

        assert_refused(case, result, refusal);
    }
}

#[tokio::test]
async fn the_callers_role_comes_from_the_token_not_the_stored_user() {
    let ada = user();
    let live = session(&ada.id);
    let mut claims = claims(&ada, Some(&live.id));
    claims.role = Role::Admin;
    let session_id = live.id.clone();
    let verified = claims.clone();

    let caller = authenticating(claims, Some(live), Some(ada.clone()))
        .service()
        .authenticate("token")
        .await
        .unwrap();

    assert_eq!(ada.role, Role::User);
    assert_eq!(caller.role, Role::Admin);
    assert_eq!(caller.user, ada);
    assert_eq!(caller.session_id, Some(session_id));
    assert_eq!(caller.claims, verified);
}

/// A token of the external subject `idp|42`, who is linked to `known` (if anyone).
fn external_token(known: Option<User>) -> Ports {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .withf(|subject| subject == "idp|42")
        .returning(move |_| Ok(known.clone()));
    ports
}

/// An unknown external subject whose email belongs to an account; linking it answers
/// `linked` (`None`: the account has a password, so it may not be linked).
fn external_token_for_a_taken_email(linked: Option<User>) -> Ports {
    let mut ports = external_token(None);
    ports
        .users
        .expect_insert()
        .times(1)
        .returning(|_, _| Err(DomainError::Conflict("email taken")));
    ports
        .users
        .expect_link_external_subject()
        .withf(|_, subject| subject == "idp|42")
        .times(1)
        .returning(move |_, _| Ok(linked.clone()));
    ports
}

#[tokio::test]
async fn a_token_from_an_unknown_external_subject_provisions_a_user() {
    let mut ports = external_token(None);
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser, _| {
            new.external_subject.as_deref() == Some("idp|42")
                && new.email.as_str() == "grace@example.com"
                && new.name.as_str() == "Grace"
                && new.role == Role::User
                && new.password_hash.is_none()
        })
        .times(1)
        .returning(|new, _| Ok(stored(new)));

    let caller = ports.service().authenticate("token").await.unwrap();

    assert_eq!(caller.user.email.as_str(), "grace@example.com");
    assert_eq!(caller.session_id, None);
}

#[tokio::test]
async fn a_token_from_a_known_external_subject_provisions_nobody() {
    let grace = user_with_email("grace@example.com");
    let mut ports = external_token(Some(grace.clone()));
    ports.users.expect_insert().never();

    let caller = ports.service().authenticate("token").await.unwrap();

    assert_eq!(caller.user, grace);
}

#[tokio::test]
async fn an_external_token_for_the_email_of_a_local_account_is_forbidden() {
    let err = external_token_for_a_taken_email(None)
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_external_token_links_an_account_an_admin_made_without_a_password() {
    let linked = user();

    let principal = external_token_for_a_taken_email(Some(linked.clone()))
        .service()
        .authenticate("token")
        .await
        .unwrap();

    assert_eq!(principal.user, linked);
}
