//! The SeaORM repositories against real databases: each test gets a fresh, migrated SQLite
//! file and, with `--include-ignored` and `TEST_POSTGRES_URL`, a fresh PostgreSQL schema.
//! The assertions are the contracts of the domain's ports (`domain::user::UserRepository`,
//! `domain::auth::SessionRepository`, `domain::thread::ThreadRepository`,
//! `domain::message::MessageRepository`, `domain::reaction::ReactionRepository`,
//! `domain::search::SearchRepository`, `domain::file::FileRepository`), so both backends
//! must pass the same tests. A test is `repo_test!(name, |f| { ... })`, whose `f` is a
//! [`support::Fixture`]: the database, every repository over it, and builders that seed it
//! as a service would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod support;

mod accounts;
mod api_keys;
mod audit_log;
mod files;
mod idempotency;
mod messages;
mod migration_rollback;
mod reactions;
mod read_cache;
mod search;
mod sessions;
mod share_links;
mod thread_cache;
mod threads;
mod users;

// The cache tests name the helpers from the crate root.
#[allow(unused_imports)]
use support::*;
