//! Share links: secret URLs that show one thread, read-only, to whoever holds them. Only
//! the SHA-256 of a link's token is stored; a link goes with its thread.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShareLinks::Table)
                    .col(string(ShareLinks::Id).primary_key())
                    .col(string(ShareLinks::ThreadId))
                    // Who made it; kept when that account goes (the link is the thread's).
                    .col(string(ShareLinks::CreatedBy))
                    // Hex SHA-256 of the whole token: what a presented token is looked up by.
                    .col(string(ShareLinks::TokenHash))
                    // Argon2id PHC string; NULL when the link has no password.
                    .col(string_null(ShareLinks::PasswordHash))
                    .col(big_integer_null(ShareLinks::MaxViews))
                    .col(big_integer(ShareLinks::ViewCount).default(0))
                    .col(timestamp_with_time_zone_null(ShareLinks::ExpiresAt))
                    .col(timestamp_with_time_zone(ShareLinks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_share_links_thread")
                            .from(ShareLinks::Table, ShareLinks::ThreadId)
                            .to(Threads::Table, Threads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_share_links_thread")
                    .table(ShareLinks::Table)
                    .col(ShareLinks::ThreadId)
                    .col(ShareLinks::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_share_links_token_hash")
                    .table(ShareLinks::Table)
                    .col(ShareLinks::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ShareLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ShareLinks {
    Table,
    Id,
    ThreadId,
    CreatedBy,
    TokenHash,
    PasswordHash,
    MaxViews,
    ViewCount,
    ExpiresAt,
    CreatedAt,
}
