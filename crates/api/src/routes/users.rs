//! Users: profiles for everyone, the full record for oneself, administration for ADMINs.

// The legacy aliases are marked `#[deprecated]` so that utoipa documents them as such; the
// route macros' own registration code would otherwise warn about using them.
#![allow(deprecated)]

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use domain::{
    id::UserId,
    user::{CreateUser, UserChanges},
};

use actix_web::middleware::from_fn;

use crate::{
    dto::IdempotencyKeyHeader,
    dto::{
        user::{
            CreateUserRequest, ListUsersQuery, UpdateUserRequest, UserResponse, UserViewResponse,
        },
        validate,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{Authenticated, IfMatch, JsonBody, PathId},
    middleware::idempotency,
    openapi::{Conditional, JsonBodyErrors, Protected, StorageFull, UserNotFound},
    state::AppState,
};

one_handler! {
    async fn list(
        state: web::Data<AppState>,
        caller: Authenticated,
        query: web::Query<ListUsersQuery>,
    ) -> ApiResult<HttpResponse> {
        let query = validate(query.into_inner())?;
        let page = query.page()?;
        let filter = query.filter()?;
        let users = state.users.list(caller.principal(), &filter, &page);
        state.page_renders.render(&page, users, UserResponse::from).await
    }
    openapi(
        tag = "users",
        params(ListUsersQuery),
        responses(
            (status = 200, description = "A page of users", body = Envelope<Vec<UserResponse>>),
            Protected,
            (status = 400, description = "Bad filter, limit or cursor", body = ProblemEnvelope),
            (status = 403, description = "Not an ADMIN", body = ProblemEnvelope),
        ),
    );
    /// Lists users (ADMIN), newest first, filtered by `q`, `role` and `status`.
    list_users: get("/users");
    /// Legacy alias of `GET /api/v1/users`.
    #[deprecated = "use GET /api/v1/users"]
    legacy_list_users: get("/users");
}

one_handler! {
    async fn create(
        state: web::Data<AppState>,
        caller: Authenticated,
        body: JsonBody<CreateUserRequest>,
    ) -> ApiResult<HttpResponse> {
        let body = body.into_inner();
        let input = CreateUser::parse(
            &body.email,
            &body.name,
            body.role.map(Into::into),
            body.password,
        )?;
        let user = state.users.create(caller.principal(), input).await?;
        let location = format!("/api/v1/users/{}", user.id);
        Ok(envelope::created(&location, UserResponse::from(user)))
    }
    openapi(
        tag = "users",
        params(IdempotencyKeyHeader),
        request_body = CreateUserRequest,
        responses(
            (status = 201, description = "Created", body = Envelope<UserResponse>),
            Protected, JsonBodyErrors, StorageFull,
            (status = 403, description = "Not an ADMIN, or email domain not allowed", body = ProblemEnvelope),
            (status = 409, description = "The email is taken, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
        ),
    );
    /// Creates a user (ADMIN).
    create_user: post("/users", wrap = "from_fn(idempotency)");
    /// Legacy alias of `POST /api/v1/users`.
    #[deprecated = "use POST /api/v1/users"]
    legacy_create_user: post("/users", wrap = "from_fn(idempotency)");
}

/// The caller's own full record.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The caller", body = Envelope<UserResponse>),
        Protected,
    ),
)]
#[get("/users/me")]
pub async fn get_me(caller: Authenticated) -> ApiResult<HttpResponse> {
    Ok(own_record(caller))
}

/// The caller's full record with its `ETag`, as `GET /users/me` and `GET /auth/me` answer.
pub(super) fn own_record(caller: Authenticated) -> HttpResponse {
    let user = caller.into_principal().user;
    let tag = user.etag();
    envelope::ok_tagged(UserResponse::from(user), &tag)
}

/// A user: the full record for yourself and ADMINs, the public profile for others.
#[utoipa::path(
    tag = "users",
    params(PathId<UserId>),
    responses(
        (status = 200, description = "The user; `ETag` carries its version", body = Envelope<UserViewResponse>),
        Protected,
        UserNotFound,
    ),
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<UserId>,
) -> ApiResult<HttpResponse> {
    let view = match state.users.get(caller.principal(), &id).await {
        // An erased account is nobody, but the messages it left still name it.
        Err(domain::DomainError::NotFound(what)) => {
            match state.account.erased_profile(&id).await? {
                Some(profile) => domain::user::UserView::Public(profile),
                None => return Err(domain::DomainError::NotFound(what).into()),
            }
        }
        view => view?,
    };
    let tag = view.etag();
    Ok(envelope::ok_tagged(UserViewResponse::from(view), &tag))
}

one_handler! {
    async fn update(
        state: web::Data<AppState>,
        caller: Authenticated,
        if_match: IfMatch,
        body: JsonBody<UpdateUserRequest>,
        id: PathId<UserId>,
    ) -> ApiResult<HttpResponse> {
        let changes = UserChanges::try_from(body.into_inner())?;
        let user = state
            .users
            .update(caller.principal(), &id, changes, &if_match.0)
            .await?;
        let tag = user.etag();
        Ok(envelope::ok_tagged(UserResponse::from(user), &tag))
    }
    openapi(
        tag = "users",
        params(
            PathId<UserId>,
            ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the change is based on"),
        ),
        request_body = UpdateUserRequest,
        responses(
            (status = 200, description = "The changed user", body = Envelope<UserResponse>),
            Protected, JsonBodyErrors, Conditional, StorageFull,
            (status = 403, description = "Not yours to change, or your own role or status", body = ProblemEnvelope),
            UserNotFound,
        ),
    );
    /// Changes a user (same as PATCH: only the fields present change).
    replace_user: put("/users/{id}");
    /// Changes a user: yourself (`name`, `avatar_url`, `preferences`), or anyone as ADMIN
    /// (also `role` and `status`). Nobody changes their own role or status.
    update_user: patch("/users/{id}");
}

/// Erases a user's account, as `DELETE /users/me` does (ADMIN; not yourself).
#[utoipa::path(
    tag = "users",
    params(
        PathId<UserId>,
        ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        Protected, Conditional, StorageFull,
        (status = 403, description = "Not an ADMIN, or yourself", body = ProblemEnvelope),
        UserNotFound,
    ),
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_match: IfMatch,
    id: PathId<UserId>,
) -> ApiResult<HttpResponse> {
    // The one way a user is deleted: the same erasure as `DELETE /users/me`.
    state
        .account
        .erase_user(caller.principal(), &id, &if_match.0)
        .await?;
    Ok(envelope::deleted(id.as_str()))
}
