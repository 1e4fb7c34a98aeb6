//! The OpenAPI 3.1 document, generated from the handlers' annotations. `openapi.yaml` at
//! the repository root is this document, committed; a test fails when the two differ.

use actix_web::App;
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    openapi::{Content, RefOr},
    IntoResponses, Modify, OpenApi,
};
use utoipa_actix_web::AppExt;

use crate::{
    dto::{message::SortOrderDto, meta::HealthResponse, search::SearchTypeDto},
    error::{Problem, ProblemEnvelope},
    routes,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Experience Layer API",
        version = "1.0.0",
        description = "Backend for AI-assistant conversation apps. Every JSON response is an \
envelope: `{success: true, data, metadata}` or `{success: false, error}` where `error` is an \
RFC 7807 problem sent as `application/problem+json`. Lists are paged with `limit` and \
`cursor`; `metadata.pagination` says whether there is more."
    ),
    modifiers(&SecuritySchemes),
    // Enums that only query parameters name, and bodies that only shared responses name,
    // are not collected from the handlers.
    components(schemas(ProblemEnvelope, Problem, SearchTypeDto, SortOrderDto, HealthResponse)),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens and sessions"),
        (name = "api-keys", description = "Scoped API keys for agent services and scripts (`X-API-Key`)"),
        (name = "users", description = "Profiles and user administration"),
        (name = "admin", description = "Administration: the tamper-evident audit log"),
        (name = "threads", description = "Conversations and their members"),
        (name = "messages", description = "Messages of a thread, edits and revisions"),
        (name = "reactions", description = "Emoji reactions to messages"),
        (name = "search", description = "Full-text search over readable threads"),
        (name = "shares", description = "Share links: a thread, read-only, for anybody holding the link"),
        (name = "files", description = "Uploads, downloads with ranges, previews, external files"),
        (name = "operations", description = "Health and discovery"),
    ),
    security(("bearer" = []), ("cookie" = []), ("api_key" = []))
)]
pub struct ApiDoc;

/// 401 of every protected route (`security` is declared once, for the whole document),
/// and the 429 of the caller's rate limit.
#[derive(IntoResponses)]
pub enum Protected {
    #[response(status = 401, description = "Not signed in")]
    Unauthorized(ProblemEnvelope),
    #[response(
        status = 429,
        description = "Over the caller's rate limit (`RATE_LIMIT_PER_CALLER`); nothing was done",
        headers(
            ("Retry-After" = u64, description = "Seconds until one more request is allowed"),
            ("RateLimit-Limit" = u32, description = "The quota's count"),
            ("RateLimit-Remaining" = u32, description = "Always 0 here"),
            ("RateLimit-Reset" = u64, description = "Seconds until the whole quota is back"),
        )
    )]
    RateLimited(ProblemEnvelope),
}

/// The 429 of a public route: over the client address's rate limit
/// (`RATE_LIMIT_PER_IP`), or for sign-in also `LOGIN_RATE_LIMIT_PER_IP` and
/// `LOGIN_RATE_LIMIT_PER_EMAIL`; nothing was done.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Too many requests from this address (or, signing in, for this email); \
nothing was done",
    headers(
        ("Retry-After" = u64, description = "Seconds until one more request is allowed"),
        ("RateLimit-Limit" = u32, description = "The quota's count"),
        ("RateLimit-Remaining" = u32, description = "Always 0 here"),
        ("RateLimit-Reset" = u64, description = "Seconds until the whole quota is back"),
    )
)]
pub struct RateLimitedResponse(pub ProblemEnvelope);

/// What reading a JSON body can answer, on every route that takes one. A route with more
/// to say about its 400 lists its own after this.
#[derive(IntoResponses)]
pub enum JsonBodyErrors {
    #[response(status = 400, description = "Invalid fields or malformed JSON")]
    Invalid(ProblemEnvelope),
    #[response(
        status = 408,
        description = "The body sent nothing for `REQUEST_BODY_IDLE_TIMEOUT_SECONDS` (30 by \
default); the connection is closed"
    )]
    Stalled(ProblemEnvelope),
    #[response(
        status = 413,
        description = "Bigger than `JSON_BODY_LIMIT_BYTES` (1 MiB by default), refused before \
reading when `Content-Length` says so"
    )]
    TooLarge(ProblemEnvelope),
    #[response(status = 415, description = "The body is not JSON")]
    NotJson(ProblemEnvelope),
}

/// 412 of the routes that honour `If-Match`.
#[derive(IntoResponses)]
#[response(status = 412, description = "`If-Match` does not match")]
pub struct Conditional(pub ProblemEnvelope);

/// 507 of every write: a full disk or database refuses it whole (`docs/api.md`).
#[derive(IntoResponses)]
#[response(
    status = 507,
    description = "The server's storage is full; nothing was saved, and the same request can \
be retried once space is freed"
)]
pub struct StorageFull(pub ProblemEnvelope);

/// The 404 of each kind of resource, declared once for all its routes.
macro_rules! not_found {
    ($($(#[$doc:meta])* $name:ident = $description:tt;)+) => {
        $(
            $(#[$doc])*
            #[derive(IntoResponses)]
            #[response(status = 404, description = $description)]
            pub struct $name(pub ProblemEnvelope);
        )+
    };
}

not_found! {
    /// Routes under a thread: an unknown thread and one the caller may not see look alike.
    ThreadNotFound = "No such thread, or not yours to see";
    /// Routes under a message.
    MessageNotFound = "No such message, or not yours to see";
    /// Routes under a file.
    FileNotFound = "No such file, or not yours to see";
    /// Routes of one member of a thread.
    MemberNotFound = "No such thread or member";
    /// Routes of one user.
    UserNotFound = "No such user";
    /// Routes of one API key: a stranger's key looks like a missing one.
    ApiKeyNotFound = "No such API key of yours";
    /// Routes of one share link: an unknown thread or link, or a thread the caller may
    /// not see.
    ShareLinkNotFound = "No such thread or share link, or not yours to see";
    /// `GET /shared/{token}`: every failure is this one answer.
    SharedThreadNotFound = "An unknown, revoked, expired or used-up link, a wrong or missing \
password, or a deleted thread: all the same answer";
}

/// Bearer JWT, the auth cookie, and API keys.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "rpotential_auth",
                "The access token as an HttpOnly cookie, set by login, register and refresh \
                 (the name is configurable with AUTH_COOKIE_NAME).",
            ))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (`xl_…`) acting as its owner within its scopes (see the \
                 api-keys tag; a request outside them is 403).",
            ))),
        );
    }
}

/// The document as the server serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    let mut document = document;
    declare_problems_as_problem_json(&mut document);
    document
}

/// Every error the server sends is `application/problem+json` (`error.rs`); the response
/// annotations name only the body type, so the media type is set here, once for all.
fn declare_problems_as_problem_json(document: &mut utoipa::openapi::OpenApi) {
    const PROBLEM: &str = "#/components/schemas/ProblemEnvelope";
    let operations = document.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    });
    for operation in operations {
        for response in operation.responses.responses.values_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            let is_problem = |content: &Content| matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == PROBLEM);
            if let Some(json) = response
                .content
                .get("application/json")
                .filter(|c| is_problem(c))
            {
                let json = json.clone();
                response.content.shift_remove("application/json");
                response
                    .content
                    .insert("application/problem+json".to_owned(), json);
            }
        }
    }
}

/// The document as committed in `openapi.yaml`.
pub fn yaml() -> anyhow::Result<String> {
    Ok(document().to_yaml()?)
}
