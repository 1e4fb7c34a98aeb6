//! Authenticating an access token: our own (with a live session) or an external identity
//! provider's (which may provision or link an account).

use super::*;
use crate::test_fixtures::assert_forbidden;

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

#[tokio::test]
async fn a_token_for_an_email_outside_the_allowed_domains_is_forbidden() {
    let outsider = user_with_email("eve@elsewhere.org");
    let live = session(&outsider.id);
    let claims = claims(&outsider, Some(&live.id));

    assert_forbidden(
        authenticating(claims, Some(live), Some(outsider))
            .service()
            .authenticate("token")
            .await,
    );
}

#[tokio::test]
async fn a_token_of_a_revoked_session_is_unauthorized() {
    let ada = user();
    let mut revoked = session(&ada.id);
    revoked.revoked_at = Some(time::now() - ChronoDuration::minutes(1));
    let claims = claims(&ada, Some(&revoked.id));

    let err = authenticating(claims, Some(revoked), Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_naming_someone_elses_session_is_unauthorized() {
    let ada = user();
    let someone_elses = session(&UserId::generate());
    let claims = claims(&ada, Some(&someone_elses.id));

    let err = authenticating(claims, Some(someone_elses), Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_naming_an_unknown_session_is_unauthorized() {
    let ada = user();
    let claims = claims(&ada, Some(&SessionId::generate()));

    let err = authenticating(claims, None, Some(ada))
        .service()
        .authenticate("token")
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_suspended_user_is_forbidden_whatever_token_they_hold() {
    let ada = suspended(user());
    let live = session(&ada.id);
    let claims = claims(&ada, Some(&live.id));

    assert_forbidden(
        authenticating(claims, Some(live), Some(ada))
            .service()
            .authenticate("token")
            .await,
    );
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

#[tokio::test]
async fn a_token_from_an_unknown_external_subject_provisions_a_user() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .withf(|subject| subject == "idp|42")
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser| {
            new.external_subject.as_deref() == Some("idp|42")
                && new.email.as_str() == "grace@example.com"
                && new.name.as_str() == "Grace"
                && new.role == Role::User
                && new.password_hash.is_none()
        })
        .times(1)
        .returning(|new| Ok(stored(new)));

    let caller = ports.service().authenticate("token").await.unwrap();

    assert_eq!(caller.user.email.as_str(), "grace@example.com");
    assert_eq!(caller.session_id, None);
}

#[tokio::test]
async fn a_token_from_a_known_external_subject_provisions_nobody() {
    let grace = user_with_email("grace@example.com");
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    let known = grace.clone();
    ports
        .users
        .expect_find_by_external_subject()
        .withf(|subject| subject == "idp|42")
        .returning(move |_| Ok(Some(known.clone())));
    ports.users.expect_insert().never();

    let caller = ports.service().authenticate("token").await.unwrap();

    assert_eq!(caller.user, grace);
}

#[tokio::test]
async fn an_external_token_for_the_email_of_a_local_account_is_forbidden() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .times(1)
        .returning(|_| Err(DomainError::Conflict("email taken")));
    ports
        .users
        .expect_link_external_subject()
        .times(1)
        .returning(|_, _| Ok(None));

    let err = ports.service().authenticate("token").await.unwrap_err();

    assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
}

#[tokio::test]
async fn an_external_token_links_an_account_an_admin_made_without_a_password() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_| Ok(external_claims("idp|42")));
    ports
        .users
        .expect_find_by_external_subject()
        .returning(|_| Ok(None));
    ports
        .users
        .expect_insert()
        .times(1)
        .returning(|_| Err(DomainError::Conflict("email taken")));
    let linked = user();
    let returned = linked.clone();
    ports
        .users
        .expect_link_external_subject()
        .withf(|_, subject| subject == "idp|42")
        .times(1)
        .returning(move |_, _| Ok(Some(returned.clone())));

    let principal = ports.service().authenticate("token").await.unwrap();

    assert_eq!(principal.user, linked);
}
