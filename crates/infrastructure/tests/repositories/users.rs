//! `SeaUserRepository` against the `UserRepository` contract.

use std::collections::HashSet;

use chrono::TimeDelta;
use domain::{
    id::UserId,
    time::{self, Timestamp},
    user::{
        AvatarUrl, Email, Preferences, Role, User, UserChanges, UserFilter, UserName,
        UserRepository, UserStatus,
    },
    DomainError,
};
use serde_json::json;

use crate::support::{at, first_page, new_user, page_of, Fixture, A_HASH};

/// The first 20 users that `filter` lets through, newest first.
async fn listed(f: &Fixture, filter: &UserFilter) -> Vec<User> {
    f.users.list(filter, &first_page(20)).await.unwrap().items
}

/// The users whose name or email contains `q`, newest first.
async fn matching(f: &Fixture, q: &str) -> Vec<UserId> {
    let filter = UserFilter {
        q: Some(q.to_owned()),
        ..UserFilter::default()
    };
    listed(f, &filter).await.into_iter().map(|u| u.id).collect()
}

/// `user` after `changes` at `now`, which must apply: `user` is still at `expected`
/// when that is given.
async fn updated_user(
    f: &Fixture,
    user: &UserId,
    changes: &UserChanges,
    expected: Option<Timestamp>,
    now: Timestamp,
) -> User {
    f.users
        .update(user, changes, expected, now, &[])
        .await
        .unwrap()
}

/// A change of the name alone.
fn renamed(name: &str) -> UserChanges {
    UserChanges {
        name: Some(UserName::parse(name).unwrap()),
        ..UserChanges::default()
    }
}

repo_test!(
    inserting_a_user_then_finding_it_by_id_returns_the_stored_user,
    |f| {
        let mut new = new_user("Ada@Example.com", "Ada Lovelace");
        new.role = Role::Admin;

        let inserted = f
            .users
            .insert(&new, &crate::support::audit_entry())
            .await
            .unwrap();

        assert_eq!(inserted.id, new.id);
        assert_eq!(inserted.email.as_str(), "ada@example.com");
        assert_eq!(inserted.name.as_str(), "Ada Lovelace");
        assert_eq!(inserted.role, Role::Admin);
        assert_eq!(inserted.status, UserStatus::Active);
        assert_eq!(inserted.avatar_url, None);
        assert_eq!(inserted.preferences, Preferences::default());
        assert_eq!(inserted.created_at, new.created_at);
        assert_eq!(inserted.updated_at, new.created_at);
        assert_eq!(f.users.find(&new.id).await.unwrap(), Some(inserted));
        let unknown = UserId::generate();
        assert_eq!(f.users.find(&unknown).await.unwrap(), None);
    }
);

repo_test!(
    find_credentials_by_email_returns_the_user_and_their_password_hash,
    |f| {
        let ada = f.user("Ada").await;
        let mut passwordless = new_user("sso@example.com", "Single Sign-On");
        passwordless.password_hash = None;
        let sso = f
            .users
            .insert(&passwordless, &crate::support::audit_entry())
            .await
            .unwrap();

        // Emails are normalised on parse, so any casing finds the account.
        let by_email = Email::parse("ADA@example.COM").unwrap();
        let credentials = f.users.find_credentials(&by_email).await.unwrap().unwrap();
        assert_eq!(credentials.user, ada);
        assert_eq!(
            credentials.password_hash.as_ref().map(|h| h.as_str()),
            Some(A_HASH)
        );

        let sso_email = Email::parse("sso@example.com").unwrap();
        let credentials = f.users.find_credentials(&sso_email).await.unwrap().unwrap();
        assert_eq!(credentials.user, sso);
        assert!(credentials.password_hash.is_none());

        let nobody = Email::parse("nobody@example.com").unwrap();
        assert!(f.users.find_credentials(&nobody).await.unwrap().is_none());
    }
);

