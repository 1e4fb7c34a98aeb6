use async_trait::async_trait;
use domain::{
    event::NewEvent,
    id::{MessageId, UserId},
    pagination::{Page, PageRequest, Weigh},
    reaction::{Emoji, NewReaction, ReactionGroup, ReactionRepository, Toggled},
    DomainError, DomainResult,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::{
    db_error::{classify, unexpected},
    event_log,
};
use crate::database::Pools;
use crate::entities::{message, reaction};

pub struct SeaReactionRepository {
    db: Pools,
}

impl SeaReactionRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl ReactionRepository for SeaReactionRepository {
    async fn toggle(
        &self,
        new: &NewReaction,
        max_distinct: usize,
        added: &NewEvent,
        removed: &NewEvent,
    ) -> DomainResult<Toggled> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        // Every path ends the transaction here, failures included: a transaction left to
        // its destructor keeps the connection (and on SQLite the write lock) until the
        // pool notices.
        let (toggled, event) = match toggle_in(&tx, new, max_distinct).await {
            Ok(Toggled::Added) => (Toggled::Added, added),
            Ok(Toggled::Removed) => (Toggled::Removed, removed),
            refused => {
                tx.rollback().await.map_err(unexpected)?;
                return refused;
            }
        };
        event_log::append(&tx, event).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(toggled)
    }

    async fn remove(
        &self,
        message: &MessageId,
        user: &UserId,
        emoji: &Emoji,
        event: &NewEvent,
    ) -> DomainResult<bool> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        if !delete_reaction(&tx, message, user, emoji).await? {
            tx.rollback().await.map_err(unexpected)?;
            return Ok(false);
        }
        event_log::append(&tx, event).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(true)
    }

    async fn list(
        &self,
        message: &MessageId,
        viewer: &UserId,
        page: &PageRequest,
    ) -> DomainResult<Page<ReactionGroup>> {
        // A message holds at most `MAX_DISTINCT_EMOJI` groups; they are built whole, then
        // paged by the id of each group's first reaction (ids are time-ordered).
        let rows = reaction::Entity::find()
            .filter(reaction::Column::MessageId.eq(message.as_str()))
            .order_by_asc(reaction::Column::Id)
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        let mut groups: Vec<Group> = Vec::new();
        for row in rows {
            let user = UserId::from_trusted(row.user_id);
            let me = &user == viewer;
            match groups
                .iter_mut()
                .find(|g| g.group.emoji.as_str() == row.emoji)
            {
                Some(Group { group, .. }) => {
                    group.me |= me;
                    group.users.push(user);
                }
                None => groups.push(Group {
                    first_id: row.id,
                    group: ReactionGroup {
                        emoji: Emoji::from_trusted(row.emoji),
                        users: vec![user],
                        me,
                    },
                }),
            }
        }
        let after = page.after.as_ref().map(|cursor| cursor.key());
        let rest: Vec<Group> = groups
            .into_iter()
            .filter(|g| after.is_none_or(|after| g.first_id.as_str() > after))
            .take(usize::try_from(page.limit.get() + 1).unwrap_or(usize::MAX))
            .collect();
        Ok(Page::from_overfetch(rest, page.limit, |g| g.first_id.clone()).map(|g| g.group))
    }
}

/// Adds the reaction, or removes it when the user already gave it; writes nothing when the
/// message already shows `max_distinct` other emoji.
async fn toggle_in(
    tx: &DatabaseTransaction,
    new: &NewReaction,
    max_distinct: usize,
) -> DomainResult<Toggled> {
    // Serialise the toggles of one message so that the checks below stay true until
    // commit. PostgreSQL: lock the message row. SQLite: the delete below is the
    // transaction's first statement and takes the database's write lock.
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        lock_message(tx, &new.message_id).await?;
    }
    if delete_reaction(tx, &new.message_id, &new.user_id, &new.emoji).await? {
        return Ok(Toggled::Removed);
    }
    if tx.get_database_backend() != DatabaseBackend::Postgres {
        lock_message(tx, &new.message_id).await?;
    }
    let distinct: Vec<String> = reaction::Entity::find()
        .select_only()
        .column(reaction::Column::Emoji)
        .distinct()
        .filter(reaction::Column::MessageId.eq(new.message_id.as_str()))
        .into_tuple()
        .all(tx)
        .await
        .map_err(unexpected)?;
    let known = distinct.iter().any(|e| e == new.emoji.as_str());
    if !known && distinct.len() >= max_distinct {
        return Ok(Toggled::TooManyEmoji);
    }
    reaction::Entity::insert(reaction::ActiveModel {
        id: Set(new.id.to_string()),
        message_id: Set(new.message_id.to_string()),
        user_id: Set(new.user_id.to_string()),
        emoji: Set(new.emoji.as_str().to_owned()),
        created_at: Set(new.created_at),
    })
    .exec_without_returning(tx)
    .await
    .map_err(|e| classify(e, "the reaction changed at the same moment; retry"))?;
    Ok(Toggled::Added)
}

/// A group of reactions with the id of its first one, which places it in the list.
struct Group {
    first_id: String,
    group: ReactionGroup,
}

impl Weigh for Group {
    fn weight(&self) -> usize {
        self.group.weight()
    }
}

async fn delete_reaction(
    tx: &DatabaseTransaction,
    message: &MessageId,
    user: &UserId,
    emoji: &Emoji,
) -> DomainResult<bool> {
    let result = reaction::Entity::delete_many()
        .filter(reaction::Column::MessageId.eq(message.as_str()))
        .filter(reaction::Column::UserId.eq(user.as_str()))
        .filter(reaction::Column::Emoji.eq(emoji.as_str()))
        .exec(tx)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected == 1)
}

/// Finds the message, locking its row where the backend can (`FOR UPDATE`);
/// `NotFound("message")` when it is gone.
async fn lock_message(tx: &DatabaseTransaction, id: &MessageId) -> DomainResult<()> {
    let found: Option<String> = message::Entity::find_by_id(id.as_str())
        .select_only()
        .column(message::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .one(tx)
        .await
        .map_err(unexpected)?;
    found.map(drop).ok_or(DomainError::NotFound("message"))
}
