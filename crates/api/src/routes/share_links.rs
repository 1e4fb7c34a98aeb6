//! Share links of a thread, made, listed and revoked by its owner (or an ADMIN), and the
//! public, read-only view of a shared thread that their tokens open.
//!
//! Create does not take `Idempotency-Key`: its answer carries a live token, which the
//! idempotency store must never keep (as for API keys); a retried create makes a second
//! link, which the owner can revoke.

use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use domain::{id::ThreadId, share_link::CreateShareLink, share_link::ShareReader};

use crate::{
    dto::{
        share_link::{
            CreateShareLinkRequest, IssuedShareLinkResponse, ShareLinkResponse,
            SharedThreadResponse,
        },
        validate, PageQuery,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{client_ip, Authenticated, JsonBody, PathId, SharePath},
    openapi::{
        JsonBodyErrors, Protected, RateLimitedResponse, ShareLinkNotFound, SharedThreadNotFound,
        StorageFull, ThreadNotFound,
    },
    state::AppState,
};

/// The header a reader sends a link's password in.
pub const SHARE_PASSWORD: &str = "X-Share-Password";

const MANAGED_BY: &str =
    "Not the thread's owner or an ADMIN (editors and viewers may not manage its share links), or an API key without the scope";

/// The thread's share links, newest first, without their tokens.
#[utoipa::path(
    tag = "shares",
    params(PathId<ThreadId>, PageQuery),
    responses(
        (status = 200, description = "A page of links", body = Envelope<Vec<ShareLinkResponse>>),
        Protected,
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
        (status = 403, description = MANAGED_BY, body = ProblemEnvelope),
        ThreadNotFound,
    ),
)]
#[get("/threads/{id}/shares")]
pub async fn list_share_links(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<PageQuery>,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let links = state.shares.list(caller.principal(), &id, &page);
    state
        .page_renders
        .render(&page, links, ShareLinkResponse::from)
        .await
}

/// Makes a share link. The answer holds its `token` and `url`, shown this once.
#[utoipa::path(
    tag = "shares",
    params(PathId<ThreadId>),
    request_body = CreateShareLinkRequest,
    responses(
        (status = 201, description = "Created; `token` and `url` are shown only now", body = Envelope<IssuedShareLinkResponse>),
        Protected, JsonBodyErrors, StorageFull,
        (status = 403, description = MANAGED_BY, body = ProblemEnvelope),
        ThreadNotFound,
    ),
)]
#[post("/threads/{id}/shares")]
pub async fn create_share_link(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: JsonBody<CreateShareLinkRequest>,
    id: PathId<ThreadId>,
) -> ApiResult<HttpResponse> {
    let input = CreateShareLink::try_from(body.into_inner())?;
    let issued = state.shares.create(caller.principal(), &id, input).await?;
    let location = format!("/api/v1/threads/{}/shares/{}", *id, issued.link.id);
    let response = IssuedShareLinkResponse::new(issued, |path| {
        state.settings.sharing.public_url(path).unwrap_or_else(|| {
            let connection = req.connection_info();
            format!("{}://{}{path}", connection.scheme(), connection.host())
        })
    });
    Ok(envelope::created(&location, response))
}

/// One share link of the thread, without its token.
#[utoipa::path(
    tag = "shares",
    params(SharePath),
    responses(
        (status = 200, description = "The link", body = Envelope<ShareLinkResponse>),
        Protected,
        (status = 403, description = MANAGED_BY, body = ProblemEnvelope),
        ShareLinkNotFound,
    ),
)]
#[get("/threads/{id}/shares/{share_id}")]
pub async fn get_share_link(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: SharePath,
) -> ApiResult<HttpResponse> {
    let link = state
        .shares
        .get(caller.principal(), &path.thread, &path.share)
        .await?;
    Ok(envelope::ok(ShareLinkResponse::from(link)))
}

/// Revokes a share link: from now on its token answers 404.
#[utoipa::path(
    tag = "shares",
    params(SharePath),
    responses(
        (status = 200, description = "Revoked", body = Envelope<Deleted>),
        Protected, StorageFull,
        (status = 403, description = MANAGED_BY, body = ProblemEnvelope),
        ShareLinkNotFound,
    ),
)]
#[delete("/threads/{id}/shares/{share_id}")]
pub async fn delete_share_link(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: SharePath,
) -> ApiResult<HttpResponse> {
    state
        .shares
        .revoke(caller.principal(), &path.thread, &path.share)
        .await?;
    Ok(envelope::deleted(path.share.as_str()))
}

/// A shared thread, read-only, for anybody holding the link: the thread as it is now and
/// a page of its messages, oldest first. No credentials are needed (any sent are not
/// used). Every request that answers 200 is one view.
#[utoipa::path(
    tag = "shares",
    params(
        ("token" = String, Path, description = "The link's token (`xs_…`)"),
        ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "The thread and a page of its messages; `metadata.pagination` pages the messages", body = Envelope<SharedThreadResponse>),
        (status = 400, description = "Bad limit or cursor (no view is counted)", body = ProblemEnvelope),
        SharedThreadNotFound,
        RateLimitedResponse,
    ),
    security(())
)]
#[get("/shared/{token}")]
pub async fn open_shared_thread(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let reader = ShareReader {
        password: req
            .headers()
            .get(SHARE_PASSWORD)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        ip: client_ip(&req),
    };
    let _building = state.page_renders.reserve().await?;
    let shared = state.shares.open(&token, reader, &page).await?;
    let next = shared.messages.next.clone();
    let mut response = envelope::ok_paged(
        SharedThreadResponse::from(shared),
        next.as_ref(),
        page.limit.get(),
    );
    // Each answer is one counted view: nothing may keep a copy to serve again.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