repo_test!(
    find_by_external_subject_returns_the_user_the_provider_knows_by_it,
    |f| {
        let mut provisioned = new_user("ext@example.com", "External");
        provisioned.password_hash = None;
        provisioned.external_subject = Some("idp|42".to_owned());
        let inserted = f
            .users
            .insert(&provisioned, &crate::support::audit_entry())
            .await
            .unwrap();
        f.user("Local").await;

        assert_eq!(
            f.users.find_by_external_subject("idp|42").await.unwrap(),
            Some(inserted)
        );
        assert_eq!(
            f.users.find_by_external_subject("idp|43").await.unwrap(),
            None
        );
    }
);

repo_test!(inserting_a_duplicate_email_is_a_conflict, |f| {
    f.user("Ada").await;

    let err = f
        .users
        .insert(
            &new_user("ADA@example.com", "Another Ada"),
            &crate::support::audit_entry(),
        )
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    assert_eq!(f.users.count().await.unwrap(), 1);
});

repo_test!(inserting_a_duplicate_external_subject_is_a_conflict, |f| {
    let mut first = new_user("one@example.com", "One");
    first.external_subject = Some("idp|7".to_owned());
    f.users
        .insert(&first, &crate::support::audit_entry())
        .await
        .unwrap();
    let mut second = new_user("two@example.com", "Two");
    second.external_subject = Some("idp|7".to_owned());

    let err = f
        .users
        .insert(&second, &crate::support::audit_entry())
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    assert_eq!(f.users.count().await.unwrap(), 1);
});

repo_test!(
    users_without_an_external_subject_do_not_conflict_with_each_other,
    |f| {
        // NULL is not a value for the unique index on external_subject.
        f.user("One").await;
        f.user("Two").await;
        assert_eq!(f.users.count().await.unwrap(), 2);
    }
);

repo_test!(count_returns_the_number_of_stored_users, |f| {
    assert_eq!(f.users.count().await.unwrap(), 0);
    for i in 0..3 {
        f.user_with(&format!("user{i}@example.com"), "User").await;
    }
    assert_eq!(f.users.count().await.unwrap(), 3);
});

repo_test!(
    list_is_newest_first_and_keyset_pages_without_gaps_or_duplicates,
    |f| {
        let mut inserted = Vec::new();
        for i in 0..25 {
            let user = f
                .user_with(&format!("user{i:02}@example.com"), "User")
                .await;
            inserted.push(user.id);
        }
        let newest_first: Vec<_> = inserted.into_iter().rev().collect();

        let mut request = first_page(10);
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        loop {
            let page = f
                .users
                .list(&UserFilter::default(), &request)
                .await
                .unwrap();
            sizes.push(page.items.len());
            if let Some(next) = &page.next {
                let last = page.items.last().unwrap();
                assert_eq!(next.key(), last.id.as_str(), "the cursor is the last id");
            }
            seen.extend(page.items.into_iter().map(|u| u.id));
            match page.next {
                Some(next) => request.after = Some(next),
                None => break,
            }
            assert!(sizes.len() < 10, "pagination does not end");
        }

        assert_eq!(sizes, vec![10, 10, 5]);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25, "duplicates");
        assert_eq!(seen, newest_first);
    }
);

repo_test!(
    a_page_that_ends_exactly_at_the_last_user_has_no_next_cursor,
    |f| {
        for i in 0..10 {
            f.user_with(&format!("user{i}@example.com"), "User").await;
        }
        let page = f
            .users
            .list(&UserFilter::default(), &first_page(10))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 10);
        assert_eq!(page.next, None);
    }
);

repo_test!(list_filters_by_role, |f| {
    let mut admin = new_user("admin@example.com", "Admin");
    admin.role = Role::Admin;
    let admin = f
        .users
        .insert(&admin, &crate::support::audit_entry())
        .await
        .unwrap();
    let [first, second] = f.users_called(["First", "Second"]).await;

    let with_role = |role| UserFilter {
        role: Some(role),
        ..UserFilter::default()
    };
    assert_eq!(listed(&f, &with_role(Role::Admin)).await, vec![admin]);
    assert_eq!(
        listed(&f, &with_role(Role::User)).await,
        vec![second, first]
    );
});

