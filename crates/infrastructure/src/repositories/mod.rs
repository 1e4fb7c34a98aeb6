//! SeaORM implementations of the domain's repository ports.

mod db_error;
mod session_repository;
mod user_repository;

pub use session_repository::SeaSessionRepository;
pub use user_repository::SeaUserRepository;
