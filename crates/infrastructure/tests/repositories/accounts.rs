//! `SeaAccountRepository` against the `AccountRepository` contract: the erasure of an
//! account in one transaction, and the keyset reads an export makes.

use domain::{
    account::{AccountRepository, Erasure, DELETED_USER_NAME},
    api_key::{ApiKey, ApiKeyName, ApiKeyRepository, ApiKeySecret, NewApiKey, Scope, Scopes},
    audit::{AuditAction, AuditLog, NewAuditEntry},
    id::{ApiKeyId, UserId},
    thread::MemberRole,
    time,
    user::{Role, User, UserChanges, UserRepository},
    DomainError,
};
use infrastructure::repositories::{SeaAccountRepository, SeaApiKeyRepository, SeaAuditLog};

use crate::support::{audit_entry, digest, principal, Fixture};

fn accounts(f: &Fixture) -> SeaAccountRepository {
    SeaAccountRepository::new(f.conn.clone())
}

/// `user` erases their own account.
fn erasure(user: &User) -> Erasure {
    Erasure::new(&user.id, &principal(user), None, time::now()).unwrap()
}

/// How many `user.deleted` entries name `user`.
async fn deletions_of(f: &Fixture, user: &UserId) -> i64 {
    f.count(&format!(
        "audit_log WHERE action = 'user.deleted' AND resource_type = 'user' \
         AND resource_id = '{user}'"
    ))
    .await
}

async fn give_key(f: &Fixture, owner: &UserId) {
    let now = time::now();
    let secret = ApiKeySecret::generate();
    let key = ApiKey {
        id: ApiKeyId::generate(),
        user_id: owner.clone(),
        name: ApiKeyName::parse("agent").unwrap(),
        scopes: Scopes::new([Scope::ThreadsRead]).unwrap(),
        prefix: secret.shown_prefix(),
        created_at: now,
        updated_at: now,
        last_used_at: None,
        expires_at: None,
    };
    let new = NewApiKey {
        key,
        secret_hash: secret.hash(),
    };
    SeaApiKeyRepository::new(f.conn.clone())
        .insert(&new, &audit_entry())
        .await
        .unwrap();
}

async fn make_admin(f: &Fixture, user: &UserId) {
    let changes = UserChanges {
        role: Some(Role::Admin),
        ..UserChanges::default()
    };
    f.users
        .update(user, &changes, None, time::now(), &[])
        .await
        .unwrap();
}

