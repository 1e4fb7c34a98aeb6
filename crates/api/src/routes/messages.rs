//! Messages of a thread, their edits and revisions.

use actix_web::{delete, get, middleware::from_fn, patch, post, put, web, HttpResponse};
use domain::{
    id::{MessageId, ThreadId},
    message::{CreateMessage, MessageChanges},
};

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
    extractors::{Authenticated, IfMatch, JsonBody, PathId},
    middleware::idempotency,
    openapi::{
        Conditional, JsonBodyErrors, MessageNotFound, Protected, StorageFull, ThreadNotFound,
    },
    state::AppState,
};

/// A thread's messages: newest first by default, or oldest first with `order=asc`.
#[utoipa::path(
    tag = "messages",
    params(PathId<ThreadId>, ListMessagesQuery),
    responses(
        (status = 200, description = "A page of messages", body = Envelope<Vec<MessageResponse>>),
        Protected,
        (status = 400, description = "Bad filter, order, limit or cursor", body = ProblemEnvelope),
        ThreadNotFound,
    ),
)]
#[get("/threads/{id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListMessagesQuery>,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let filter = query.filter()?;
    let messages = state.messages.list(caller.principal(), &id, &filter, &page);
    state
        .page_renders
        .render(&page, messages, MessageResponse::from)
        .await
}

/// Posts a message (owners and editors; `assistant`, `system` and `tool` need ADMIN).
#[utoipa::path(
    tag = "messages",
    params(PathId<ThreadId>, IdempotencyKeyHeader),
    request_body = CreateMessageRequest,
    responses(
        (status = 201, description = "Posted", body = Envelope<MessageResponse>),
        Protected, JsonBodyErrors, StorageFull,
        (status = 400, description = "Invalid fields (with the path of each, e.g. `blocks[3].text.text`) or malformed JSON", body = ProblemEnvelope),
        (status = 403, description = "A viewer, or a role that needs ADMIN", body = ProblemEnvelope),
        ThreadNotFound,
        (status = 409, description = "The thread is archived, or the Idempotency-Key was used with another request", body = ProblemEnvelope),
    ),
)]
#[post("/threads/{id}/messages", wrap = "from_fn(idempotency)")]
pub async fn create_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CreateMessageRequest>,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let input = CreateMessage::try_from(body.into_inner())?;
    let message = state
        .messages
        .create(caller.principal(), &id, input)
        .await?;
    let location = format!("/api/v1/messages/{}", message.id);
    Ok(envelope::created(&location, MessageResponse::from(message)))
}

/// One message, for the members of its thread.
#[utoipa::path(
    tag = "messages",
    params(PathId<MessageId>),
    responses(
        (status = 200, description = "The message; `ETag` carries its version", body = Envelope<MessageResponse>),
        Protected,
        MessageNotFound,
    ),
)]
#[get("/messages/{id}")]
pub async fn get_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<MessageId>,
) -> ApiResult<HttpResponse> {
    let message = state.messages.get(caller.principal(), &id).await?;
    let tag = message.etag();
    Ok(envelope::ok_tagged(MessageResponse::from(message), &tag))
}

one_handler! {
    async fn update(
        state: web::Data<AppState>,
        caller: Authenticated,
        if_match: IfMatch,
        body: JsonBody<UpdateMessageRequest>,
        id: PathId<MessageId>,
    ) -> ApiResult<HttpResponse> {
        let changes = MessageChanges::try_from(body.into_inner())?;
        let message = state
            .messages
            .update(caller.principal(), &id, changes, &if_match.0)
            .await?;
        let tag = message.etag();
        Ok(envelope::ok_tagged(MessageResponse::from(message), &tag))
    }
    openapi(
        tag = "messages",
        params(
            PathId<MessageId>,
            ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the edit is based on"),
        ),
        request_body = UpdateMessageRequest,
        responses(
            (status = 200, description = "The edited message", body = Envelope<MessageResponse>),
            Protected, JsonBodyErrors, Conditional, StorageFull,
            (status = 403, description = "Neither the author nor ADMIN", body = ProblemEnvelope),
            MessageNotFound,
            (status = 409, description = "Edited by someone else at the same moment; retry", body = ProblemEnvelope),
        ),
    );
    /// Edits a message (same as PATCH).
    replace_message: put("/messages/{id}");
    /// Edits a message (the author or ADMIN); the replaced text is kept as a revision and
    /// `edited_at` is set.
    update_message: patch("/messages/{id}");
}

/// Deletes a message with its reactions (the author, a thread owner or ADMIN).
#[utoipa::path(
    tag = "messages",
    params(
        PathId<MessageId>,
        ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        Protected, Conditional, StorageFull,
        (status = 403, description = "Not the author, a thread owner or ADMIN", body = ProblemEnvelope),
        MessageNotFound,
    ),
)]
#[delete("/messages/{id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_match: IfMatch,
    id: PathId<MessageId>,
) -> ApiResult<HttpResponse> {
    state
        .messages
        .delete(caller.principal(), &id, &if_match.0)
        .await?;
    Ok(envelope::deleted(id.as_str()))
}

/// Earlier versions of a message, oldest first.
#[utoipa::path(
    tag = "messages",
    params(PathId<MessageId>, PageQuery),
    responses(
        (status = 200, description = "A page of revisions", body = Envelope<Vec<RevisionResponse>>),
        Protected,
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        MessageNotFound,
    ),
)]
#[get("/messages/{id}/revisions")]
pub async fn list_revisions(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<PageQuery>,
    id: PathId<MessageId>,
) -> ApiResult<HttpResponse> {
    let page = validate(query.into_inner())?.page()?;
    let revisions = state.messages.revisions(caller.principal(), &id, &page);
    state
        .page_renders
        .render(&page, revisions, RevisionResponse::from)
        .await
}
