use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut messages = Table::create().table(Messages::Table).to_owned();
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            // SQLite: an explicit integer key, which VACUUM never renumbers (it may renumber
            // implicit rowids), for the full-text index to point at; the id stays unique.
            messages
                .col(
                    ColumnDef::new(Messages::Seq)
                        .integer()
                        .not_null()
                        .primary_key()
                        .auto_increment(),
                )
                .col(string(Messages::Id).unique_key());
        } else {
            messages.col(string(Messages::Id).primary_key());
        }
        manager
            .create_table(
                messages
                    .col(string(Messages::ThreadId))
                    // No foreign key: a message outlives its author's account.
                    .col(string(Messages::AuthorId))
                    .col(string(Messages::Role))
                    .col(text_null(Messages::Content))
                    .col(json(Messages::Blocks))
                    .col(json(Messages::Metadata))
                    .col(string_null(Messages::ParentId))
                    .col(string(Messages::Status))
                    .col(timestamp_with_time_zone_null(Messages::EditedAt))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .col(timestamp_with_time_zone(Messages::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_thread")
                            .from(Messages::Table, Messages::ThreadId)
                            .to(Threads::Table, Threads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_parent")
                            .from(Messages::Table, Messages::ParentId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Pages of a thread, by id in either direction.
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_thread")
                    .table(Messages::Table)
                    .col(Messages::ThreadId)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_parent")
                    .table(Messages::Table)
                    .col(Messages::ParentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageRevisions::Table)
                    .col(string(MessageRevisions::MessageId))
                    .col(integer(MessageRevisions::Number))
                    .col(text_null(MessageRevisions::Content))
                    .col(json(MessageRevisions::Blocks))
                    .col(timestamp_with_time_zone(MessageRevisions::CreatedAt))
                    .col(string(MessageRevisions::ReplacedBy))
                    .col(timestamp_with_time_zone(MessageRevisions::ReplacedAt))
                    .primary_key(
                        Index::create()
                            .col(MessageRevisions::MessageId)
                            .col(MessageRevisions::Number),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_revisions_message")
                            .from(MessageRevisions::Table, MessageRevisions::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reactions::Table)
                    .col(string(Reactions::Id).primary_key())
                    .col(string(Reactions::MessageId))
                    .col(string(Reactions::UserId))
                    .col(string(Reactions::Emoji))
                    .col(timestamp_with_time_zone(Reactions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reactions_message")
                            .from(Reactions::Table, Reactions::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reactions_user")
                            .from(Reactions::Table, Reactions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One reaction per user, message and emoji, whatever races: the database decides.
        manager
            .create_index(
                Index::create()
                    .name("uq_reactions_message_user_emoji")
                    .table(Reactions::Table)
                    .col(Reactions::MessageId)
                    .col(Reactions::UserId)
                    .col(Reactions::Emoji)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reactions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MessageRevisions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
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
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Seq,
    Id,
    ThreadId,
    AuthorId,
    Role,
    Content,
    Blocks,
    Metadata,
    ParentId,
    Status,
    EditedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MessageRevisions {
    Table,
    MessageId,
    Number,
    Content,
    Blocks,
    CreatedAt,
    ReplacedBy,
    ReplacedAt,
}

#[derive(DeriveIden)]
enum Reactions {
    Table,
    Id,
    MessageId,
    UserId,
    Emoji,
    CreatedAt,
}
