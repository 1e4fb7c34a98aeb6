use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use domain::{
    event::NewEvent,
    file::FileSummary,
    id::{MessageId, ThreadId, UserId},
    json_object::Metadata,
    message::{
        Blocks, Message, MessageChanges, MessageContent, MessageFilter, MessageRepository,
        MessageRole, MessageStatus, NewMessage, Revision, SortOrder,
    },
    pagination::{Page, PageRequest},
    time::Timestamp,
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Expr, Func, Query, SimpleExpr, SubQueryStatement},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select, SqlErr, TransactionTrait,
};

use super::{
    db_error::{converted, corrupt, unexpected},
    file_repository::attachments_of,
    group_commit::MessageWriter,
    sized_page::{fitting, stored_bytes},
    versioned::{self, SetChanged},
};
use crate::database::Pools;
use crate::entities::{message, message_revision, reaction, thread};

pub struct SeaMessageRepository {
    db: Pools,
    /// Writes new messages by group commit; everything else is written here.
    writer: MessageWriter,
}

impl SeaMessageRepository {
    /// New messages go through `writer`, which the caller started (`MessageWriter::start`)
    /// on the same database's write pool.
    pub fn new(db: impl Into<Pools>, writer: MessageWriter) -> Self {
        Self {
            db: db.into(),
            writer,
        }
    }

    /// After a conditional write touched no row: was the message gone or had it moved on?
    async fn why_unchanged(&self, id: &MessageId) -> DomainError {
        versioned::why_unchanged::<message::Entity>(&self.db.read, id.as_str(), "message").await
    }

    /// Reaction counts of the given messages, by message id.
    async fn reaction_counts(
        &self,
        ids: &[String],
    ) -> DomainResult<HashMap<String, BTreeMap<String, u64>>> {
        #[derive(FromQueryResult)]
        struct Count {
            message_id: String,
            emoji: String,
            count: i64,
        }
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = reaction::Entity::find()
            .select_only()
            .column(reaction::Column::MessageId)
            .column(reaction::Column::Emoji)
            .column_as(reaction::Column::Id.count(), "count")
            .filter(reaction::Column::MessageId.is_in(ids.iter().map(String::as_str)))
            .group_by(reaction::Column::MessageId)
            .group_by(reaction::Column::Emoji)
            .into_model::<Count>()
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        let mut counts: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
        for row in rows {
            counts
                .entry(row.message_id)
                .or_default()
                .insert(row.emoji, u64::try_from(row.count).unwrap_or(0));
        }
        Ok(counts)
    }

    /// The messages with their reaction counts and attachments: one query each for the
    /// whole page.
    async fn complete(&self, models: Vec<message::Model>) -> DomainResult<Vec<Message>> {
        let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
        let mut counts = self.reaction_counts(&ids).await?;
        let mut attachments = attachments_of(&self.db.read, &ids).await?;
        models
            .into_iter()
            .map(|model| {
                let reaction_counts = counts.remove(&model.id).unwrap_or_default();
                let attached = attachments.remove(&model.id).unwrap_or_default();
                to_message(model, reaction_counts, attached)
            })
            .collect()
    }
}

#[async_trait]
impl MessageRepository for SeaMessageRepository {
    async fn insert(&self, new: &NewMessage, event: &NewEvent) -> DomainResult<Message> {
        self.writer.insert(new, event).await?;
        let fields = &new.fields;
        let at = new.created_at;
        Ok(Message {
            id: new.id.clone(),
            thread_id: new.thread_id.clone(),
            author_id: new.author_id.clone(),
            role: fields.role,
            content: fields.content.clone(),
            blocks: fields.blocks.clone(),
            metadata: fields.metadata.clone(),
            parent_id: fields.parent_id.clone(),
            status: fields.status,
            attachments: new.attachments.clone(),
            reaction_counts: BTreeMap::new(),
            edited_at: None,
            created_at: at,
            updated_at: at,
        })
    }

    async fn find(&self, id: &MessageId) -> DomainResult<Option<Message>> {
        let Some(model) = message::Entity::find_by_id(id.as_str())
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        Ok(self.complete(vec![model]).await?.pop())
    }

