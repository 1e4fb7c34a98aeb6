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
//!
//! Each wrapper's `impl` is written with `decorate!`, which lists the port's methods that
//! only go through to the wrapped repository, each with what happens after its write, and
//! takes the methods that read from memory as written out.

/// `decorate! { impl Port for Wrapper { <methods> } }`: the `#[async_trait]` impl of `Port`
/// in which each method listed as `fn name(&self, args…) -> Output;` returns what
/// `self.inner.name(args…)` returns, and one listed with `=> |outcome| after;` hands that
/// outcome to `after` (which evicts an entry or moves an epoch) and returns what it gives.
/// The methods written out in full (`async fn …`) follow the list and are kept as they are.
macro_rules! decorate {
    (
        impl $port:ident for $wrapper:ident {
            $(
                fn $method:ident(&$self:ident $(, $arg:ident: $ty:ty)* $(,)?) -> $output:ty
                    $(=> |$outcome:ident| $after:expr)?;
            )*
            $(async fn $read:ident $params:tt -> $read_output:ty $body:block)*
        }
    ) => {
        #[async_trait::async_trait]
        impl $port for $wrapper {
            $(
                async fn $method(&$self $(, $arg: $ty)*) -> $output {
                    decorate!(@through $self.$method($($arg),*) $(=> |$outcome| $after)?)
                }
            )*
            $(async fn $read $params -> $read_output $body)*
        }
    };
    (@through $self:ident.$method:ident($($arg:ident),*)) => {
        $self.inner.$method($($arg),*).await
    };
    (@through $self:ident.$method:ident($($arg:ident),*) => |$outcome:ident| $after:expr) => {{
        let $outcome = $self.inner.$method($($arg),*).await;
        $after
    }};
}

mod account;
mod files;
mod messages;
mod reactions;
mod read_cache;
mod thread_epochs;
mod threads;

pub use account::CachedAccountRepository;
pub use files::CachedFileRepository;
pub use messages::CachedMessageRepository;
pub use reactions::CachedReactionRepository;
pub use read_cache::{
    CachedApiKeyRepository, CachedSessionRepository, CachedUserRepository, UserEvictor,
};
pub use thread_epochs::ThreadEpochs;
pub use threads::CachedThreadRepository;
