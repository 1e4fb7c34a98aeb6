use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Threads::Table)
                    .col(string(Threads::Id).primary_key())
                    .col(string(Threads::Title))
                    // The title lowercased by the application: SQLite's lower() folds ASCII
                    // only, so a case-insensitive title filter matches on this.
                    .col(string(Threads::TitleLower))
                    .col(text(Threads::Description))
                    .col(string(Threads::Status))
                    .col(boolean(Threads::Pinned))
                    .col(json(Threads::Metadata))
                    .col(json(Threads::Memory))
                    .col(string(Threads::OwnerId))
                    .col(big_integer(Threads::MessageCount))
                    .col(timestamp_with_time_zone_null(Threads::LastMessageAt))
                    .col(timestamp_with_time_zone(Threads::CreatedAt))
                    .col(timestamp_with_time_zone(Threads::UpdatedAt))
                    // Deleting a user deletes the threads they created, with everything in them.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_threads_owner")
                            .from(Threads::Table, Threads::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadMembers::Table)
                    .col(string(ThreadMembers::ThreadId))
                    .col(string(ThreadMembers::UserId))
                    .col(string(ThreadMembers::Role))
                    .col(timestamp_with_time_zone(ThreadMembers::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(ThreadMembers::ThreadId)
                            .col(ThreadMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_thread_members_thread")
                            .from(ThreadMembers::Table, ThreadMembers::ThreadId)
                            .to(Threads::Table, Threads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_thread_members_user")
                            .from(ThreadMembers::Table, ThreadMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A member's thread list: their memberships, then threads by latest activity.
        manager
            .create_index(
                Index::create()
                    .name("idx_thread_members_user")
                    .table(ThreadMembers::Table)
                    .col(ThreadMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_threads_activity")
                    .table(Threads::Table)
                    .col(Threads::UpdatedAt)
                    .col(Threads::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ThreadMembers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Threads::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
    Title,
    TitleLower,
    Description,
    Status,
    Pinned,
    Metadata,
    Memory,
    OwnerId,
    MessageCount,
    LastMessageAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ThreadMembers {
    Table,
    ThreadId,
    UserId,
    Role,
    AddedAt,
}
