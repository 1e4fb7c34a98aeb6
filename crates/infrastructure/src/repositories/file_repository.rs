//! File records and the blob rows they point at.
//!
//! A blob row is the lock of its bytes (see `domain::file` ports): creating a stored file
//! and collecting a blob both claim the row with an upsert, in a transaction on the write
//! pool, and run their storage step while they hold it. On PostgreSQL the upsert takes the
//! row lock (a concurrent upsert of the same digest waits, also when the row is still being
//! inserted); on SQLite the one write connection serialises every writer anyway.

use std::collections::HashMap;

use async_trait::async_trait;
use domain::{
    file::{
        ContentTypeFilter, ExternalUrl, File, FileChanges, FileFilter, FileName, FileRepository,
        FileSource, FileSummary, MediaType, PreviewState, Sha256Digest, StorageStep,
    },
    id::{FileId, ThreadId, UserId},
    idempotency::Receipt,
    json_object::Metadata,
    pagination::{Page, PageRequest},
    time::{self, Timestamp},
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Expr, LikeExpr, OnConflict, Query, SelectStatement},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    Select, SqlErr, TransactionTrait,
};

use super::{
    db_error::{converted, converted_one, corrupt, unexpected},
    escape_like, idempotency_receipt,
    versioned::{self, SetChanged},
};
use crate::database::Pools;
use crate::entities::{blob, file, message, message_attachment, thread, thread_member};

pub struct SeaFileRepository {
    db: Pools,
}

/// A file row with the preview state of its blob (`None` for external files).
#[derive(FromQueryResult)]
pub(super) struct FileRow {
    #[sea_orm(nested)]
    pub(super) file: file::Model,
    pub(super) preview: Option<String>,
}

/// A file attached to a message, with its blob's preview state.
#[derive(FromQueryResult)]
struct AttachedRow {
    message_id: String,
    #[sea_orm(nested)]
    file: file::Model,
    preview: Option<String>,
}

impl SeaFileRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }

    /// After a conditional write touched no row: was the file gone or had it moved on?
    async fn why_unchanged(&self, id: &FileId) -> DomainError {
        versioned::why_unchanged::<file::Entity>(&self.db.read, id.as_str(), "file").await
    }

    /// The digests of the blob rows `blobs` selects.
    async fn digests(&self, blobs: Select<blob::Entity>) -> DomainResult<Vec<Sha256Digest>> {
        blobs
            .select_only()
            .column(blob::Column::Digest)
            .into_tuple::<String>()
            .all(&self.db.read)
            .await
            .map_err(unexpected)?
            .iter()
            .map(|raw| parse_digest(raw))
            .collect()
    }

    /// Why inserting `new` broke a foreign key: its thread or its owner is gone (deleted
    /// after the service checked them).
    async fn why_not_inserted(&self, new: &File, err: DbErr) -> DomainError {
        if !matches!(
            err.sql_err(),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        ) {
            return unexpected(err);
        }
        let Some(thread_id) = &new.thread_id else {
            return DomainError::NotFound("user");
        };
        match thread::Entity::find_by_id(thread_id.as_str())
            .one(&self.db.read)
            .await
        {
            Ok(None) => DomainError::NotFound("thread"),
            Ok(Some(_)) => DomainError::NotFound("user"),
            Err(err) => unexpected(err),
        }
    }
}

#[async_trait]
impl FileRepository for SeaFileRepository {
    async fn insert(
        &self,
        new: &File,
        place_bytes: Option<Box<dyn StorageStep>>,
    ) -> DomainResult<File> {
        let row = to_row(new)?;
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let preview = match &new.source {
            FileSource::Stored(digest) => {
                claim_blob(&tx, digest, Some(row_size(new.size_bytes)?)).await?;
                preview_of(&tx, digest).await?
            }
            FileSource::External(_) => PreviewState::Unavailable,
        };
        // The record before the bytes: a thread deleted meanwhile fails the insert before
        // anything is moved. Both commit together, after the bytes are in place.
        if let Err(err) = file::Entity::insert(row).exec_without_returning(&tx).await {
            tx.rollback().await.map_err(unexpected)?;
            return Err(self.why_not_inserted(new, err).await);
        }
        // Before the bytes move: a claim taken over by a retry leaves nothing behind.
        let receipt = Receipt::new(
            Receipt::FILE_CREATED,
            serde_json::json!({ "file_id": new.id }),
        );
        if let Err(err) = idempotency_receipt::record_current(&tx, &receipt).await {
            tx.rollback().await.map_err(unexpected)?;
            return Err(err);
        }
        if let Some(place) = place_bytes {
            if let Err(err) = place.run().await {
                tx.rollback().await.map_err(unexpected)?;
                return Err(err);
            }
        }
        tx.commit().await.map_err(unexpected)?;
        Ok(File {
            preview,
            ..new.clone()
        })
    }

