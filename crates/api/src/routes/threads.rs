//! Threads and their members.

use actix_web::{delete, get, middleware::from_fn, patch, post, put, web, HttpResponse};
use domain::{
    id::ThreadId,
    thread::{CreateThread, ThreadChanges},
};

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
    extractors::{Authenticated, IfMatch, JsonBody, MemberPath, PathId},
    middleware::idempotency,
    openapi::{
        Conditional, JsonBodyErrors, MemberNotFound, Protected, StorageFull, ThreadNotFound,
    },
    state::AppState,
};

/// The caller's threads (owned or joined), latest activity first.
#[utoipa::path(
    tag = "threads",
    params(ListThreadsQuery),
    responses(
        (status = 200, description = "A page of threads", body = Envelope<Vec<ThreadResponse>>),
        Protected,
        (status = 400, description = "Bad filter, limit or cursor", body = ProblemEnvelope),
    ),
)]
#[get("/threads")]
pub async fn list_threads(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListThreadsQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let filter = query.filter()?;
    let threads = state.threads.list(caller.principal(), &filter, &page);
    state
        .page_renders
        .render(&page, threads, ThreadResponse::from)
        .await
}

/// Creates a thread; the caller becomes its owner.
#[utoipa::path(
    tag = "threads",
    params(IdempotencyKeyHeader),
    request_body = CreateThreadRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<ThreadResponse>),
        Protected, JsonBodyErrors, StorageFull,
        (status = 409, description = "The Idempotency-Key was used with another request", body = ProblemEnvelope),
    ),
)]
#[post("/threads", wrap = "from_fn(idempotency)")]
pub async fn create_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CreateThreadRequest>,
) -> ApiResult<HttpResponse> {
    let input = CreateThread::try_from(body.into_inner())?;
    let view = state.threads.create(caller.principal(), input).await?;
    let location = format!("/api/v1/threads/{}", view.thread.id);
    Ok(envelope::created(&location, ThreadResponse::from(view)))
}

/// One thread, for its members and ADMINs.
#[utoipa::path(
    tag = "threads",
    params(PathId<ThreadId>),
    responses(
        (status = 200, description = "The thread; `ETag` carries its version", body = Envelope<ThreadResponse>),
        Protected,
        ThreadNotFound,
    ),
)]
#[get("/threads/{id}")]
pub async fn get_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let view = state.threads.get(caller.principal(), &id).await?;
    let tag = view.thread.etag();
    Ok(envelope::ok_tagged(ThreadResponse::from(view), &tag))
}

one_handler! {
    async fn update(
        state: web::Data<AppState>,
        caller: Authenticated,
        if_match: IfMatch,
        body: JsonBody<UpdateThreadRequest>,
        id: PathId<ThreadId>,
    ) -> ApiResult<HttpResponse> {
        let changes = ThreadChanges::try_from(body.into_inner())?;
        let view = state
            .threads
            .update(caller.principal(), &id, changes, &if_match.0)
            .await?;
        let tag = view.thread.etag();
        Ok(envelope::ok_tagged(ThreadResponse::from(view), &tag))
    }
    openapi(
        tag = "threads",
        params(
            PathId<ThreadId>,
            ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the change is based on"),
        ),
        request_body = UpdateThreadRequest,
        responses(
            (status = 200, description = "The changed thread", body = Envelope<ThreadResponse>),
            Protected, JsonBodyErrors, Conditional, StorageFull,
            (status = 403, description = "Not an owner or editor of the thread", body = ProblemEnvelope),
            ThreadNotFound,
        ),
    );
    /// Changes a thread (same as PATCH: only the fields present change).
    replace_thread: put("/threads/{id}");
    /// Changes a thread's title, description, metadata, memory, status (archive/unarchive)
    /// or pin; owners and editors.
    update_thread: patch("/threads/{id}");
}

/// Deletes a thread with its messages, reactions and attachment links (owner or ADMIN).
#[utoipa::path(
    tag = "threads",
    params(
        PathId<ThreadId>,
        ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        Protected, Conditional, StorageFull,
        (status = 403, description = "Not an owner of the thread or ADMIN", body = ProblemEnvelope),
        ThreadNotFound,
    ),
)]
#[delete("/threads/{id}")]
pub async fn delete_thread(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_match: IfMatch,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    state
        .threads
        .delete(caller.principal(), &id, &if_match.0)
        .await?;
    Ok(envelope::deleted(id.as_str()))
}

