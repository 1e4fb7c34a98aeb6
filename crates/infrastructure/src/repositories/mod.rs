//! SeaORM implementations of the domain's repository ports.

mod db_error;
mod idempotency_store;
mod read_cache;
mod session_repository;
mod user_repository;

pub use idempotency_store::SeaIdempotencyStore;
pub use read_cache::{CachedSessionRepository, CachedUserRepository};
pub use session_repository::SeaSessionRepository;
pub use user_repository::SeaUserRepository;