    async fn find(&self, id: &FileId) -> DomainResult<Option<File>> {
        let found = with_preview(file::Entity::find_by_id(id.as_str()))
            .into_model::<FileRow>()
            .one(&self.db.read)
            .await;
        converted_one(found, |row| to_file(row.file, row.preview))
    }

    async fn readable_through_threads(&self, id: &FileId, user: &UserId) -> DomainResult<bool> {
        let attached_here = Condition::all()
            .add(
                Expr::col((
                    message_attachment::Entity,
                    message_attachment::Column::FileId,
                ))
                .eq(id.as_str()),
            )
            .add(
                Expr::col((message::Entity, message::Column::ThreadId))
                    .in_subquery(threads_of_member(user)),
            );
        let found = file::Entity::find()
            .select_only()
            .column(file::Column::Id)
            .filter(file::Column::Id.eq(id.as_str()))
            .filter(
                Condition::any()
                    .add(file::Column::ThreadId.in_subquery(threads_of_member(user)))
                    .add(file::Column::Id.in_subquery(attached_files(attached_here))),
            )
            .into_tuple::<String>()
            .one(&self.db.read)
            .await
            .map_err(unexpected)?;
        Ok(found.is_some())
    }

    async fn list_visible(
        &self,
        user: &UserId,
        filter: &FileFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<File>> {
        // With a thread, the service has checked the caller reads it (ADMINs read all).
        let visible = match &filter.thread_id {
            Some(thread_id) => {
                let attached_there = Condition::all().add(
                    Expr::col((message::Entity, message::Column::ThreadId)).eq(thread_id.as_str()),
                );
                Condition::any()
                    .add(file::Column::ThreadId.eq(thread_id.as_str()))
                    .add(file::Column::Id.in_subquery(attached_files(attached_there)))
            }
            None => {
                let attached_in_theirs = Condition::all().add(
                    Expr::col((message::Entity, message::Column::ThreadId))
                        .in_subquery(threads_of_member(user)),
                );
                Condition::any()
                    .add(file::Column::OwnerId.eq(user.as_str()))
                    .add(file::Column::ThreadId.in_subquery(threads_of_member(user)))
                    .add(file::Column::Id.in_subquery(attached_files(attached_in_theirs)))
            }
        };
        let mut condition = Condition::all().add(visible);
        match &filter.content_type {
            Some(ContentTypeFilter::Exact(essence)) => {
                condition =
                    condition.add(file::Column::ContentEssence.eq(essence.to_ascii_lowercase()));
            }
            Some(ContentTypeFilter::Family(prefix)) => {
                let pattern = format!("{}%", escape_like(&prefix.to_ascii_lowercase()));
                condition = condition.add(
                    Expr::col((file::Entity, file::Column::ContentEssence))
                        .like(LikeExpr::new(pattern).escape('\\')),
                );
            }
            None => {}
        }
        if let Some(after) = &page.after {
            // Files are paged by id: a cursor holding anything else was not issued by us.
            let after = FileId::parse(after.key())
                .map_err(|_| DomainError::invalid("cursor", "is not a cursor this API returned"))?;
            condition = condition.add(file::Column::Id.lt(after.as_str()));
        }
        let files = with_preview(file::Entity::find())
            .filter(condition)
            .order_by_desc(file::Column::Id)
            .limit(page.limit.get() + 1)
            .into_model::<FileRow>()
            .all(&self.db.read)
            .await;
        let files = converted(files, |row| to_file(row.file, row.preview))?;
        Ok(Page::from_overfetch(files, page.limit, |f| {
            f.id.to_string()
        }))
    }

    async fn update(
        &self,
        id: &FileId,
        changes: &FileChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
    ) -> DomainResult<File> {
        use file::Column;
        let filename = changes.filename.as_ref().map(FileName::as_str);
        let metadata = changes.metadata.clone().map(Metadata::into_value);
        let update = versioned::update::<file::Entity>(id.as_str(), expected_updated_at, now)
            .set_changed(Column::Filename, filename)
            .set_changed(Column::Metadata, metadata);
        let result = update.exec(&self.db.write).await.map_err(unexpected)?;
        if result.rows_affected != 1 {
            return Err(self.why_unchanged(id).await);
        }
        self.find(id).await?.ok_or(DomainError::NotFound("file"))
    }

    async fn delete(
        &self,
        id: &FileId,
        expected_updated_at: Option<Timestamp>,
    ) -> DomainResult<()> {
        let delete = versioned::delete::<file::Entity>(id.as_str(), expected_updated_at);
        // Its attachment links go by cascade; its blob row stays for `collect_blob`.
        let result = delete.exec(&self.db.write).await.map_err(unexpected)?;
        if result.rows_affected != 1 {
            return Err(self.why_unchanged(id).await);
        }
        Ok(())
    }

    async fn collect_blob(
        &self,
        digest: &Sha256Digest,
        remove_bytes: Box<dyn StorageStep>,
    ) -> DomainResult<bool> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        // Claims the row even when it does not exist (bytes the sweep found without one),
        // so that an insert of the same digest waits for this transaction.
        claim_blob(&tx, digest, None).await?;
        let references = file::Entity::find()
            .filter(file::Column::Digest.eq(digest.as_str()))
            .count(&tx)
            .await
            .map_err(unexpected)?;
        if references > 0 {
            tx.rollback().await.map_err(unexpected)?;
            return Ok(false);
        }
        if let Err(err) = remove_bytes.run().await {
            tx.rollback().await.map_err(unexpected)?;
            return Err(err);
        }
        blob::Entity::delete_by_id(digest.as_str())
            .exec(&tx)
            .await
            .map_err(unexpected)?;
        tx.commit().await.map_err(unexpected)?;
        Ok(true)
    }