repo_test!(
    an_erasure_leaves_a_tombstone_and_hands_threads_on_in_one_go,
    |f| {
        let [ada, grace, linus] = f.users_called(["Ada", "Grace", "Linus"]).await;
        // Shared: Grace joined before Linus, so she inherits it.
        let shared = f.thread(&ada.id, "shared").await;
        f.add_member(&shared.id, &grace.id, MemberRole::Editor, &ada.id)
            .await;
        f.add_member(&shared.id, &linus.id, MemberRole::Viewer, &ada.id)
            .await;
        let kept = f.post(&shared.id, &ada.id, "kept").await;
        let reply = f.post(&shared.id, &grace.id, "reply").await;
        f.react(&reply, &shared.id, &ada.id, "👍").await;
        // Ada's alone: it goes with everything in it.
        let alone = f.thread(&ada.id, "alone").await;
        f.post(&alone.id, &ada.id, "only me").await;
        // Grace's, where Ada is a viewer: only the membership goes.
        let graces = f.thread(&grace.id, "grace's").await;
        f.add_member(&graces.id, &ada.id, MemberRole::Viewer, &grace.id)
            .await;
        let now = time::now();
        f.session(&ada.id, "hash-1", now, now + chrono::TimeDelta::days(1))
            .await;
        give_key(&f, &ada.id).await;
        f.file(&ada.id, Some(&shared.id), "a.png", 'a', "image/png", None)
            .await;
        f.file(&grace.id, None, "g.png", 'b', "image/png", None)
            .await;
        let before = f.events().await.len();

        let erased = accounts(&f).erase(&erasure(&ada)).await.unwrap();

        assert_eq!(erased.blobs, vec![digest('a')]);
        // The tombstone: nobody to find, sign in as or list, but the row stays.
        assert!(f.users.find(&ada.id).await.unwrap().is_none());
        let email = domain::user::Email::parse("ada@example.com").unwrap();
        assert!(f.users.find_credentials(&email).await.unwrap().is_none());
        let ada_id = ada.id.as_str();
        assert_eq!(
            f.count(&format!("users WHERE id = '{ada_id}' AND name = '{DELETED_USER_NAME}' AND password_hash IS NULL AND email = '{ada_id}@erased.invalid' AND deleted_at IS NOT NULL")).await,
            1
        );
        assert!(accounts(&f).erased_at(&ada.id).await.unwrap().is_some());
        assert!(accounts(&f).erased_at(&grace.id).await.unwrap().is_none());
        // Messages stay; the thread nobody else used is gone.
        assert_eq!(f.count(&format!("messages WHERE id = '{kept}'")).await, 1);
        assert_eq!(
            f.count(&format!("threads WHERE id = '{}'", alone.id)).await,
            0
        );
        assert_eq!(
            f.role_of(&shared.id, &grace.id).await,
            Some(MemberRole::Owner)
        );
        assert_eq!(
            f.role_of(&shared.id, &linus.id).await,
            Some(MemberRole::Viewer)
        );
        assert_eq!(f.role_of(&shared.id, &ada.id).await, None);
        assert_eq!(f.role_of(&graces.id, &ada.id).await, None);
        assert_eq!(
            f.thread_seen_by(&shared.id, &grace.id).await.owner_id,
            grace.id
        );
        for table in ["thread_members", "sessions", "api_keys", "reactions"] {
            assert_eq!(
                f.count(&format!("{table} WHERE user_id = '{ada_id}'"))
                    .await,
                0,
                "{table}"
            );
        }
        assert_eq!(
            f.count(&format!("files WHERE owner_id = '{ada_id}'")).await,
            0
        );
        assert_eq!(
            f.count(&format!("files WHERE owner_id = '{}'", grace.id))
                .await,
            1
        );
        // One event per change, by the actor.
        let events = f.events_since(before).await;
        let kinds: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.thread_id.as_str()))
            .collect();
        assert!(
            kinds.contains(&("reaction.removed", shared.id.as_str())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("member.updated", shared.id.as_str())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("member.removed", shared.id.as_str())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("member.removed", graces.id.as_str())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("thread.deleted", alone.id.as_str())),
            "{kinds:?}"
        );
        assert!(events.iter().all(|e| e.actor_id == ada_id));
        // One audit entry, in the same transaction, by Ada about herself; the chain holds.
        assert_eq!(deletions_of(&f, &ada.id).await, 1);
        assert_eq!(
            f.count(&format!(
                "audit_log WHERE action = 'user.deleted' AND actor_id = '{ada_id}' \
                 AND actor_email = 'ada@example.com' AND details = '{{\"by_self\":true}}'"
            ))
            .await,
            1
        );
        let report = SeaAuditLog::new(f.conn.clone()).verify().await.unwrap();
        assert_eq!(report.broken, None);

        // Erasing it again finds nobody.
        let again = accounts(&f).erase(&erasure(&ada)).await.unwrap_err();
        assert!(matches!(again, DomainError::NotFound("user")), "{again:?}");
    }
);