repo_test!(list_filters_by_status, |f| {
    let [first, suspended, third] = f.users_called(["First", "Suspended", "Third"]).await;
    let suspend = UserChanges {
        status: Some(UserStatus::Suspended),
        ..UserChanges::default()
    };
    let (read, later) = (
        suspended.updated_at,
        suspended.updated_at + TimeDelta::seconds(1),
    );
    let suspended = updated_user(&f, &suspended.id, &suspend, Some(read), later).await;

    let with_status = |status| UserFilter {
        status: Some(status),
        ..UserFilter::default()
    };
    let only_suspended = listed(&f, &with_status(UserStatus::Suspended)).await;
    assert_eq!(only_suspended, vec![suspended]);
    let only_active = listed(&f, &with_status(UserStatus::Active)).await;
    assert_eq!(only_active, vec![third, first]);
});

repo_test!(list_q_matches_name_or_email_case_insensitively, |f| {
    let ada = f.user_with("ada@example.com", "Ada Lovelace").await;
    let grace = f.user_with("grace@navy.example.com", "Grace Hopper").await;
    let alan = f.user_with("alan@example.org", "Alan Turing").await;

    // In the name, whatever the case on either side.
    assert_eq!(matching(&f, "LOVE").await, vec![ada.id.clone()]);
    assert_eq!(matching(&f, "hOpPeR").await, vec![grace.id.clone()]);
    // In the email.
    assert_eq!(matching(&f, "NAVY").await, vec![grace.id.clone()]);
    assert_eq!(matching(&f, "example.org").await, vec![alan.id.clone()]);
    // Several: "ace" is in "Lovelace" and in "Grace".
    assert_eq!(
        matching(&f, "aCe").await,
        vec![grace.id.clone(), ada.id.clone()]
    );
    assert!(matching(&f, "nobody").await.is_empty());
    // An empty q filters nothing.
    assert_eq!(matching(&f, "").await, vec![alan.id, grace.id, ada.id]);
});

repo_test!(
    list_q_matches_percent_underscore_and_backslash_literally,
    |f| {
        let percent = f.user_with("percent@example.com", "100% Done").await;
        f.user_with("thousand@example.com", "1000 Done").await;
        let underscore = f.user_with("snake@example.com", "snake_case").await;
        f.user_with("other@example.com", "snakeXcase").await;
        let backslash = f.user_with("slash@example.com", r"back\slash").await;
        f.user_with("plain@example.com", "backslash").await;

        // As wildcards, "0%" would also match "1000 Done" and "%" would match everyone.
        assert_eq!(matching(&f, "0%").await, vec![percent.id.clone()]);
        assert_eq!(matching(&f, "%").await, vec![percent.id]);
        // As a wildcard, "e_c" would also match "snakeXcase" and "_" everyone.
        assert_eq!(matching(&f, "e_c").await, vec![underscore.id.clone()]);
        assert_eq!(matching(&f, "_").await, vec![underscore.id]);
        // The escape character itself is literal too.
        assert_eq!(matching(&f, r"k\s").await, vec![backslash.id]);
    }
);

repo_test!(list_filters_combine_and_page_together, |f| {
    let mut expected = Vec::new();
    for i in 0..5 {
        let mut admin = new_user(&format!("admin{i}@example.com"), "Team Admin");
        admin.role = Role::Admin;
        expected.push(
            f.users
                .insert(&admin, &crate::support::audit_entry())
                .await
                .unwrap()
                .id,
        );
        f.user_with(&format!("user{i}@example.com"), "Team User")
            .await;
        let mut other = new_user(&format!("boss{i}@example.com"), "Boss");
        other.role = Role::Admin;
        f.users
            .insert(&other, &crate::support::audit_entry())
            .await
            .unwrap();
    }
    expected.reverse();
    let filter = UserFilter {
        q: Some("team".to_owned()),
        role: Some(Role::Admin),
        status: Some(UserStatus::Active),
    };

    let first = f.users.list(&filter, &first_page(3)).await.unwrap();
    let second = f.users.list(&filter, &page_of(3, first.next.clone())).await;
    let second = second.unwrap();

    assert!(first.next.is_some());
    assert_eq!(second.next, None);
    let seen: Vec<_> = first
        .items
        .into_iter()
        .chain(second.items)
        .map(|u| u.id)
        .collect();
    assert_eq!(seen, expected);
});