    async fn unreferenced_blobs(&self, limit: u64) -> DomainResult<Vec<Sha256Digest>> {
        let referencing = Query::select()
            .expr(Expr::val(1))
            .from(file::Entity)
            .and_where(
                Expr::col((file::Entity, file::Column::Digest))
                    .equals((blob::Entity, blob::Column::Digest)),
            )
            .to_owned();
        let unreferenced = blob::Entity::find()
            .filter(Expr::exists(referencing).not())
            .order_by_asc(blob::Column::Digest)
            .limit(limit);
        self.digests(unreferenced).await
    }

    async fn known_blobs(&self, digests: &[Sha256Digest]) -> DomainResult<Vec<Sha256Digest>> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        let known = blob::Entity::find()
            .filter(blob::Column::Digest.is_in(digests.iter().map(Sha256Digest::as_str)));
        self.digests(known).await
    }

    async fn set_preview(&self, digest: &Sha256Digest, state: PreviewState) -> DomainResult<()> {
        // A blob collected meanwhile has no row left to mark: nothing to do.
        blob::Entity::update_many()
            .col_expr(blob::Column::Preview, Expr::value(state.as_str()))
            .filter(blob::Column::Digest.eq(digest.as_str()))
            .exec(&self.db.write)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

/// The summaries of the files attached to each of `message_ids`, in attachment order, in
/// one query.
pub(super) async fn attachments_of(
    db: &impl ConnectionTrait,
    message_ids: &[String],
) -> DomainResult<HashMap<String, Vec<FileSummary>>> {
    let mut attached: HashMap<String, Vec<FileSummary>> = HashMap::new();
    if message_ids.is_empty() {
        return Ok(attached);
    }
    let rows = with_preview(file::Entity::find())
        .column_as(message_attachment::Column::MessageId, "message_id")
        .join(JoinType::InnerJoin, file::Relation::Attachments.def())
        .filter(message_attachment::Column::MessageId.is_in(message_ids.iter().map(String::as_str)))
        .order_by_asc(message_attachment::Column::MessageId)
        .order_by_asc(message_attachment::Column::Position)
        .into_model::<AttachedRow>()
        .all(db)
        .await
        .map_err(unexpected)?;
    for row in rows {
        let summary = to_file(row.file, row.preview)?.summary();
        attached.entry(row.message_id).or_default().push(summary);
    }
    Ok(attached)
}

/// Files with their blob's preview state, as `FileRow` reads them.
pub(super) fn with_preview(select: sea_orm::Select<file::Entity>) -> sea_orm::Select<file::Entity> {
    select
        .column_as(blob::Column::Preview, "preview")
        .join(JoinType::LeftJoin, file::Relation::Blob.def())
}

/// `SELECT thread_id FROM thread_members WHERE user_id = <user>`.
fn threads_of_member(user: &UserId) -> SelectStatement {
    Query::select()
        .column(thread_member::Column::ThreadId)
        .from(thread_member::Entity)
        .and_where(thread_member::Column::UserId.eq(user.as_str()))
        .to_owned()
}

/// The ids of files attached in messages matching `messages`.
fn attached_files(messages: Condition) -> SelectStatement {
    Query::select()
        .column((
            message_attachment::Entity,
            message_attachment::Column::FileId,
        ))
        .from(message_attachment::Entity)
        .inner_join(
            message::Entity,
            Expr::col((message::Entity, message::Column::Id)).equals((
                message_attachment::Entity,
                message_attachment::Column::MessageId,
            )),
        )
        .cond_where(messages)
        .to_owned()
}

/// `INSERT INTO blobs … ON CONFLICT (digest) DO UPDATE …`: creates the row or locks the
/// existing one until the transaction ends. An insert (`size` given) records the size; a
/// collection leaves the row as it is, and a row it creates goes before it commits.
async fn claim_blob(
    tx: &DatabaseTransaction,
    digest: &Sha256Digest,
    size: Option<i64>,
) -> DomainResult<()> {
    let mut on_conflict = OnConflict::column(blob::Column::Digest);
    match size {
        Some(_) => on_conflict.update_column(blob::Column::SizeBytes),
        None => on_conflict.value(
            blob::Column::SizeBytes,
            Expr::col((blob::Entity, blob::Column::SizeBytes)),
        ),
    };
    blob::Entity::insert(blob::ActiveModel {
        digest: Set(digest.as_str().to_owned()),
        size_bytes: Set(size.unwrap_or(0)),
        preview: Set(PreviewState::Pending.as_str().to_owned()),
        created_at: Set(time::now()),
    })
    .on_conflict(on_conflict)
    .exec_without_returning(tx)
    .await
    .map_err(unexpected)?;
    Ok(())
}

/// The preview state of a blob the transaction holds.
async fn preview_of(tx: &DatabaseTransaction, digest: &Sha256Digest) -> DomainResult<PreviewState> {
    let state = blob::Entity::find_by_id(digest.as_str())
        .select_only()
        .column(blob::Column::Preview)
        .into_tuple::<String>()
        .one(tx)
        .await
        .map_err(unexpected)?
        .ok_or_else(|| DomainError::Unexpected(anyhow::anyhow!("a claimed blob row is missing")))?;
    Ok(PreviewState::from_trusted(&state))
}

fn row_size(size: u64) -> DomainResult<i64> {
    i64::try_from(size).map_err(|_| DomainError::invalid("size_bytes", "is too large"))
}

fn to_row(new: &File) -> DomainResult<file::ActiveModel> {
    let served = new.content_type();
    let (digest, url) = match &new.source {
        FileSource::Stored(digest) => (Some(digest.as_str().to_owned()), None),
        FileSource::External(url) => (None, Some(url.as_str().to_owned())),
    };
    Ok(file::ActiveModel {
        id: Set(new.id.to_string()),
        owner_id: Set(new.owner_id.to_string()),
        thread_id: Set(new.thread_id.as_ref().map(ToString::to_string)),
        filename: Set(new.filename.as_str().to_owned()),
        declared_type: Set(new.declared_type.as_str().to_owned()),
        detected_type: Set(new.detected_type.as_ref().map(|t| t.as_str().to_owned())),
        content_type: Set(served.as_str().to_ascii_lowercase()),
        content_essence: Set(served.essence().to_ascii_lowercase()),
        size_bytes: Set(row_size(new.size_bytes)?),
        digest: Set(digest),
        url: Set(url),
        metadata: Set(new.metadata.clone().into_value()),
        created_at: Set(new.created_at),
        updated_at: Set(new.updated_at),
    })
}

fn parse_digest(raw: &str) -> DomainResult<Sha256Digest> {
    Sha256Digest::parse(raw).map_err(|e| corrupt("blob digest", e))
}

/// `preview` is the blob's state, `None` when the file has no blob.
pub(super) fn to_file(model: file::Model, preview: Option<String>) -> DomainResult<File> {
    let (source, preview) = match (model.digest, model.url) {
        (Some(digest), _) => (
            FileSource::Stored(parse_digest(&digest)?),
            PreviewState::from_trusted(preview.as_deref().unwrap_or_default()),
        ),
        (None, Some(url)) => (
            FileSource::External(ExternalUrl::from_trusted(url)),
            PreviewState::Unavailable,
        ),
        (None, None) => {
            return Err(DomainError::Unexpected(anyhow::anyhow!(
                "stored file {} has neither bytes nor a URL",
                model.id
            )))
        }
    };
    Ok(File {
        id: FileId::from_trusted(model.id),
        owner_id: UserId::from_trusted(model.owner_id),
        thread_id: model.thread_id.map(ThreadId::from_trusted),
        filename: FileName::from_trusted(model.filename),
        declared_type: MediaType::from_trusted(model.declared_type),
        detected_type: model.detected_type.map(MediaType::from_trusted),
        size_bytes: u64::try_from(model.size_bytes).unwrap_or(0),
        source,
        preview,
        metadata: Metadata::from_trusted(model.metadata),
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}
