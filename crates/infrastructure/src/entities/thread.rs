use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "threads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub title: String,
    pub title_lower: String,
    pub description: String,
    pub status: String,
    pub pinned: bool,
    pub metadata: Json,
    pub memory: Json,
    pub owner_id: String,
    pub message_count: i64,
    pub last_message_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::thread_member::Entity")]
    Members,
}

related!(thread_member => Members);

impl ActiveModelBehavior for ActiveModel {}
