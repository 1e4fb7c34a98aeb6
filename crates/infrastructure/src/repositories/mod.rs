//! SeaORM implementations of the domain's repository ports, and the group-commit writer
//! of new messages (`MessageWriter`) that `SeaMessageRepository` writes through. The
//! caches in front of them are in `crate::cache`.

mod account_repository;
mod api_key_repository;
pub(crate) mod audit_log;
mod db_error;
mod event_log;
mod file_repository;
mod group_commit;
mod idempotency_receipt;
mod idempotency_store;
mod keyset;
mod message_repository;
mod newest_first;
mod reaction_repository;
mod search_repository;
mod session_repository;
mod share_link_repository;
mod sized_page;
mod thread_repository;
mod user_repository;
mod versioned;

pub use account_repository::SeaAccountRepository;
pub use api_key_repository::SeaApiKeyRepository;
pub use audit_log::SeaAuditLog;
pub use file_repository::SeaFileRepository;
pub use group_commit::MessageWriter;
pub use idempotency_store::SeaIdempotencyStore;
pub use message_repository::SeaMessageRepository;
pub use reaction_repository::SeaReactionRepository;
pub use search_repository::SeaSearchRepository;
pub use session_repository::SeaSessionRepository;
pub use share_link_repository::SeaShareLinkRepository;
pub use thread_repository::SeaThreadRepository;
pub use user_repository::SeaUserRepository;

/// Makes `%`, `_` and `\` in user input match themselves in a LIKE pattern.
fn escape_like(input: &str) -> String {
    let mut escaped = String::with_capacity(input.len());
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