repo_test!(
    update_applies_only_the_given_fields_and_moves_updated_at,
    |f| {
        let before = f.user("Ada").await;
        let later = before.updated_at + TimeDelta::milliseconds(1500);
        let changes = UserChanges {
            name: Some(UserName::parse("Ada King").unwrap()),
            preferences: Some(Preferences::parse(json!({"theme": "dark"})).unwrap()),
            ..UserChanges::default()
        };

        let after = updated_user(&f, &before.id, &changes, Some(before.updated_at), later).await;

        assert_eq!(after.name.as_str(), "Ada King");
        assert_eq!(
            after.preferences.as_map().get("theme"),
            Some(&json!("dark"))
        );
        assert_eq!(after.updated_at, later);
        // Everything not named in the changes stays as it was.
        assert_eq!(after.email, before.email);
        assert_eq!(after.avatar_url, before.avatar_url);
        assert_eq!(after.role, before.role);
        assert_eq!(after.status, before.status);
        assert_eq!(after.created_at, before.created_at);
        assert_eq!(f.users.find(&before.id).await.unwrap(), Some(after.clone()));

        // Role and status alone, leaving name and preferences from the first update.
        let promote = UserChanges {
            role: Some(Role::Admin),
            status: Some(UserStatus::Suspended),
            ..UserChanges::default()
        };
        let latest = later + TimeDelta::seconds(1);
        let promoted = updated_user(&f, &before.id, &promote, Some(after.updated_at), latest).await;
        assert_eq!(promoted.role, Role::Admin);
        assert_eq!(promoted.status, UserStatus::Suspended);
        assert_eq!(promoted.name, after.name);
        assert_eq!(promoted.preferences, after.preferences);
        assert_eq!(promoted.updated_at, latest);
    }
);

repo_test!(update_with_some_none_clears_the_avatar, |f| {
    let user = f.user("Ada").await;
    let avatar = AvatarUrl::parse("https://cdn.example.com/ada.png").unwrap();
    let t1 = user.updated_at + TimeDelta::seconds(1);
    let set = UserChanges {
        avatar_url: Some(Some(avatar.clone())),
        ..UserChanges::default()
    };
    let with_avatar = updated_user(&f, &user.id, &set, Some(user.updated_at), t1).await;
    assert_eq!(with_avatar.avatar_url, Some(avatar.clone()));

    // `None` leaves the avatar alone; `Some(None)` clears it.
    let t2 = t1 + TimeDelta::seconds(1);
    let rename = renamed("Ada King");
    let after_rename = updated_user(&f, &user.id, &rename, Some(t1), t2).await;
    assert_eq!(after_rename.avatar_url, Some(avatar));

    let t3 = t2 + TimeDelta::seconds(1);
    let clear = UserChanges {
        avatar_url: Some(None),
        ..UserChanges::default()
    };
    let cleared = updated_user(&f, &user.id, &clear, Some(t2), t3).await;
    assert_eq!(cleared.avatar_url, None);
    assert_eq!(cleared.name.as_str(), "Ada King");
    assert_eq!(
        f.users.find(&user.id).await.unwrap().unwrap().avatar_url,
        None
    );
});

