//! Users: profiles for everyone, the full record for oneself, administration for ADMINs.

// The legacy aliases are marked `#[deprecated]` so that utoipa documents them as such; the
// route macros' own registration code would otherwise warn about using them.
#![allow(deprecated)]

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use domain::{
    id::UserId,
    pagination::PageRequest,
    user::{CreateUser, UserChanges},
    DomainError,
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
    extractors::{Authenticated, IfMatch, JsonBody},
    middleware::idempotency,
    state::AppState,
};

/// Lists users (ADMIN), newest first, filtered by `q`, `role` and `status`.
#[utoipa::path(
    tag = "users",
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users", body = Envelope<Vec<UserResponse>>),
        (status = 400, description = "Bad filter, limit or cursor", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an ADMIN", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListUsersQuery>,
) -> ApiResult<HttpResponse> {
    list(state, caller, query).await
}

/// Legacy alias of `GET /api/v1/users`.
#[deprecated = "use GET /api/v1/users"]
#[utoipa::path(
    tag = "users",
    operation_id = "legacy_list_users",
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users", body = Envelope<Vec<UserResponse>>),
        (status = 400, description = "Bad filter, limit or cursor", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an ADMIN", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = [])),
)]
#[get("/users")]
pub async fn legacy_list_users(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListUsersQuery>,
) -> ApiResult<HttpResponse> {
    list(state, caller, query).await
}

async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListUsersQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = PageRequest::parse(query.limit.as_deref(), query.cursor.as_deref())?;
    let filter = query.filter()?;
    let _building = state.page_renders.reserve().await?;
    let users = state.users.list(&caller.0, &filter, &page).await?;
    Ok(envelope::page(users, page.limit.get(), UserResponse::from))
}

/// Creates a user (ADMIN).
#[utoipa::path(
    tag = "users",
    params(IdempotencyKeyHeader),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<UserResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an ADMIN, or email domain not allowed", body = ProblemEnvelope),
        (status = 409, description = "The email is taken, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[post("/users", wrap = "from_fn(idempotency)")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    create(state, caller, body).await
}

/// Legacy alias of `POST /api/v1/users`.
#[deprecated = "use POST /api/v1/users"]
#[utoipa::path(
    tag = "users",
    operation_id = "legacy_create_user",
    params(IdempotencyKeyHeader),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<UserResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an ADMIN, or email domain not allowed", body = ProblemEnvelope),
        (status = 409, description = "The email is taken, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[post("/users", wrap = "from_fn(idempotency)")]
pub async fn legacy_create_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    create(state, caller, body).await
}

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
    let user = state.users.create(&caller.0, input).await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok(envelope::created(&location, UserResponse::from(user)))
}

/// The caller's own full record.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The caller", body = Envelope<UserResponse>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/users/me")]
pub async fn get_me(caller: Authenticated) -> ApiResult<HttpResponse> {
    let tag = caller.0.user.etag();
    Ok(envelope::ok_tagged(UserResponse::from(caller.0.user), &tag))
}

/// A user: the full record for yourself and ADMINs, the public profile for others.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id (`usr_…`)")),
    responses(
        (status = 200, description = "The user; `ETag` carries its version", body = Envelope<UserViewResponse>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such user", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = user_id(&id)?;
    let view = state.users.get(&caller.0, &id).await?;
    let tag = view.etag();
    Ok(envelope::ok_tagged(UserViewResponse::from(view), &tag))
}

/// Changes a user (same as PATCH: only the fields present change).
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id (`usr_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on"),
    ),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The changed user", body = Envelope<UserResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not yours to change, or your own role or status", body = ProblemEnvelope),
        (status = 404, description = "No such user", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[put("/users/{id}")]
pub async fn replace_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    update(state, caller, id, if_match, body).await
}

/// Changes a user: yourself (`name`, `avatar_url`, `preferences`), or anyone as ADMIN
/// (also `role` and `status`). Nobody changes their own role or status.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id (`usr_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on"),
    ),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The changed user", body = Envelope<UserResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not yours to change, or your own role or status", body = ProblemEnvelope),
        (status = 404, description = "No such user", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    update(state, caller, id, if_match, body).await
}

async fn update(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let id = user_id(&id)?;
    let changes = UserChanges::try_from(body.into_inner())?;
    let user = state
        .users
        .update(&caller.0, &id, changes, &if_match.0)
        .await?;
    let tag = user.etag();
    Ok(envelope::ok_tagged(UserResponse::from(user), &tag))
}

/// Deletes a user and their sessions (ADMIN; not yourself).
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id (`usr_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an ADMIN, or yourself", body = ProblemEnvelope),
        (status = 404, description = "No such user", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = user_id(&id)?;
    state.users.delete(&caller.0, &id, &if_match.0).await?;
    Ok(envelope::deleted(id.as_str()))
}

fn user_id(raw: &str) -> Result<UserId, DomainError> {
    super::path_id(raw, UserId::parse, "user")
}
