//! Messages of a thread, their edits and revisions.

use actix_web::{delete, get, middleware::from_fn, patch, post, put, web, HttpResponse};
use domain::{
    id::MessageId,
    message::{CreateMessage, MessageChanges},
    pagination::PageRequest,
};

use super::{path_id, threads::thread_id};
use crate::{
    dto::{
        message::{
            CreateMessageRequest, ListMessagesQuery, MessageResponse, RevisionResponse,
            UpdateMessageRequest,
        },
        validate, IdempotencyKeyHeader, PageQuery,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{Authenticated, IfMatch, JsonBody},
    middleware::idempotency,
    state::AppState,
};

/// A thread's messages: newest first by default, or oldest first with `order=asc`.
#[utoipa::path(
    tag = "messages",
    params(("id" = String, Path, description = "Thread id (`thr_…`)"), ListMessagesQuery),
    responses(
        (status = 200, description = "A page of messages", body = Envelope<Vec<MessageResponse>>),
        (status = 400, description = "Bad filter, order, limit or cursor", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/threads/{id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    query: web::Query<ListMessagesQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = PageRequest::parse(query.limit.as_deref(), query.cursor.as_deref())?;
    let filter = query.filter()?;
    let _building = state.page_renders.reserve().await?;
    let messages = state
        .messages
        .list(&caller.0, &thread_id(&id)?, &filter, &page)
        .await?;
    Ok(envelope::page(
        messages,
        page.limit.get(),
        MessageResponse::from,
    ))
}

/// Posts a message (owners and editors; `assistant`, `system` and `tool` need ADMIN).
#[utoipa::path(
    tag = "messages",
    params(("id" = String, Path, description = "Thread id (`thr_…`)"), IdempotencyKeyHeader),
    request_body = CreateMessageRequest,
    responses(
        (status = 201, description = "Posted", body = Envelope<MessageResponse>),
        (status = 400, description = "Invalid fields (with the path of each, e.g. `blocks[3].text.text`) or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "A viewer, or a role that needs ADMIN", body = ProblemEnvelope),
        (status = 404, description = "No such thread, or not yours to see", body = ProblemEnvelope),
        (status = 409, description = "The thread is archived, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[post("/threads/{id}/messages", wrap = "from_fn(idempotency)")]
pub async fn create_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<CreateMessageRequest>,
) -> ApiResult<HttpResponse> {
    let id = thread_id(&id)?;
    let input = CreateMessage::try_from(body.into_inner())?;
    let message = state.messages.create(&caller.0, &id, input).await?;
    let location = format!("/api/v1/messages/{}", message.id);
    Ok(envelope::created(&location, MessageResponse::from(message)))
}

/// One message, for the members of its thread.
#[utoipa::path(
    tag = "messages",
    params(("id" = String, Path, description = "Message id (`msg_…`)")),
    responses(
        (status = 200, description = "The message; `ETag` carries its version", body = Envelope<MessageResponse>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such message, or not yours to see", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/messages/{id}")]
pub async fn get_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let message = state.messages.get(&caller.0, &message_id(&id)?).await?;
    let tag = message.etag();
    Ok(envelope::ok_tagged(MessageResponse::from(message), &tag))
}

/// Edits a message (same as PATCH).
#[utoipa::path(
    tag = "messages",
    params(
        ("id" = String, Path, description = "Message id (`msg_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the edit is based on"),
    ),
    request_body = UpdateMessageRequest,
    responses(
        (status = 200, description = "The edited message", body = Envelope<MessageResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Neither the author nor ADMIN", body = ProblemEnvelope),
        (status = 404, description = "No such message, or not yours to see", body = ProblemEnvelope),
        (status = 409, description = "Edited by someone else at the same moment; retry", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[put("/messages/{id}")]
pub async fn replace_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateMessageRequest>,
) -> ApiResult<HttpResponse> {
    update(state, caller, id, if_match, body).await
}

/// Edits a message (the author or ADMIN); the replaced text is kept as a revision and
/// `edited_at` is set.
#[utoipa::path(
    tag = "messages",
    params(
        ("id" = String, Path, description = "Message id (`msg_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the edit is based on"),
    ),
    request_body = UpdateMessageRequest,
    responses(
        (status = 200, description = "The edited message", body = Envelope<MessageResponse>),
        (status = 400, description = "Invalid fields or malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Neither the author nor ADMIN", body = ProblemEnvelope),
        (status = 404, description = "No such message, or not yours to see", body = ProblemEnvelope),
        (status = 409, description = "Edited by someone else at the same moment; retry", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
        (status = 415, description = "The body is not JSON", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[patch("/messages/{id}")]
pub async fn update_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateMessageRequest>,
) -> ApiResult<HttpResponse> {
    update(state, caller, id, if_match, body).await
}

async fn update(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateMessageRequest>,
) -> ApiResult<HttpResponse> {
    let id = message_id(&id)?;
    let changes = MessageChanges::try_from(body.into_inner())?;
    let message = state
        .messages
        .update(&caller.0, &id, changes, &if_match.0)
        .await?;
    let tag = message.etag();
    Ok(envelope::ok_tagged(MessageResponse::from(message), &tag))
}

/// Deletes a message with its reactions (the author, a thread owner or ADMIN).
#[utoipa::path(
    tag = "messages",
    params(
        ("id" = String, Path, description = "Message id (`msg_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 403, description = "Not the author, a thread owner or ADMIN", body = ProblemEnvelope),
        (status = 404, description = "No such message, or not yours to see", body = ProblemEnvelope),
        (status = 412, description = "`If-Match` does not match", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[delete("/messages/{id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = message_id(&id)?;
    state.messages.delete(&caller.0, &id, &if_match.0).await?;
    Ok(envelope::deleted(id.as_str()))
}

/// Earlier versions of a message, oldest first.
#[utoipa::path(
    tag = "messages",
    params(("id" = String, Path, description = "Message id (`msg_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of revisions", body = Envelope<Vec<RevisionResponse>>),
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        (status = 401, description = "Not signed in", body = ProblemEnvelope),
        (status = 404, description = "No such message, or not yours to see", body = ProblemEnvelope),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
#[get("/messages/{id}/revisions")]
pub async fn list_revisions(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = validate(query.into_inner())?.page()?;
    let _building = state.page_renders.reserve().await?;
    let revisions = state
        .messages
        .revisions(&caller.0, &message_id(&id)?, &page)
        .await?;
    Ok(envelope::page(
        revisions,
        page.limit.get(),
        RevisionResponse::from,
    ))
}

pub(crate) fn message_id(raw: &str) -> Result<MessageId, domain::DomainError> {
    path_id(raw, MessageId::parse, "message")
}