    async fn list(
        &self,
        thread: &ThreadId,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Message>> {
        use message::Column;
        let mut query = message::Entity::find().filter(Column::ThreadId.eq(thread.as_str()));
        if let Some(role) = filter.role {
            query = query.filter(Column::Role.eq(role.as_str()));
        }
        if let Some(parent) = &filter.parent_id {
            query = query.filter(Column::ParentId.eq(parent.as_str()));
        }
        query = match (filter.order, &page.after) {
            (SortOrder::Asc, Some(after)) => query.filter(Column::Id.gt(after.key())),
            (SortOrder::Desc, Some(after)) => query.filter(Column::Id.lt(after.key())),
            (_, None) => query,
        };
        let order = |query: Select<message::Entity>| match filter.order {
            SortOrder::Asc => query.order_by_asc(Column::Id),
            SortOrder::Desc => query.order_by_desc(Column::Id),
        };
        // Sizes first, then only the messages that fit in the page's byte budget.
        let bytes = stored_bytes(
            self.db.read.get_database_backend(),
            &["content"],
            &["blocks", "metadata"],
        );
        let fitting = fitting(order(query), Column::Id, bytes, &self.db.read, page.limit).await?;
        let models = order(message::Entity::find())
            .filter(Column::Id.is_in(fitting.items.iter().map(String::as_str)))
            .all(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(Page {
            items: self.complete(models).await?,
            next: fitting.next,
        })
    }

    async fn update(
        &self,
        id: &MessageId,
        changes: &MessageChanges,
        editor: &UserId,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        event: &NewEvent,
    ) -> DomainResult<Message> {
        use message::Column;
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        if changes.edits_text() {
            // Copies the version being replaced in one statement that writes first, so
            // nothing can change it between reading and keeping it.
            let kept = keep_revision(&tx, id, editor, expected_updated_at, now).await?;
            if kept != 1 {
                return versioned::rolled_back(tx, self.why_unchanged(id)).await;
            }
        }
        let content = changes
            .content
            .as_ref()
            .map(|c| c.as_ref().map(|c| c.as_str().to_owned()));
        let blocks = changes.blocks.clone().map(Blocks::into_value);
        let metadata = changes.metadata.clone().map(Metadata::into_value);
        let update = versioned::update::<message::Entity>(id.as_str(), expected_updated_at, now)
            .set_changed(Column::EditedAt, changes.edits_text().then_some(now))
            .set_changed(Column::Content, content)
            .set_changed(Column::Blocks, blocks)
            .set_changed(Column::Metadata, metadata)
            .set_changed(Column::Status, changes.status.map(MessageStatus::as_str));
        let result = update.exec(&tx).await.map_err(unexpected)?;
        versioned::commit_one(tx, result.rows_affected, event, self.why_unchanged(id)).await?;
        self.find(id).await?.ok_or(DomainError::NotFound("message"))
    }

    async fn revisions(&self, id: &MessageId, page: &PageRequest) -> DomainResult<Page<Revision>> {
        let mut query = message_revision::Entity::find()
            .filter(message_revision::Column::MessageId.eq(id.as_str()));
        if let Some(after) = &page.after {
            let number: i32 = after
                .key()
                .parse()
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
            query = query.filter(message_revision::Column::Number.gt(number));
        }
        // Sizes first, then only the revisions that fit in the page's byte budget.
        let bytes = stored_bytes(
            self.db.read.get_database_backend(),
            &["content"],
            &["blocks"],
        );
        let query = query.order_by_asc(message_revision::Column::Number);
        let number = Expr::cust("CAST(\"number\" AS TEXT)");
        let fitting = fitting(query, number, bytes, &self.db.read, page.limit).await?;
        let numbers: Vec<i32> = fitting
            .items
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect();
        let rows = message_revision::Entity::find()
            .filter(message_revision::Column::MessageId.eq(id.as_str()))
            .filter(message_revision::Column::Number.is_in(numbers))
            .order_by_asc(message_revision::Column::Number)
            .all(&self.db.read)
            .await;
        let rows = converted(rows, to_revision)?;
        Ok(Page {
            items: rows,
            next: fitting.next,
        })
    }

    async fn delete(
        &self,
        id: &MessageId,
        expected_updated_at: Option<Timestamp>,
        event: &NewEvent,
    ) -> DomainResult<()> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let owning_thread = Query::select()
            .column(message::Column::ThreadId)
            .from(message::Entity)
            .and_where(message::Column::Id.eq(id.as_str()))
            .to_owned();
        thread::Entity::update_many()
            .col_expr(
                thread::Column::MessageCount,
                Expr::col(thread::Column::MessageCount).sub(1),
            )
            .filter(thread::Column::Id.in_subquery(owning_thread))
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        // Reactions and revisions go by cascade; replies lose their parent.
        let result = versioned::delete::<message::Entity>(id.as_str(), expected_updated_at)
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        versioned::commit_one(tx, result.rows_affected, event, self.why_unchanged(id)).await
    }
}

/// `INSERT INTO message_revisions SELECT <the current version> FROM messages WHERE …`,
/// numbered one past the message's last revision. Returns the rows written: 0 when the
/// message is gone or no longer at `expected_updated_at`.
async fn keep_revision(
    tx: &impl ConnectionTrait,
    id: &MessageId,
    editor: &UserId,
    expected_updated_at: Option<Timestamp>,
    now: Timestamp,
) -> DomainResult<u64> {
    use message_revision::Column as R;
    let next_number = Query::select()
        .expr(
            Expr::expr(Func::coalesce([
                Expr::col(R::Number).max(),
                Expr::val(0).into(),
            ]))
            .add(1),
        )
        .from(message_revision::Entity)
        .and_where(R::MessageId.eq(id.as_str()))
        .to_owned();
    let mut current = Query::select()
        .column(message::Column::Id)
        .expr(SimpleExpr::SubQuery(
            None,
            Box::new(SubQueryStatement::SelectStatement(next_number)),
        ))
        .column(message::Column::Content)
        .column(message::Column::Blocks)
        .column(message::Column::UpdatedAt)
        .expr(Expr::val(editor.as_str()))
        .expr(Expr::val(now))
        .from(message::Entity)
        .and_where(message::Column::Id.eq(id.as_str()))
        .to_owned();
    if let Some(expected) = expected_updated_at {
        current.and_where(message::Column::UpdatedAt.eq(expected));
    }
    let insert = Query::insert()
        .into_table(message_revision::Entity)
        .columns([
            R::MessageId,
            R::Number,
            R::Content,
            R::Blocks,
            R::CreatedAt,
            R::ReplacedBy,
            R::ReplacedAt,
        ])
        .select_from(current)
        .map_err(|e| DomainError::Unexpected(anyhow::anyhow!("revision query: {e}")))?
        .to_owned();
    let builder = tx.get_database_backend();
    let result = tx
        .execute(builder.build(&insert))
        .await
        .map_err(concurrent_edit)?;
    Ok(result.rows_affected())
}

/// Two edits racing for the same revision number: the loser is told to retry. A delete
/// that committed between reading the message and keeping its revision: it is gone.
fn concurrent_edit(err: DbErr) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("the message was edited at the same moment; retry")
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::NotFound("message"),
        _ => unexpected(err),
    }
}

