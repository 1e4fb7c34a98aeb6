//! What signing in and out records in the audit log: a failed sign-in through the log
//! itself, everything else through the session repository, in the write's transaction.

use std::sync::Mutex;

use super::*;
use crate::audit::{AuditAction, MockAuditLog, NewAuditEntry, Outcome};

fn client() -> ClientInfo {
    ClientInfo {
        user_agent: Some("audit-test/1.0".into()),
        ip: Some("198.51.100.23".into()),
    }
}

#[tokio::test]
async fn a_wrong_password_is_recorded_as_a_failure_with_the_email_tried() {
    let recorded = Arc::new(Mutex::new(Vec::<NewAuditEntry>::new()));
    let mut log = MockAuditLog::new();
    let sink = recorded.clone();
    log.expect_append().times(1).returning(move |entry| {
        sink.lock().unwrap().push(entry.clone());
        Ok(())
    });
    let err = Ports::default()
        .with_credentials(user(), false)
        .service()
        .with_audit(Arc::new(log))
        .login("ada@example.com", "wrong horse battery".into(), &client())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Unauthorized(_)), "{err:?}");
    let entries = recorded.lock().unwrap();
    let entry = &entries[0];
    assert_eq!(entry.action, AuditAction::AuthLoginFailed);
    assert_eq!(entry.outcome, Outcome::Failure);
    assert_eq!(entry.actor_email.as_deref(), Some("ada@example.com"));
    assert_eq!(entry.actor_id, None);
    assert_eq!(entry.ip.as_deref(), Some("198.51.100.23"));
}

#[tokio::test]
async fn a_sign_in_hands_its_entry_to_the_session_it_creates() {
    let ada = user();
    let ada_id = ada.id.clone();
    let mut ports = Ports::default().with_credentials(ada, true);
    ports
        .sessions
        .expect_create()
        .withf(move |id, user_id, _, _, _, _, audit| {
            audit.action == AuditAction::AuthLoginSucceeded
                && audit.actor_id.as_ref() == Some(user_id)
                && user_id == &ada_id
                && audit.resource_id.as_deref() == Some(id.as_str())
                && audit.user_agent.as_deref() == Some("audit-test/1.0")
        })
        .times(1)
        .returning(|id, user_id, _, _, now, expires_at, _| {
            Ok(created(id, user_id, now, expires_at))
        });
    ports
        .tokens
        .expect_issue()
        .returning(|_| Ok("access-token".to_owned()));
    // No audit log expectation: a success appends nothing on its own.
    ports
        .service()
        .with_audit(Arc::new(MockAuditLog::new()))
        .login("ada@example.com", "correct horse battery".into(), &client())
        .await
        .unwrap();
}

#[tokio::test]
async fn logging_out_records_the_session_ended() {
    let caller = principal_of(user(), Some(SessionId::generate())).with_client(client());
    let session = caller.session_id.clone().unwrap();
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_revoke()
        .withf(move |id, _, audit| {
            id == &session
                && audit.action == AuditAction::AuthLogout
                && audit.resource_id.as_deref() == Some(session.as_str())
                && audit.ip.as_deref() == Some("198.51.100.23")
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    ports.service().logout(&caller).await.unwrap();
}
