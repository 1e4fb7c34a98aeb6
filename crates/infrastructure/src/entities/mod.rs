//! SeaORM models of the tables the migrations create. Private to this crate: rows are
//! converted to domain types at the repository boundary and never leave it.

/// `related!(table => Relation, …)` in an entity's module: `impl Related<super::table::Entity>
/// for Entity` through `Relation::Relation`, for each pair (what lets SeaORM join them).
macro_rules! related {
    ($($table:ident => $relation:ident),* $(,)?) => {
        $(
            impl Related<super::$table::Entity> for Entity {
                fn to() -> RelationDef {
                    Relation::$relation.def()
                }
            }
        )*
    };
}

pub mod api_key;
pub mod audit_log;
pub mod blob;
pub mod event;
pub mod file;
pub mod first_admin;
pub mod idempotency_key;
pub mod message;
pub mod message_attachment;
pub mod message_revision;
pub mod reaction;
pub mod refresh_token;
pub mod session;
pub mod share_link;
pub mod thread;
pub mod thread_member;
pub mod user;