pub(super) fn to_message(
    model: message::Model,
    reaction_counts: BTreeMap<String, u64>,
    attachments: Vec<FileSummary>,
) -> DomainResult<Message> {
    let bad = |e| corrupt("message", e);
    Ok(Message {
        id: MessageId::from_trusted(model.id),
        thread_id: ThreadId::from_trusted(model.thread_id),
        author_id: UserId::from_trusted(model.author_id),
        role: MessageRole::parse(&model.role).map_err(bad)?,
        content: parse_content(model.content.as_deref()).map_err(bad)?,
        blocks: Blocks::from_trusted(model.blocks),
        metadata: Metadata::from_trusted(model.metadata),
        parent_id: model.parent_id.map(MessageId::from_trusted),
        status: MessageStatus::parse(&model.status).map_err(bad)?,
        attachments,
        reaction_counts,
        edited_at: model.edited_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

fn parse_content(raw: Option<&str>) -> DomainResult<Option<MessageContent>> {
    raw.map(MessageContent::parse).transpose()
}

pub(super) fn to_revision(model: message_revision::Model) -> DomainResult<Revision> {
    let bad = |e| corrupt("revision", e);
    Ok(Revision {
        number: u32::try_from(model.number).unwrap_or(0),
        content: parse_content(model.content.as_deref()).map_err(bad)?,
        blocks: Blocks::from_trusted(model.blocks),
        created_at: model.created_at,
        replaced_by: UserId::from_trusted(model.replaced_by),
        replaced_at: model.replaced_at,
    })
}
