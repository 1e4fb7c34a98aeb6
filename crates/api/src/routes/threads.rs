//! Threads and their members.

use actix_web::{delete, get, middleware::from_fn, patch, post, put, web, HttpResponse};
use domain::{
    id::{ThreadId, UserId},
    pagination::PageRequest,
    thread::{CreateThread, ThreadChanges},
};

use super::path_id;
use crate::{
    dto::{
        thread::{
            AddMemberRequest, ChangeMemberRoleRequest, CreateThreadRequest, ListThreadsQuery,
            MemberResponse, ThreadResponse, UpdateThreadRequest,
        },
        validate, IdempotencyKeyHeader, PageQuery,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{Authenticated, IfMatch, JsonBody},
    middleware::idempotency,
    state::AppState,
};

/// The caller's threads (owned or joined), latest activity first.
#[utoipa::path(
    tag = "threads",
    params(ListThreadsQuery),
    responses(
        (status = 200, description = "A page of threads", body = Envelope<Vec<ThreadResponse>>),
        (status = 400, description = "Bad filter, limit or cursor", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/threads")]
pub async fn list_threads(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListThreadsQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = PageRequest::parse(query.limit.as_deref(), query.cursor.as_deref())?;
    let filter = query.filter()?;
    let _building = state.page_renders.reserve().await?;
    let threads = state.threads.list(&caller.0, &filter, &page).await?;
    Ok(envelope::page(
        threads,
        page.limit.get(),
        ThreadResponse::from,
    ))
}

/// Creates a thread; the caller becomes its owner.
#[utoipa::path(
    tag = "threads",
    params(IdempotencyKeyHeader),
    request_body = CreateThreadRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<ThreadResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 409, description = "The Idempotency-Key was used with another request", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[post("/threads", wrap = "from_fn(idempotency)")]
pub async fn create_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CreateThreadRequest>,
) -> ApiResult<HttpResponse> {
    let input = CreateThread::try_from(body.into_inner())?;
    let view = state.threads.create(&caller.0, input).await?;
    let location = format!("/api/v1/threads/{}", view.thread.id);
    Ok(envelope::created(&location, ThreadResponse::from(view)))
}

/// One thread, for its members and ADMINs.
#[utoipa::path(
    tag = "threads",
    params(("id" = String, Path, description = "Thread id (`thr_…`)")),
    responses(
        (status = 200, description = "The thread; `ETag` carries its version", body = Envelope<ThreadResponse>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/threads/{id}")]
pub async fn get_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let view = state.threads.get(&caller.0, &thread_id(&id)?).await?;
    let tag = view.thread.etag();
    Ok(envelope::ok_tagged(ThreadResponse::from(view), &tag))
}

/// Changes a thread (same as PATCH: only the fields present change).
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on"),
    ),
    request_body = UpdateThreadRequest,
    responses(
        (status = 200, description = "The changed thread", body = Envelope<ThreadResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an owner or editor of the thread", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[put("/threads/{id}")]
pub async fn replace_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateThreadRequest>,
) -> ApiResult<HttpResponse> {
    update(state, caller, id, if_match, body).await
}

/// Changes a thread's title, description, metadata, memory, status (archive/unarchive)
/// or pin; owners and editors.
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on"),
    ),
    request_body = UpdateThreadRequest,
    responses(
        (status = 200, description = "The changed thread", body = Envelope<ThreadResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an owner or editor of the thread", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[patch("/threads/{id}")]
pub async fn update_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateThreadRequest>,
) -> ApiResult<HttpResponse> {
    update(state, caller, id, if_match, body).await
}

async fn update(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateThreadRequest>,
) -> ApiResult<HttpResponse> {
    let id = thread_id(&id)?;
    let changes = ThreadChanges::try_from(body.into_inner())?;
    let view = state
        .threads
        .update(&caller.0, &id, changes, &if_match.0)
        .await?;
    let tag = view.thread.etag();
    Ok(envelope::ok_tagged(ThreadResponse::from(view), &tag))
}

/// Deletes a thread with its messages, reactions and attachment links (owner or ADMIN).
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an owner of the thread or ADMIN", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[delete("/threads/{id}")]
pub async fn delete_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = thread_id(&id)?;
    state.threads.delete(&caller.0, &id, &if_match.0).await?;
    Ok(envelope::deleted(id.as_str()))
}

/// The members of a thread with their roles, by user id.
#[utoipa::path(
    tag = "threads",
    params(("id" = String, Path, description = "Thread id (`thr_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of members", body = Envelope<Vec<MemberResponse>>),
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/threads/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = validate(query.into_inner())?.page()?;
    let _building = state.page_renders.reserve().await?;
    let members = state
        .threads
        .members(&caller.0, &thread_id(&id)?, &page)
        .await?;
    Ok(envelope::page(
        members,
        page.limit.get(),
        MemberResponse::from,
    ))
}

/// Adds a member by `user_id` or `email` (owners).
#[utoipa::path(
    tag = "threads",
    params(("id" = String, Path, description = "Thread id (`thr_…`)"), IdempotencyKeyHeader),
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = Envelope<MemberResponse>),
        (status = 400, description = "Invalid fields, no such user, or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an owner of the thread", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
        (status = 409, description = "Already a member, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[post("/threads/{id}/members", wrap = "from_fn(idempotency)")]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<AddMemberRequest>,
) -> ApiResult<HttpResponse> {
    let id = thread_id(&id)?;
    let body = body.into_inner();
    let invitee = body.invitee()?;
    let member = state
        .threads
        .add_member(&caller.0, &id, invitee, body.role.into())
        .await?;
    let location = format!("/api/v1/threads/{id}/members/{}", member.user_id);
    Ok(envelope::created(&location, MemberResponse::from(member)))
}

/// One member of a thread.
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 200, description = "The member", body = Envelope<MemberResponse>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such thread or member", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/threads/{id}/members/{user_id}")]
pub async fn get_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, user) = member_path(&path)?;
    let member = state.threads.member(&caller.0, &id, &user).await?;
    Ok(envelope::ok(MemberResponse::from(member)))
}

