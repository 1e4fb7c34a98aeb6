use async_trait::async_trait;
use domain::{
    audit::NewAuditEntry,
    id::UserId,
    idempotency::{current_claim, Receipt},
    pagination::{Page, PageRequest},
    time::Timestamp,
    user::{
        AvatarUrl, Email, NewUser, PasswordHash, Preferences, Role, User, UserChanges,
        UserCredentials, UserFilter, UserName, UserRepository, UserStatus,
    },
    DomainError, DomainResult,
};
use sea_orm::{
    sea_query::{Expr, Func, LikeExpr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::{
    audit_log,
    db_error::{classify, converted, converted_one, corrupt, unchanged, unexpected},
    escape_like, idempotency_receipt,
    versioned::{self, SetChanged},
};
use crate::database::Pools;
use crate::entities::{
    first_admin,
    user::{ActiveModel, Column, Entity, Model},
};

const EMAIL_TAKEN: &str = "a user with this email already exists";

pub struct SeaUserRepository {
    db: Pools,
}

impl SeaUserRepository {
    pub fn new(db: impl Into<Pools>) -> Self {
        Self { db: db.into() }
    }
}

#[async_trait]
impl UserRepository for SeaUserRepository {
    async fn insert(&self, user: &NewUser, audit: &NewAuditEntry) -> DomainResult<User> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let stored = insert_user(&tx, user).await?;
        audit_log::append(&tx, &[audit]).await?;
        // Under an Idempotency-Key claim: the receipt commits with the user.
        if let Some(claim) = current_claim() {
            let receipt = Receipt::new(
                Receipt::USER_CREATED,
                serde_json::json!({ "user_id": user.id }),
            );
            idempotency_receipt::record(&tx, &claim, &receipt).await?;
        }
        tx.commit().await.map_err(unexpected)?;
        Ok(stored)
    }

    async fn insert_as_first_admin(
        &self,
        user: &NewUser,
        audit: &NewAuditEntry,
    ) -> DomainResult<Option<User>> {
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        // The slot's primary key decides: of concurrent claims exactly one inserts.
        let claimed = first_admin::Entity::insert(first_admin::ActiveModel {
            slot: Set(1),
            user_id: Set(user.id.to_string()),
            claimed_at: Set(user.created_at),
        })
        .on_conflict(
            OnConflict::column(first_admin::Column::Slot)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await
        .map_err(unexpected)?;
        if claimed != 1 {
            tx.rollback().await.map_err(unexpected)?;
            return Ok(None);
        }
        let admin = NewUser {
            role: Role::Admin,
            ..user.clone()
        };
        let stored = insert_user(&tx, &admin).await?;
        audit_log::append(&tx, &[audit]).await?;
        tx.commit().await.map_err(unexpected)?;
        Ok(Some(stored))
    }

    async fn find(&self, id: &UserId) -> DomainResult<Option<User>> {
        // An erased account's tombstone is nobody: it cannot sign in, be added or be
        // changed; only its public profile still answers (`AccountRepository::is_erased`).
        let found = Entity::find_by_id(id.as_str())
            .filter(Column::DeletedAt.is_null())
            .one(&self.db.read)
            .await;
        converted_one(found, to_user)
    }

    async fn find_credentials(&self, email: &Email) -> DomainResult<Option<UserCredentials>> {
        let Some(model) = Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .filter(Column::DeletedAt.is_null())
            .one(&self.db.read)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        let password_hash = model.password_hash.clone().map(PasswordHash::new);
        Ok(Some(UserCredentials {
            user: to_user(model)?,
            password_hash,
        }))
    }

    async fn find_by_external_subject(&self, subject: &str) -> DomainResult<Option<User>> {
        let found = Entity::find()
            .filter(Column::ExternalSubject.eq(subject))
            .filter(Column::DeletedAt.is_null())
            .one(&self.db.read)
            .await;
        converted_one(found, to_user)
    }

    async fn link_external_subject(
        &self,
        email: &Email,
        subject: &str,
    ) -> DomainResult<Option<User>> {
        let linked = Entity::update_many()
            .col_expr(Column::ExternalSubject, Expr::value(subject))
            .filter(Column::Email.eq(email.as_str()))
            .filter(Column::ExternalSubject.is_null())
            .filter(Column::PasswordHash.is_null())
            .exec(&self.db.write)
            .await
            .map_err(|e| classify(e, "this external subject is linked to another user"))?;
        if linked.rows_affected == 0 {
            return Ok(None);
        }
        self.find_by_external_subject(subject).await
    }

    async fn count(&self) -> DomainResult<u64> {
        Entity::find()
            .count(&self.db.read)
            .await
            .map_err(unexpected)
    }

    async fn list(&self, filter: &UserFilter, page: &PageRequest) -> DomainResult<Page<User>> {
        let mut condition = Condition::all().add(Column::DeletedAt.is_null());
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            let like = |column: Column| {
                Expr::expr(Func::lower(Expr::col(column)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            condition = condition.add(
                Condition::any()
                    .add(like(Column::Name))
                    .add(like(Column::Email)),
            );
        }
        if let Some(role) = filter.role {
            condition = condition.add(Column::Role.eq(role.as_str()));
        }
        if let Some(status) = filter.status {
            condition = condition.add(Column::Status.eq(status.as_str()));
        }
        if let Some(after) = &page.after {
            condition = condition.add(Column::Id.lt(after.key()));
        }
        let rows = Entity::find()
            .filter(condition)
            .order_by_desc(Column::Id)
            .limit(page.limit.get() + 1)
            .all(&self.db.read)
            .await;
        let rows = converted(rows, to_user)?;
        Ok(Page::from_overfetch(rows, page.limit, |u| u.id.to_string()))
    }

    async fn update(
        &self,
        id: &UserId,
        changes: &UserChanges,
        expected_updated_at: Option<Timestamp>,
        now: Timestamp,
        audit: &[NewAuditEntry],
    ) -> DomainResult<User> {
        let avatar_url = changes
            .avatar_url
            .as_ref()
            .map(|a| a.as_ref().map(|a| a.as_str().to_owned()));
        let preferences = changes.preferences.clone().map(Preferences::into_value);
        let update = versioned::update::<Entity>(id.as_str(), expected_updated_at, now)
            .set_changed(Column::Name, changes.name.as_ref().map(UserName::as_str))
            .set_changed(Column::AvatarUrl, avatar_url)
            .set_changed(Column::Preferences, preferences)
            .set_changed(Column::Role, changes.role.map(Role::as_str))
            .set_changed(Column::Status, changes.status.map(UserStatus::as_str));
        let tx = self.db.write.begin().await.map_err(unexpected)?;
        let result = update.exec(&tx).await.map_err(unexpected)?;
        if result.rows_affected != 1 {
            tx.rollback().await.map_err(unexpected)?;
            return Err(unchanged(self.find(id).await, "user"));
        }
        audit_log::append(&tx, &audit.iter().collect::<Vec<_>>()).await?;
        tx.commit().await.map_err(unexpected)?;
        self.find(id).await?.ok_or(DomainError::NotFound("user"))
    }
}

async fn insert_user(db: &impl ConnectionTrait, user: &NewUser) -> DomainResult<User> {
    let row = ActiveModel {
        id: Set(user.id.to_string()),
        email: Set(user.email.to_string()),
        name: Set(user.name.as_str().to_owned()),
        avatar_url: Set(None),
        role: Set(user.role.as_str().to_owned()),
        status: Set(UserStatus::Active.as_str().to_owned()),
        preferences: Set(Preferences::default().into_value()),
        password_hash: Set(user.password_hash.as_ref().map(|h| h.as_str().to_owned())),
        external_subject: Set(user.external_subject.clone()),
        created_at: Set(user.created_at),
        updated_at: Set(user.created_at),
        deleted_at: Set(None),
    };
    let model = Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(|e| classify(e, EMAIL_TAKEN))?;
    to_user(model)
}

fn to_user(model: Model) -> DomainResult<User> {
    let bad = |e| corrupt("user", e);
    Ok(User {
        id: UserId::from_trusted(model.id),
        email: Email::parse(&model.email).map_err(bad)?,
        name: UserName::parse(&model.name).map_err(bad)?,
        avatar_url: model
            .avatar_url
            .as_deref()
            .map(AvatarUrl::parse)
            .transpose()
            .map_err(bad)?,
        role: Role::parse(&model.role).map_err(bad)?,
        status: UserStatus::parse(&model.status).map_err(bad)?,
        preferences: Preferences::parse(model.preferences).map_err(bad)?,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}
