//! SeaORM models of the tables the migrations create. Private to this crate: rows are
//! converted to domain types at the repository boundary and never leave it.

pub mod first_admin;
pub mod idempotency_key;
pub mod refresh_token;
pub mod session;
pub mod user;
