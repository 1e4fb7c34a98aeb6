//! Claims on an `Idempotency-Key` that survive a crash: who holds the claim (`claim_token`),
//! until when (`lease_until`), and the proof, written in the transaction of the claim's
//! write, that the write committed (`receipt`, JSON: the event kind and the ids it made).
//! Rows from before have an empty token and no lease, so they count as run out.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            string(IdempotencyKeys::ClaimToken).default("").to_owned(),
            timestamp_with_time_zone_null(IdempotencyKeys::LeaseUntil),
            text_null(IdempotencyKeys::Receipt),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(IdempotencyKeys::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            IdempotencyKeys::Receipt,
            IdempotencyKeys::LeaseUntil,
            IdempotencyKeys::ClaimToken,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(IdempotencyKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    ClaimToken,
    LeaseUntil,
    Receipt,
}
