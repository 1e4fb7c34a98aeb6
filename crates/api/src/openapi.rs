//! The OpenAPI 3.1 document, generated from the handlers' annotations. `openapi.yaml` at
//! the repository root is this document, committed; a test fails when the two differ.

use actix_web::App;
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_actix_web::AppExt;

use crate::{
    dto::{message::SortOrderDto, search::SearchTypeDto},
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
    // Enums that only query parameters name are not collected from the handlers.
    components(schemas(ProblemEnvelope, Problem, SearchTypeDto, SortOrderDto)),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens and sessions"),
        (name = "users", description = "Profiles and user administration"),
        (name = "threads", description = "Conversations and their members"),
        (name = "messages", description = "Messages of a thread, edits and revisions"),
        (name = "reactions", description = "Emoji reactions to messages"),
        (name = "search", description = "Full-text search over readable threads"),
        (name = "files", description = "Uploads, downloads with ranges, previews, external files"),
        (name = "operations", description = "Health and discovery"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub struct ApiDoc;

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
                "An API key (`xl_…`) acting as its owner within its scopes.",
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
    document
}

/// The document as committed in `openapi.yaml`.
pub fn yaml() -> anyhow::Result<String> {
    Ok(document().to_yaml()?)
}