/// Changes a member's role (same as PATCH).
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    request_body = ChangeMemberRoleRequest,
    responses(
        (status = 200, description = "The member with the new role", body = Envelope<MemberResponse>),
        (status = 400, description = "Invalid role or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an owner of the thread", body = ProblemEnvelope),
        (status = 404, description = "No such thread or member", body = ProblemEnvelope),
        (status = 409, description = "It would leave the thread without an owner", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[put("/threads/{id}/members/{user_id}")]
pub async fn replace_member_role(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: JsonBody<ChangeMemberRoleRequest>,
) -> ApiResult<HttpResponse> {
    change_role(state, caller, path, body).await
}

/// Changes a member's role (owners). The last owner cannot be demoted.
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    request_body = ChangeMemberRoleRequest,
    responses(
        (status = 200, description = "The member with the new role", body = Envelope<MemberResponse>),
        (status = 400, description = "Invalid role or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not an owner of the thread", body = ProblemEnvelope),
        (status = 404, description = "No such thread or member", body = ProblemEnvelope),
        (status = 409, description = "It would leave the thread without an owner", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[patch("/threads/{id}/members/{user_id}")]
pub async fn change_member_role(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: JsonBody<ChangeMemberRoleRequest>,
) -> ApiResult<HttpResponse> {
    change_role(state, caller, path, body).await
}

async fn change_role(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
    body: JsonBody<ChangeMemberRoleRequest>,
) -> ApiResult<HttpResponse> {
    let (id, user) = member_path(&path)?;
    let member = state
        .threads
        .change_member_role(&caller.0, &id, &user, body.into_inner().role.into())
        .await?;
    Ok(envelope::ok(MemberResponse::from(member)))
}

/// Removes a member (owners), or leaves the thread (your own user id). The last owner
/// cannot go.
#[utoipa::path(
    tag = "threads",
    params(
        ("id" = String, Path, description = "Thread id (`thr_…`)"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 200, description = "Removed; `id` is the user id", body = Envelope<Deleted>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Removing someone else without being an owner", body = ProblemEnvelope),
        (status = 404, description = "No such thread or member", body = ProblemEnvelope),
        (status = 409, description = "It would leave the thread without an owner", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[delete("/threads/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, user) = member_path(&path)?;
    state.threads.remove_member(&caller.0, &id, &user).await?;
    Ok(envelope::deleted(user.as_str()))
}

pub(crate) fn thread_id(raw: &str) -> Result<ThreadId, domain::DomainError> {
    path_id(raw, ThreadId::parse, "thread")
}

fn member_path((id, user): &(String, String)) -> Result<(ThreadId, UserId), domain::DomainError> {
    Ok((thread_id(id)?, path_id(user, UserId::parse, "member")?))
}
