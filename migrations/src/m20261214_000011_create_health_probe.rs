use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row that `/health` rewrites: a write that reaches the disk tells whether the
/// database can take writes at all (a full disk answers reads but refuses commits).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HealthProbe::Table)
                    .col(integer(HealthProbe::Id).primary_key())
                    .col(timestamp_with_time_zone(HealthProbe::CheckedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HealthProbe::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum HealthProbe {
    Table,
    Id,
    CheckedAt,
}