repo_test!(
    the_last_active_admin_is_not_erased_and_nothing_changes,
    |f| {
        let [root, user] = f.users_called(["Root", "User"]).await;
        make_admin(&f, &root.id).await;
        let thread = f.thread(&root.id, "mine").await;
        let now = time::now();
        f.session(&root.id, "hash-r", now, now + chrono::TimeDelta::days(1))
            .await;

        let err = accounts(&f).erase(&erasure(&root)).await.unwrap_err();

        assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
        assert_eq!(deletions_of(&f, &root.id).await, 0);
        assert!(f.users.find(&root.id).await.unwrap().is_some());
        assert_eq!(
            f.count(&format!("threads WHERE id = '{}'", thread.id))
                .await,
            1
        );
        assert_eq!(
            f.count(&format!("sessions WHERE user_id = '{}'", root.id))
                .await,
            1
        );
        // Another ADMIN may be erased while one remains, and then the last one may not.
        make_admin(&f, &user.id).await;
        accounts(&f).erase(&erasure(&user)).await.unwrap();
        assert_eq!(deletions_of(&f, &user.id).await, 1);
        let err = accounts(&f).erase(&erasure(&root)).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
        assert_eq!(deletions_of(&f, &root.id).await, 0);
    }
);

repo_test!(a_stale_version_erases_nothing, |f| {
    let ada = f.user("Ada").await;
    let stale = Erasure::new(
        &ada.id,
        &principal(&ada),
        Some(ada.updated_at - chrono::TimeDelta::seconds(5)),
        time::now(),
    )
    .unwrap();

    let err = accounts(&f).erase(&stale).await.unwrap_err();

    assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
    assert!(f.users.find(&ada.id).await.unwrap().is_some());
});

repo_test!(export_reads_page_through_the_users_own_rows, |f| {
    let [ada, grace] = f.users_called(["Ada", "Grace"]).await;
    let theirs = f.thread(&grace.id, "grace's").await;
    f.add_member(&theirs.id, &ada.id, MemberRole::Editor, &grace.id)
        .await;
    let mine = f.thread(&ada.id, "mine").await;
    f.thread(&grace.id, "not ada's").await;
    let mut written = Vec::new();
    for n in 0..5 {
        written.push(f.post(&theirs.id, &ada.id, &format!("ada {n}")).await);
    }
    f.post(&theirs.id, &grace.id, "grace").await;
    let repo = accounts(&f);

    let threads = repo.threads(&ada.id, None, 10).await.unwrap();
    let mut seen: Vec<(String, MemberRole)> = threads
        .iter()
        .map(|t| (t.thread.id.to_string(), t.role))
        .collect();
    seen.sort();
    let mut expected = vec![
        (theirs.id.to_string(), MemberRole::Editor),
        (mine.id.to_string(), MemberRole::Owner),
    ];
    expected.sort();
    assert_eq!(seen, expected);

    let first = repo.messages(&ada.id, &theirs.id, None, 3).await.unwrap();
    let after = first.last().map(|m| m.message.id.to_string());
    let second = repo.messages(&ada.id, &theirs.id, after, 3).await.unwrap();
    let ids: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|m| m.message.id.to_string())
        .collect();
    let mut expected: Vec<String> = written.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(
        ids, expected,
        "every message of Ada's once, in id order, none of Grace's"
    );

    let now = time::now();
    f.session(&ada.id, "hash-a", now, now + chrono::TimeDelta::days(1))
        .await;
    assert_eq!(repo.sessions(&ada.id, None, 10).await.unwrap().len(), 1);
    assert!(repo.sessions(&grace.id, None, 10).await.unwrap().is_empty());
    give_key(&f, &ada.id).await;
    assert_eq!(repo.api_keys(&ada.id, None, 10).await.unwrap().len(), 1);
    f.file(&ada.id, None, "a.txt", 'c', "text/plain", None)
        .await;
    f.file(&grace.id, None, "g.txt", 'd', "text/plain", None)
        .await;
    let files = repo.files(&ada.id, None, 10).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].owner_id, ada.id);
    f.react(&written[0], &theirs.id, &ada.id, "🎉").await;
    let reactions = repo.reactions(&ada.id, None, 10).await.unwrap();
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0].thread_id, theirs.id);
});

