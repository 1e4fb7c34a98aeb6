//! Registering: only when allowed and at an allowed domain; the first user becomes ADMIN.

use super::*;
use crate::test_fixtures::assert_forbidden;

fn registration(email: &str) -> Registration {
    Registration::parse(email, "correct horse battery".to_owned(), "Ada").unwrap()
}

impl Ports {
    /// Registers `email` with a good password, from an unknown client.
    async fn register(self, email: &str) -> DomainResult<SignedIn> {
        self.service()
            .register(registration(email), &ClientInfo::default())
            .await
    }

    /// Expects one plain insert of a USER, which is stored.
    fn inserting_a_plain_user(mut self) -> Self {
        self.users
            .expect_insert()
            .withf(|new: &NewUser, _| new.role == Role::User)
            .times(1)
            .returning(|new, _| Ok(stored(new)));
        self
    }
}

#[tokio::test]
async fn registering_while_registration_is_disabled_is_forbidden() {
    let service = Ports::default().service_with(AuthPolicy {
        allow_registration: false,
        ..policy()
    });

    assert_forbidden(
        service
            .register(registration("ada@example.com"), &ClientInfo::default())
            .await,
    );
}

#[tokio::test]
async fn registering_with_an_email_outside_the_allowed_domains_is_forbidden() {
    assert_forbidden(Ports::default().register("ada@elsewhere.org").await);
}

#[tokio::test]
async fn the_first_registered_user_becomes_admin() {
    let mut ports = Ports::default().registering(0);
    ports
        .users
        .expect_insert_as_first_admin()
        .withf(|new: &NewUser, _| new.role == Role::Admin)
        .times(1)
        .returning(|new, _| Ok(Some(stored(new))));
    ports.users.expect_insert().never();

    let signed_in = ports.register("ada@example.com").await.unwrap();

    assert_eq!(signed_in.user.role, Role::Admin);
}

#[tokio::test]
async fn a_registration_that_loses_the_race_for_first_admin_is_a_plain_user() {
    let mut ports = Ports::default().registering(0);
    ports
        .users
        .expect_insert_as_first_admin()
        .times(1)
        .returning(|_, _| Ok(None));
    let ports = ports.inserting_a_plain_user();

    let signed_in = ports.register("ada@example.com").await.unwrap();

    assert_eq!(signed_in.user.role, Role::User);
}

#[tokio::test]
async fn users_registered_after_the_first_are_plain_users() {
    let ports = Ports::default().registering(1).inserting_a_plain_user();

    let signed_in = ports.register("ada@example.com").await.unwrap();

    assert_eq!(signed_in.user.role, Role::User);
}

#[tokio::test]
async fn a_registered_user_is_stored_with_the_password_hash_and_no_external_subject() {
    let mut ports = Ports::default().registering(3);
    ports
        .users
        .expect_insert()
        .withf(|new: &NewUser, _| {
            new.email.as_str() == "ada@example.com"
                && new.password_hash.as_ref().map(PasswordHash::as_str) == Some("$argon2id$stored")
                && new.external_subject.is_none()
        })
        .times(1)
        .returning(|new, _| Ok(stored(new)));

    ports.register("Ada@Example.com").await.unwrap();
}

#[tokio::test]
async fn a_server_that_cannot_sign_refuses_registration_before_writing_anything() {
    let mut ports = Ports::default();
    ports.tokens.expect_can_issue().return_const(false);
    ports.users.expect_insert().never();
    ports.sessions.expect_create().never();

    let input = Registration::parse("ada@example.com", "long enough".into(), "Ada").unwrap();
    assert_forbidden(
        ports
            .service()
            .register(input, &ClientInfo::default())
            .await,
    );
}
