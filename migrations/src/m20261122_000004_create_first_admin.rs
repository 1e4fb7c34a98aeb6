use sea_orm_migration::{prelude::*, schema::*};

/// One row at most: who claimed the first-administrator slot. Its primary key makes
/// "the first registered user becomes ADMIN" hold under concurrent registrations.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FirstAdmin::Table)
                    .col(integer(FirstAdmin::Slot).primary_key())
                    .col(string(FirstAdmin::UserId))
                    .col(timestamp_with_time_zone(FirstAdmin::ClaimedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FirstAdmin::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FirstAdmin {
    Table,
    Slot,
    UserId,
    ClaimedAt,
}