repo_test!(
    an_erasure_that_fails_at_its_last_write_changes_nothing,
    |f| {
        use sea_orm::ConnectionTrait;
        let [ada, grace] = f.users_called(["Ada", "Grace"]).await;
        let shared = f.thread(&ada.id, "shared").await;
        f.add_member(&shared.id, &grace.id, MemberRole::Viewer, &ada.id)
            .await;
        let alone = f.thread(&ada.id, "alone").await;
        let now = time::now();
        f.session(&ada.id, "hash-1", now, now + chrono::TimeDelta::days(1))
            .await;
        f.file(&ada.id, None, "a.png", 'a', "image/png", None).await;
        // The events are appended last: without their table, the transaction fails there,
        // after every other write of the erasure was made.
        f.conn
            .execute_unprepared("DROP TABLE events")
            .await
            .unwrap();

        let err = accounts(&f).erase(&erasure(&ada)).await.unwrap_err();

        assert!(matches!(err, DomainError::Unexpected(_)), "{err:?}");
        assert_eq!(
            deletions_of(&f, &ada.id).await,
            0,
            "rolled back with the rest"
        );
        assert!(f.users.find(&ada.id).await.unwrap().is_some());
        assert_eq!(
            f.role_of(&shared.id, &ada.id).await,
            Some(MemberRole::Owner)
        );
        assert_eq!(
            f.role_of(&shared.id, &grace.id).await,
            Some(MemberRole::Viewer)
        );
        assert_eq!(
            f.count(&format!("threads WHERE id = '{}'", alone.id)).await,
            1
        );
        assert_eq!(
            f.count(&format!("sessions WHERE user_id = '{}'", ada.id))
                .await,
            1
        );
        assert_eq!(
            f.count(&format!("files WHERE owner_id = '{}'", ada.id))
                .await,
            1
        );
    }
);

repo_test!(
    export_reads_the_audit_entries_about_the_user_in_seq_order,
    |f| {
        let [ada, grace] = f.users_called(["Ada", "Grace"]).await;
        let (as_ada, as_grace) = (principal(&ada), principal(&grace));
        let log = SeaAuditLog::new(f.conn.clone());
        let entries = [
            // Ada's own: her sign-in and something she did elsewhere.
            NewAuditEntry::by(&as_ada, AuditAction::AuthLoginSucceeded).on("user", &ada.id),
            // Grace's sign-in: not Ada's.
            NewAuditEntry::by(&as_grace, AuditAction::AuthLoginSucceeded).on("user", &grace.id),
            // Done to Ada's account by someone else: hers.
            NewAuditEntry::by(&as_grace, AuditAction::UserRoleChanged).on("user", &ada.id),
            // Ada's id on something that is not a user: not hers.
            NewAuditEntry::by(&as_grace, AuditAction::ThreadDeleted).on("thread", &ada.id),
            NewAuditEntry::by(&as_ada, AuditAction::MemberAdded).on("thread", "t-1"),
        ];
        for entry in &entries {
            log.append(entry).await.unwrap();
        }
        let repo = accounts(&f);

        let first = repo.audit_entries(&ada.id, None, 2).await.unwrap();
        let after = first.last().map(|e| e.seq.to_string());
        let second = repo.audit_entries(&ada.id, after, 2).await.unwrap();
        let rest = repo
            .audit_entries(&ada.id, second.last().map(|e| e.seq.to_string()), 2)
            .await
            .unwrap();

        assert_eq!(first.len(), 2);
        assert!(rest.is_empty());
        let seen: Vec<_> = first.iter().chain(&second).collect();
        let ids: Vec<_> = seen.iter().map(|e| e.record.id.clone()).collect();
        let expected: Vec<_> = [0, 2, 4].iter().map(|&n| entries[n].id.clone()).collect();
        assert_eq!(ids, expected, "Ada's entries once each, in seq order");
        assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(seen[1].record.action, AuditAction::UserRoleChanged);
        assert_eq!(seen[1].record.actor_id.as_ref(), Some(&grace.id));
        assert_eq!(
            repo.audit_entries(&grace.id, None, 10).await.unwrap().len(),
            3,
            "Grace's sign-in, the role change and the thread deletion she made"
        );
        let err = repo
            .audit_entries(&ada.id, Some("not a seq".into()), 2)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(_)), "{err:?}");
    }
);
