//! Full-text search over what the caller can read.

use actix_web::{get, web, HttpResponse};

use crate::{
    dto::{
        search::{SearchHitResponse, SearchQuery},
        validate,
    },
    envelope::Envelope,
    error::{ApiResult, ProblemEnvelope},
    extractors::Authenticated,
    openapi::Protected,
    state::AppState,
};

/// Messages containing every word of `q`, best match first, only from threads the caller
/// can read.
#[utoipa::path(
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "Ranked hits", body = Envelope<Vec<SearchHitResponse>>),
        Protected,
        (status = 400, description = "No word in `q`, or a bad filter, limit or cursor", body = ProblemEnvelope),
        (status = 404, description = "`thread_id` names no thread you can read", body = ProblemEnvelope),
    ),
)]
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let parsed = query.parse()?;
    let hits = state.search.search(
        caller.principal(),
        parsed.text,
        parsed.thread_id,
        parsed.kind,
        &page,
    );
    state
        .page_renders
        .render(&page, hits, SearchHitResponse::from)
        .await
}