repo_test!(
    update_with_a_stale_expected_updated_at_is_precondition_failed_and_changes_nothing,
    |f| {
        let original = f.user("Ada").await;
        let t1 = original.updated_at + TimeDelta::seconds(1);
        let first = renamed("First Writer");
        let current = updated_user(&f, &original.id, &first, Some(original.updated_at), t1).await;

        // A second writer that read the user before the first write.
        let second = UserChanges {
            name: Some(UserName::parse("Second Writer").unwrap()),
            role: Some(Role::Admin),
            ..UserChanges::default()
        };
        let err = f
            .users
            .update(
                &original.id,
                &second,
                Some(original.updated_at),
                t1 + TimeDelta::seconds(1),
                &[],
            )
            .await
            .unwrap_err();

        assert!(matches!(err, DomainError::PreconditionFailed), "{err:?}");
        assert_eq!(f.users.find(&original.id).await.unwrap(), Some(current));
    }
);

repo_test!(update_of_a_missing_user_is_not_found, |f| {
    f.user("Ada").await;
    let now = time::now();
    let changes = renamed("Ghost");

    let err = f
        .users
        .update(&UserId::generate(), &changes, Some(now), now, &[])
        .await
        .unwrap_err();

    assert!(matches!(err, DomainError::NotFound(_)), "{err:?}");
});

repo_test!(
    user_timestamps_round_trip_exactly_at_millisecond_precision,
    |f| {
        let instants = [
            time::now(),
            at("2024-02-29T23:59:59.999Z"),
            at("2024-01-01T00:00:00Z"),
            at("1999-12-31T23:59:59.001Z"),
        ];
        for (i, created_at) in instants.into_iter().enumerate() {
            let mut new = new_user(&format!("user{i}@example.com"), "User");
            new.created_at = created_at;
            let inserted = f
                .users
                .insert(&new, &crate::support::audit_entry())
                .await
                .unwrap();
            let found = f.users.find(&new.id).await.unwrap().unwrap();
            assert_eq!(inserted.created_at, created_at);
            assert_eq!(found.created_at, created_at);
            assert_eq!(found.updated_at, created_at);

            // The value read back is what an ETag carries: it must match the stored row
            // exactly, or the optimistic update would always fail.
            let moved = time::now() + TimeDelta::milliseconds(i64::try_from(i).unwrap() + 7);
            let changes = renamed("Renamed");
            let updated = updated_user(&f, &new.id, &changes, Some(found.updated_at), moved).await;
            assert_eq!(updated.updated_at, moved);
            assert_eq!(updated.created_at, created_at);
            let nothing = UserChanges::default();
            let again = updated_user(&f, &new.id, &nothing, Some(updated.updated_at), moved).await;
            assert_eq!(again.updated_at, moved);
        }
    }
);

repo_test!(
    update_without_an_expected_version_goes_ahead_whatever_the_version,
    |f| {
        let user = f.user("Ada").await;
        let t1 = user.updated_at + TimeDelta::seconds(1);
        updated_user(&f, &user.id, &renamed("First"), None, t1).await;

        // The version read before the first write is stale now, but nobody asked for it.
        let t2 = t1 + TimeDelta::seconds(1);
        let second = updated_user(&f, &user.id, &renamed("Second"), None, t2).await;

        assert_eq!(second.name.as_str(), "Second");
        assert_eq!(second.updated_at, t2);
    }
);

repo_test!(of_concurrent_first_admin_claims_exactly_one_succeeds, |f| {
    let claims = (0..8).map(|n| {
        let users = f.users.clone();
        tokio::spawn(async move {
            let new = new_user(&format!("user{n}@example.com"), "Racer");
            users
                .insert_as_first_admin(&new, &crate::support::audit_entry())
                .await
                .unwrap()
        })
    });
    let mut winners = Vec::new();
    for claim in claims {
        if let Some(user) = claim.await.unwrap() {
            winners.push(user);
        }
    }

    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].role, Role::Admin);
    // The losers stored nothing; a later claim fails too.
    assert_eq!(f.users.count().await.unwrap(), 1);
    let late = f
        .users
        .insert_as_first_admin(
            &new_user("late@example.com", "Late"),
            &crate::support::audit_entry(),
        )
        .await
        .unwrap();
    assert!(late.is_none());
});