/// The members of a thread with their roles, by user id.
#[utoipa::path(
    tag = "threads",
    params(PathId<ThreadId>, PageQuery),
    responses(
        (status = 200, description = "A page of members", body = Envelope<Vec<MemberResponse>>),
        Protected,
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        ThreadNotFound,
    ),
)]
#[get("/threads/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<PageQuery>,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let page = validate(query.into_inner())?.page()?;
    let members = state.threads.members(caller.principal(), &id, &page);
    state
        .page_renders
        .render(&page, members, MemberResponse::from)
        .await
}

/// Adds a member by `user_id` or `email` (owners).
#[utoipa::path(
    tag = "threads",
    params(PathId<ThreadId>, IdempotencyKeyHeader),
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = Envelope<MemberResponse>),
        Protected, JsonBodyErrors, StorageFull,
        (status = 400, description = "Invalid fields, no such user, or malformed JSON", body = ProblemEnvelope),
        (status = 403, description = "Not an owner of the thread", body = ProblemEnvelope),
        ThreadNotFound,
        (status = 409, description = "Already a member, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
    ),
)]
#[post("/threads/{id}/members", wrap = "from_fn(idempotency)")]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<AddMemberRequest>,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let invitee = body.invitee()?;
    let member = state
        .threads
        .add_member(caller.principal(), &id, invitee, body.role.into())
        .await?;
    let location = format!("/api/v1/threads/{}/members/{}", *id, member.user_id);
    Ok(envelope::created(&location, MemberResponse::from(member)))
}

/// One member of a thread.
#[utoipa::path(
    tag = "threads",
    params(MemberPath),
    responses(
        (status = 200, description = "The member", body = Envelope<MemberResponse>),
        Protected,
        MemberNotFound,
    ),
)]
#[get("/threads/{id}/members/{user_id}")]
pub async fn get_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: MemberPath,
) -> ApiResult<HttpResponse> {
    let member = state
        .threads
        .member(caller.principal(), &path.thread, &path.user)
        .await?;
    Ok(envelope::ok(MemberResponse::from(member)))
}

one_handler! {
    async fn change_role(
        state: web::Data<AppState>,
        caller: Authenticated,
        body: JsonBody<ChangeMemberRoleRequest>,
        path: MemberPath,
    ) -> ApiResult<HttpResponse> {
        let role = body.into_inner().role.into();
        let member = state
            .threads
            .change_member_role(caller.principal(), &path.thread, &path.user, role)
            .await?;
        Ok(envelope::ok(MemberResponse::from(member)))
    }
    openapi(
        tag = "threads",
        params(MemberPath),
        request_body = ChangeMemberRoleRequest,
        responses(
            (status = 200, description = "The member with the new role", body = Envelope<MemberResponse>),
            Protected, JsonBodyErrors, StorageFull,
            (status = 400, description = "Invalid role or malformed JSON", body = ProblemEnvelope),
            (status = 403, description = "Not an owner of the thread", body = ProblemEnvelope),
            MemberNotFound,
            (status = 409, description = "It would leave the thread without an owner", body = ProblemEnvelope),
        ),
    );
    /// Changes a member's role (same as PATCH).
    replace_member_role: put("/threads/{id}/members/{user_id}");
    /// Changes a member's role (owners). The last owner cannot be demoted.
    change_member_role: patch("/threads/{id}/members/{user_id}");
}

/// Removes a member (owners), or leaves the thread (your own user id). The last owner
/// cannot go.
#[utoipa::path(
    tag = "threads",
    params(MemberPath),
    responses(
        (status = 200, description = "Removed; `id` is the user id", body = Envelope<Deleted>),
        Protected, StorageFull,
        (status = 403, description = "Removing someone else without being an owner", body = ProblemEnvelope),
        MemberNotFound,
        (status = 409, description = "It would leave the thread without an owner", body = ProblemEnvelope),
    ),
)]
#[delete("/threads/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: MemberPath,
) -> ApiResult<HttpResponse> {
    state
        .threads
        .remove_member(caller.principal(), &path.thread, &path.user)
        .await?;
    Ok(envelope::deleted(path.user.as_str()))
}
