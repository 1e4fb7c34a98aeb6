//! Reactions to messages.

use actix_web::{delete, get, middleware::from_fn, post, web, HttpResponse};
use domain::{id::MessageId, reaction::Emoji};

use crate::{
    dto::{
        reaction::{EmojiSegment, ReactionGroupResponse, ToggleReactionRequest, ToggledReaction},
        validate, IdempotencyKeyHeader, PageQuery,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{Authenticated, JsonBody, PathId},
    middleware::idempotency,
    openapi::{JsonBodyErrors, MessageNotFound, Protected, StorageFull},
    state::AppState,
};

/// A message's reactions grouped by emoji, in the order each was first used.
#[utoipa::path(
    tag = "reactions",
    params(PathId<MessageId>, PageQuery),
    responses(
        (status = 200, description = "A page of the reactions", body = Envelope<Vec<ReactionGroupResponse>>),
        Protected,
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        MessageNotFound,
    ),
)]
#[get("/messages/{id}/reactions")]
pub async fn list_reactions(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<MessageId>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = validate(query.into_inner())?.page()?;
    let groups = state.reactions.list(caller.principal(), &id, &page);
    state
        .page_renders
        .render(&page, groups, ReactionGroupResponse::from)
        .await
}

/// Toggles the caller's reaction: 201 `added: true` when added, 200 `added: false` when
/// it was there and is now removed. At most 50 distinct emoji per message.
#[utoipa::path(
    tag = "reactions",
    params(PathId<MessageId>, IdempotencyKeyHeader),
    request_body = ToggleReactionRequest,
    responses(
        (status = 201, description = "Added", body = Envelope<ToggledReaction>),
        (status = 200, description = "Removed", body = Envelope<ToggledReaction>),
        Protected, JsonBodyErrors, StorageFull,
        (status = 400, description = "Not an emoji, the 51st distinct emoji, or malformed JSON", body = ProblemEnvelope),
        (status = 403, description = "Not a member of the thread", body = ProblemEnvelope),
        MessageNotFound,
        (status = 409, description = "The Idempotency-Key was used with another request", body = ProblemEnvelope),
    ),
)]
#[post("/messages/{id}/reactions", wrap = "from_fn(idempotency)")]
pub async fn toggle_reaction(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ToggleReactionRequest>,
    id: PathId<MessageId>,
) -> ApiResult<HttpResponse> {
    let emoji = Emoji::parse(&body.into_inner().emoji).map_err(|e| e.for_field("emoji"))?;
    let added = state
        .reactions
        .toggle(caller.principal(), &id, emoji.clone())
        .await?;
    let data = ToggledReaction {
        emoji: emoji.as_str().to_owned(),
        added,
    };
    if added {
        let location = format!("/api/v1/messages/{}/reactions", *id);
        Ok(envelope::created(&location, data))
    } else {
        Ok(envelope::ok(data))
    }
}

/// Removes the caller's reaction with this emoji.
#[utoipa::path(
    tag = "reactions",
    params(PathId<MessageId>, EmojiSegment),
    responses(
        (status = 200, description = "Removed; `id` is the emoji", body = Envelope<Deleted>),
        Protected, StorageFull,
        (status = 400, description = "Not an emoji", body = ProblemEnvelope),
        (status = 403, description = "Not a member of the thread", body = ProblemEnvelope),
        (status = 404, description = "No such message, or no such reaction of yours", body = ProblemEnvelope),
    ),
)]
#[delete("/messages/{id}/reactions/{emoji}")]
pub async fn remove_reaction(
    state: web::Data<AppState>,
    caller: Authenticated,
    emoji: web::Path<EmojiSegment>,
    id: PathId<MessageId>,
) -> ApiResult<HttpResponse> {
    let emoji = Emoji::parse(&emoji.emoji).map_err(|e| e.for_field("emoji"))?;
    state
        .reactions
        .remove(caller.principal(), &id, &emoji)
        .await?;
    Ok(envelope::deleted(emoji.as_str()))
}
