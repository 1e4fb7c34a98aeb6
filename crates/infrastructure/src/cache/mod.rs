//! Read caches as decorators of the repository ports: each `Cached…Repository` wraps
//! another implementation of the same port (a SeaORM repository in the server), answers
//! some reads from memory and passes every write through, forgetting what the write may
//! have changed once it has committed. The domain does not know they exist.
//!
//! - `read_cache.rs`: the user and the session by id, the two lookups every authenticated
//!   request makes.
//! - `thread_epochs.rs` and the wrappers beside it (`threads.rs`, `messages.rs`,
//!   `reactions.rs`, `files.rs`): a caller's access to a thread and pages of its messages,
//!   keyed by the thread's epoch, which every write to the thread moves.
//!
//! Both are exact only where one instance sees every write, so the composition root turns
//! them on by default only on SQLite. A new method on a wrapped port must be added to its
//! wrapper too (the compiler insists): pass it through, and if it writes, evict or move
//! the epoch after it.

mod files;
mod messages;
mod reactions;
mod read_cache;
mod thread_epochs;
mod threads;

pub use files::CachedFileRepository;
pub use messages::CachedMessageRepository;
pub use reactions::CachedReactionRepository;
pub use read_cache::{CachedSessionRepository, CachedUserRepository};
pub use thread_epochs::ThreadEpochs;
pub use threads::CachedThreadRepository;
