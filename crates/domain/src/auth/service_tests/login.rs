//! Logging in with a password: every refusal says the same, and only the refresh token's
//! hash is stored.

use super::*;
use crate::test_fixtures::assert_forbidden;

async fn login_with_unknown_email() -> DomainError {
    let mut ports = Ports::default();
    ports
        .users
        .expect_find_credentials()
        .returning(|_| Ok(None));
    // Checked anyway, against a dummy hash, so that refusing takes as long as for a
    // wrong password.
    ports
        .hasher
        .expect_verify()
        .withf(|_, hash| hash.as_str().starts_with("$argon2id$"))
        .times(1)
        .returning(|_, _| Ok(false));
    ports.log_in("nobody@example.com").await.unwrap_err()
}

async fn login_with_wrong_password() -> DomainError {
    Ports::default()
        .with_credentials(user(), false)
        .service()
        .login(
            "ada@example.com",
            "wrong horse battery".to_owned(),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err()
}

#[tokio::test]
async fn logging_in_with_an_unknown_email_still_verifies_a_password_and_is_unauthorized() {
    let err = login_with_unknown_email().await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn logging_in_with_a_wrong_password_is_unauthorized() {
    let err = login_with_wrong_password().await;

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_are_refused_with_the_same_message() {
    let unknown = login_with_unknown_email().await;
    let wrong = login_with_wrong_password().await;

    match (unknown, wrong) {
        (DomainError::Unauthorized(a), DomainError::Unauthorized(b)) => assert_eq!(a, b),
        other => panic!("expected two Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn logging_in_to_an_account_without_a_password_is_unauthorized_even_if_the_hasher_agrees() {
    let mut ports = Ports::default();
    ports.users.expect_find_credentials().returning(|_| {
        Ok(Some(UserCredentials {
            user: user(),
            password_hash: None,
        }))
    });
    ports
        .hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(true));

    let err = ports.log_in("ada@example.com").await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn logging_in_with_a_malformed_email_is_unauthorized_like_a_wrong_password() {
    let err = Ports::default().log_in("not an email").await.unwrap_err();

    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_suspended_user_cannot_log_in() {
    assert_forbidden(
        Ports::default()
            .with_credentials(suspended(user()), true)
            .log_in("ada@example.com")
            .await,
    );
}

#[tokio::test]
async fn a_user_whose_domain_is_no_longer_allowed_cannot_log_in() {
    assert_forbidden(
        Ports::default()
            .with_credentials(user_with_email("ada@elsewhere.org"), true)
            .log_in("ada@elsewhere.org")
            .await,
    );
}

#[tokio::test]
async fn logging_in_stores_only_the_refresh_token_hash_and_issues_a_token_naming_the_session() {
    let ada = user();
    let mut ports = Ports::default().with_credentials(ada.clone(), true);
    let stored_session = Arc::new(Mutex::new(None::<(SessionId, String)>));
    let seen = Arc::clone(&stored_session);
    let ada_id = ada.id.clone();
    ports
        .sessions
        .expect_create()
        .withf(move |_, user_id, _, _, now, expires_at, _| {
            user_id == &ada_id && *expires_at - *now == ChronoDuration::days(30)
        })
        .times(1)
        .returning(move |id, user_id, hash, _, now, expires_at, _| {
            *seen.lock().unwrap() = Some((id.clone(), hash.to_owned()));
            Ok(created(id, user_id, now, expires_at))
        });
    let issued = Arc::new(Mutex::new(None::<Claims>));
    let seen = Arc::clone(&issued);
    ports
        .tokens
        .expect_issue()
        .times(1)
        .returning(move |claims| {
            *seen.lock().unwrap() = Some(claims.clone());
            Ok("access-token".to_owned())
        });

    let signed_in = ports.log_in("ada@example.com").await.unwrap();

    let (session_id, stored_hash) = stored_session.lock().unwrap().clone().unwrap();
    assert_eq!(stored_hash, signed_in.refresh_token.hash());
    assert_ne!(stored_hash, signed_in.refresh_token.expose());
    assert_eq!(signed_in.session_id, session_id);
    let claims = issued.lock().unwrap().clone().unwrap();
    assert_eq!(claims.session_id, Some(session_id.to_string()));
    assert_eq!(claims.subject, ada.id.to_string());
    assert_eq!(claims.role, ada.role);
    assert_eq!(
        claims.expires_at - claims.issued_at,
        ACCESS_TTL.as_secs() as i64
    );
    assert_eq!(signed_in.access_token, "access-token");
    assert_eq!(signed_in.expires_in, ACCESS_TTL);
}

#[tokio::test]
async fn client_details_are_cut_short_before_they_are_stored() {
    let mut ports = Ports::default().with_credentials(user(), true);
    ports
        .sessions
        .expect_create()
        .withf(|_, _, _, client: &ClientInfo, _, _, _| {
            client.user_agent.as_ref().map(|ua| ua.chars().count()) == Some(512)
                && client.ip.as_ref().map(|ip| ip.chars().count()) == Some(64)
        })
        .times(1)
        .returning(|id, user_id, _, _, now, expires_at, _| {
            Ok(created(id, user_id, now, expires_at))
        });
    ports
        .tokens
        .expect_issue()
        .returning(|_| Ok("access-token".to_owned()));
    let client = ClientInfo {
        user_agent: Some("é".repeat(2000)),
        ip: Some("1".repeat(200)),
    };

    ports
        .service()
        .login(
            "ada@example.com",
            "correct horse battery".to_owned(),
            &client,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_server_that_cannot_sign_refuses_login_before_creating_a_session() {
    let mut ports = Ports::default();
    ports.tokens.expect_can_issue().return_const(false);
    ports.sessions.expect_create().never();

    assert_forbidden(
        ports
            .service()
            .login(
                "ada@example.com",
                "long enough".into(),
                &ClientInfo::default(),
            )
            .await,
    );
}
