//! API keys: the caller's own keys, made, renamed, rescoped, rotated and deleted by the
//! caller signed in with a token (a key cannot manage keys). The secret is in the answer
//! of create and rotate only.
//!
//! Neither create nor rotate takes `Idempotency-Key`: their answers carry a live secret,
//! which the idempotency store must never keep (as for `POST /auth/register`).

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use domain::{
    api_key::{ApiKeyChanges, CreateApiKey},
    id::ApiKeyId,
};

use crate::{
    dto::{
        api_key::{ApiKeyResponse, CreateApiKeyRequest, IssuedApiKeyResponse, UpdateApiKeyRequest},
        validate, PageQuery,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{Authenticated, IfMatch, JsonBody, PathId},
    openapi::{ApiKeyNotFound, Conditional, JsonBodyErrors, Protected, StorageFull},
    state::AppState,
};

fn location(id: &ApiKeyId) -> String {
    format!("/api/v1/api-keys/{id}")
}

/// The caller's API keys, newest first, without their secrets.
#[utoipa::path(
    tag = "api-keys",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of keys", body = Envelope<Vec<ApiKeyResponse>>),
        Protected,
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        (status = 403, description = "Sent with an API key: keys cannot manage keys", body = ProblemEnvelope),
    ),
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let keys = state.api_keys.list(caller.principal(), &page);
    state
        .page_renders
        .render(&page, keys, ApiKeyResponse::from)
        .await
}

/// Creates a key for the caller. The answer holds its `secret`, shown this once.
#[utoipa::path(
    tag = "api-keys",
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown only now", body = Envelope<IssuedApiKeyResponse>),
        Protected, JsonBodyErrors, StorageFull,
        (status = 403, description = "A USER asked for `messages:assistant` or `admin`, or the request came with an API key", body = ProblemEnvelope),
    ),
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CreateApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    let input = CreateApiKey::try_from(body.into_inner())?;
    let issued = state.api_keys.create(caller.principal(), input).await?;
    let location = location(&issued.key.id);
    Ok(envelope::created(
        &location,
        IssuedApiKeyResponse::from(issued),
    ))
}

/// One of the caller's keys, without its secret. `ETag` carries its version.
#[utoipa::path(
    tag = "api-keys",
    params(PathId<ApiKeyId>),
    responses(
        (status = 200, description = "The key", body = Envelope<ApiKeyResponse>),
        Protected,
        (status = 403, description = "Sent with an API key: keys cannot manage keys", body = ProblemEnvelope),
        ApiKeyNotFound,
    ),
)]
#[get("/api-keys/{id}")]
pub async fn get_api_key(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<ApiKeyId>,
) -> ApiResult<HttpResponse> {
    let key = state.api_keys.get(caller.principal(), &id).await?;
    let tag = key.etag();
    Ok(envelope::ok_tagged(ApiKeyResponse::from(key), &tag))
}

one_handler! {
    async fn update(
        state: web::Data<AppState>,
        caller: Authenticated,
        if_match: IfMatch,
        body: JsonBody<UpdateApiKeyRequest>,
        id: PathId<ApiKeyId>,
    ) -> ApiResult<HttpResponse> {
        let changes = ApiKeyChanges::try_from(body.into_inner())?;
        let key = state
            .api_keys
            .update(caller.principal(), &id, changes, &if_match.0)
            .await?;
        let tag = key.etag();
        Ok(envelope::ok_tagged(ApiKeyResponse::from(key), &tag))
    }
    openapi(
        tag = "api-keys",
        params(
            PathId<ApiKeyId>,
            ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the change is based on"),
        ),
        request_body = UpdateApiKeyRequest,
        responses(
            (status = 200, description = "The changed key", body = Envelope<ApiKeyResponse>),
            Protected, JsonBodyErrors, Conditional, StorageFull,
            (status = 403, description = "A USER asked for `messages:assistant` or `admin`, or the request came with an API key", body = ProblemEnvelope),
            ApiKeyNotFound,
        ),
    );
    /// Renames a key or replaces its scopes (same as PATCH).
    replace_api_key: put("/api-keys/{id}");
    /// Renames a key or replaces its scopes; the key keeps its secret.
    update_api_key: patch("/api-keys/{id}");
}

/// Deletes a key; requests with it are refused (401) from now on.
#[utoipa::path(
    tag = "api-keys",
    params(
        PathId<ApiKeyId>,
        ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the deletion is based on"),
    ),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        Protected, Conditional, StorageFull,
        (status = 403, description = "Sent with an API key: keys cannot manage keys", body = ProblemEnvelope),
        ApiKeyNotFound,
    ),
)]
#[delete("/api-keys/{id}")]
pub async fn delete_api_key(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_match: IfMatch,
    id: PathId<ApiKeyId>,
) -> ApiResult<HttpResponse> {
    state
        .api_keys
        .delete(caller.principal(), &id, &if_match.0)
        .await?;
    Ok(envelope::deleted(id.as_str()))
}

/// Gives a key a new secret, shown this once; the old secret stops working at once.
/// Name, scopes and expiry stay.
#[utoipa::path(
    tag = "api-keys",
    params(
        PathId<ApiKeyId>,
        ("If-Match" = Option<String>, Header, min_length = 1, description = "The `ETag` the rotation is based on"),
    ),
    responses(
        (status = 200, description = "The key with its new `secret`, shown only now", body = Envelope<IssuedApiKeyResponse>),
        Protected, Conditional, StorageFull,
        (status = 403, description = "Sent with an API key: keys cannot manage keys", body = ProblemEnvelope),
        ApiKeyNotFound,
    ),
)]
#[post("/api-keys/{id}/rotate")]
pub async fn rotate_api_key(
    state: web::Data<AppState>,
    caller: Authenticated,
    if_match: IfMatch,
    id: PathId<ApiKeyId>,
) -> ApiResult<HttpResponse> {
    let issued = state
        .api_keys
        .rotate(caller.principal(), &id, &if_match.0)
        .await?;
    let tag = issued.key.etag();
    Ok(envelope::ok_tagged(
        IssuedApiKeyResponse::from(issued),
        &tag,
    ))
}
