//! The one keyset page of resources listed newest first by id (ids sort by creation):
//! sessions, API keys, share links.

use domain::{
    pagination::{Page, PageRequest, Weigh},
    DomainResult,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::db_error::unexpected;

/// The page of `query`'s rows after the cursor's id, newest first by `id`, each made a `T`
/// by `convert`; `key` gives the cursor of the last one.
pub async fn newest_first<E, T>(
    query: Select<E>,
    id: E::Column,
    page: &PageRequest,
    db: &impl ConnectionTrait,
    convert: impl Fn(E::Model) -> T,
    key: impl Fn(&T) -> String,
) -> DomainResult<Page<T>>
where
    E: EntityTrait,
    T: Weigh,
{
    let query = match &page.after {
        Some(after) => query.filter(id.lt(after.key())),
        None => query,
    };
    let rows = query
        .order_by_desc(id)
        .limit(page.limit.get() + 1)
        .all(db)
        .await
        .map_err(unexpected)?;
    let items = rows.into_iter().map(convert).collect();
    Ok(Page::from_overfetch(items, page.limit, key))
}
