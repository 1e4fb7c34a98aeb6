//! Adapters that implement the domain's ports: SeaORM repositories over SQLite or
//! PostgreSQL (with the group-commit writer of new messages), read caches that decorate
//! them, Argon2id password hashing and JWT signing.

pub mod cache;
pub mod database;
mod entities;
pub mod password;
pub mod rate_limit;
pub mod repositories;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;
