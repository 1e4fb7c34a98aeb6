//! The audit log: security-relevant actions, each chained to the one before it by
//! SHA-256 (`prev_hash`, `hash`) in the order of `seq`, which the writing transaction
//! assigns under a lock as the last seq + 1. No foreign keys: an entry outlives the
//! user, session, thread or key it names.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(string(AuditLog::Id).primary_key())
                    .col(big_integer(AuditLog::Seq))
                    .col(string(AuditLog::Action))
                    .col(string_null(AuditLog::ActorId))
                    .col(string_null(AuditLog::ActorEmail))
                    .col(string_null(AuditLog::Ip))
                    .col(text_null(AuditLog::UserAgent))
                    .col(string_null(AuditLog::ResourceType))
                    .col(string_null(AuditLog::ResourceId))
                    .col(string(AuditLog::Outcome))
                    // JSON as text: the text hashed is the text stored, byte for byte.
                    .col(text(AuditLog::Details))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(string(AuditLog::PrevHash))
                    .col(string(AuditLog::Hash))
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, &[AuditLog]); 5] = [
            ("idx_audit_log_seq", &[AuditLog::Seq]),
            ("idx_audit_log_actor", &[AuditLog::ActorId, AuditLog::Seq]),
            ("idx_audit_log_action", &[AuditLog::Action, AuditLog::Seq]),
            (
                "idx_audit_log_resource",
                &[AuditLog::ResourceType, AuditLog::ResourceId, AuditLog::Seq],
            ),
            ("idx_audit_log_occurred_at", &[AuditLog::OccurredAt]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for column in columns {
                index.col(*column);
            }
            if name == "idx_audit_log_seq" {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    Seq,
    Action,
    ActorId,
    ActorEmail,
    Ip,
    UserAgent,
    ResourceType,
    ResourceId,
    Outcome,
    Details,
    OccurredAt,
    PrevHash,
    Hash,
}
