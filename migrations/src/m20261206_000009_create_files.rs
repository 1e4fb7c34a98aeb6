use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per distinct content (SHA-256 in hex). Its row is what creating a record
        // and collecting the bytes lock, so an upload never loses its bytes to a collection.
        manager
            .create_table(
                Table::create()
                    .table(Blobs::Table)
                    .col(string(Blobs::Digest).primary_key())
                    .col(big_integer(Blobs::SizeBytes))
                    // Kept per blob: a thumbnail depends only on the bytes.
                    .col(string(Blobs::Preview).default("pending"))
                    .col(timestamp_with_time_zone(Blobs::CreatedAt))
                    .check(Expr::cust("preview IN ('pending', 'ready', 'unavailable')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(string(Files::Id).primary_key())
                    .col(string(Files::OwnerId))
                    .col(string_null(Files::ThreadId))
                    .col(string(Files::Filename))
                    .col(string(Files::DeclaredType))
                    .col(string_null(Files::DetectedType))
                    // The type the file is served as (detected, else declared), lowercased,
                    // and its essence (no parameters), which the type filters match on.
                    .col(string(Files::ContentType))
                    .col(string(Files::ContentEssence))
                    .col(big_integer(Files::SizeBytes))
                    // Stored files name their bytes; external files their URL; never both.
                    .col(string_null(Files::Digest))
                    .col(text_null(Files::Url))
                    .col(json(Files::Metadata))
                    .col(timestamp_with_time_zone(Files::CreatedAt))
                    .col(timestamp_with_time_zone(Files::UpdatedAt))
                    .check(Expr::cust("(digest IS NULL) <> (url IS NULL)"))
                    // Deleting a user deletes their files; their bytes go with the next sweep.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_files_owner")
                            .from(Files::Table, Files::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A file outlives its thread; the thread's attachment links go with its
                    // messages.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_files_thread")
                            .from(Files::Table, Files::ThreadId)
                            .to(Threads::Table, Threads::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    // Bytes are forgotten only once no record points at them.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_files_blob")
                            .from(Files::Table, Files::Digest)
                            .to(Blobs::Table, Blobs::Digest)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // A user's files, a thread's files, newest first by id; and the records of a blob.
        manager
            .create_index(
                Index::create()
                    .name("idx_files_owner")
                    .table(Files::Table)
                    .col(Files::OwnerId)
                    .col(Files::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_thread")
                    .table(Files::Table)
                    .col(Files::ThreadId)
                    .col(Files::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_digest")
                    .table(Files::Table)
                    .col(Files::Digest)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageAttachments::Table)
                    .col(string(MessageAttachments::MessageId))
                    .col(string(MessageAttachments::FileId))
                    .col(integer(MessageAttachments::Position))
                    .primary_key(
                        Index::create()
                            .col(MessageAttachments::MessageId)
                            .col(MessageAttachments::FileId),
                    )
                    // `messages.id` is the key on PostgreSQL and a unique column beside the
                    // integer key on SQLite: a foreign key to it works on both.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_attachments_message")
                            .from(MessageAttachments::Table, MessageAttachments::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Deleting a file removes it from the messages that attached it.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_attachments_file")
                            .from(MessageAttachments::Table, MessageAttachments::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Where a file is attached: read checks, the cascade of a file's deletion.
        manager
            .create_index(
                Index::create()
                    .name("idx_message_attachments_file")
                    .table(MessageAttachments::Table)
                    .col(MessageAttachments::FileId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MessageAttachments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Files::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Blobs::Table).to_owned())
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
    Id,
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Digest,
    SizeBytes,
    Preview,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OwnerId,
    ThreadId,
    Filename,
    DeclaredType,
    DetectedType,
    ContentType,
    ContentEssence,
    SizeBytes,
    Digest,
    Url,
    Metadata,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MessageAttachments {
    Table,
    MessageId,
    FileId,
    Position,
}
