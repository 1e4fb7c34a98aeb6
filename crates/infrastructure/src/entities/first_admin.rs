use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "first_admin")]
pub struct Model {
    /// Always 1: the table holds one row at most.
    #[sea_orm(primary_key, auto_increment = false)]
    pub slot: i32,
    pub user_id: String,
    pub claimed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
