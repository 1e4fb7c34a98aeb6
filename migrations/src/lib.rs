//! The schema of Experience Layer, one additive migration at a time, for SQLite and
//! PostgreSQL alike. Never edit a migration that has landed: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_users;
mod m20261122_000002_create_sessions;
mod m20261122_000003_create_idempotency_keys;
mod m20261122_000004_create_first_admin;
mod m20261129_000005_create_threads;
mod m20261129_000006_create_messages;
mod m20261129_000007_create_events;
mod m20261129_000008_create_message_search;
mod m20261206_000009_create_files;
mod m20261213_000010_add_idempotency_leases;
mod m20261214_000011_create_health_probe;
mod m20261215_000012_create_api_keys;
mod m20261216_000013_create_share_links;
mod m20261216_000014_create_audit_log;
mod m20261216_000015_add_user_erasure;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_users::Migration),
            Box::new(m20261122_000002_create_sessions::Migration),
            Box::new(m20261122_000003_create_idempotency_keys::Migration),
            Box::new(m20261122_000004_create_first_admin::Migration),
            Box::new(m20261129_000005_create_threads::Migration),
            Box::new(m20261129_000006_create_messages::Migration),
            Box::new(m20261129_000007_create_events::Migration),
            Box::new(m20261129_000008_create_message_search::Migration),
            Box::new(m20261206_000009_create_files::Migration),
            Box::new(m20261213_000010_add_idempotency_leases::Migration),
            Box::new(m20261214_000011_create_health_probe::Migration),
            Box::new(m20261215_000012_create_api_keys::Migration),
            Box::new(m20261216_000013_create_share_links::Migration),
            Box::new(m20261216_000014_create_audit_log::Migration),
            Box::new(m20261216_000015_add_user_erasure::Migration),
        ]
    }
}
