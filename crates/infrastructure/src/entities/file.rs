use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: String,
    pub thread_id: Option<String>,
    pub filename: String,
    pub declared_type: String,
    pub detected_type: Option<String>,
    /// The served type, lowercased; `content_essence` is it without parameters.
    pub content_type: String,
    pub content_essence: String,
    pub size_bytes: i64,
    /// Set for stored files, `url` for external ones.
    pub digest: Option<String>,
    pub url: Option<String>,
    pub metadata: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::blob::Entity",
        from = "Column::Digest",
        to = "super::blob::Column::Digest"
    )]
    Blob,
    #[sea_orm(has_many = "super::message_attachment::Entity")]
    Attachments,
}

related!(blob => Blob, message_attachment => Attachments);

impl ActiveModelBehavior for ActiveModel {}
