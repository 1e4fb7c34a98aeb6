//! Account data: the caller's export (`GET /users/me/export`, a zip streamed as it is
//! written) and the erasure of their account (`DELETE /users/me`). Both need a person
//! signed in with a token; an API key gets 403.

use actix_web::{delete, get, http::header, web, HttpRequest, HttpResponse};
use domain::{auth::Password, DomainError};

use crate::{
    content_disposition::attachment,
    dto::file::Binary,
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    export_archive,
    extractors::Authenticated,
    openapi::{Protected, StorageFull},
    state::AppState,
};

/// The header that carries the account's password to confirm an erasure.
pub const CONFIRM_PASSWORD: &str = "X-Confirm-Password";

/// Exports everything the server holds about the caller, as a zip.
///
/// The zip is streamed while it is written: `manifest.json` (format version, time, user
/// id, each entry with its count), `profile.json`, `sessions.json`, `api_keys.json` (no
/// secrets), `threads/<id>/thread.json` and
/// `threads/<id>/messages.json` (the caller's messages there, with revisions),
/// `reactions.json`, `files.json` with `files/<id>/<name>` (the bytes), `artifacts.json`
/// and `audit.json`. One export per user at a time.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The archive, sent as it is written", content_type = "application/zip", body = Binary,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"experience-layer-export-<date>.zip\"`"))),
        Protected,
        (status = 403, description = "Sent with an API key: exports need a token", body = ProblemEnvelope),
        (status = 409, description = "An export of this account is already running", body = ProblemEnvelope),
    ),
)]
#[get("/users/me/export")]
pub async fn export_account(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> ApiResult<HttpResponse> {
    let export = state.account.export(caller.principal()).await?;
    let name = format!(
        "experience-layer-export-{}.zip",
        export.generated_at.format("%Y-%m-%d")
    );
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(attachment(&name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(export_archive::stream(export)))
}

/// Erases the caller's account.
///
/// Sessions, refresh tokens and API keys stop working at once; messages in threads others still use stay, shown as by "Deleted user"; threads
/// only the caller owned pass to their longest-standing member, or go if nobody else is
/// in them. An account with a password must send it in `X-Confirm-Password`. The last
/// active ADMIN cannot delete themselves.
#[utoipa::path(
    tag = "users",
    params(
        ("X-Confirm-Password" = Option<String>, Header, description = "The account's password; required when the account has one"),
    ),
    responses(
        (status = 200, description = "Erased: `{id, deleted: true}`, like every delete", body = Envelope<Deleted>),
        Protected, StorageFull,
        (status = 400, description = "`X-Confirm-Password` missing for an account with a password", body = ProblemEnvelope),
        (status = 403, description = "Wrong password, or sent with an API key", body = ProblemEnvelope),
        (status = 409, description = "The last active ADMIN cannot delete themselves", body = ProblemEnvelope),
    ),
)]
#[delete("/users/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let password = match req.headers().get(CONFIRM_PASSWORD) {
        None => None,
        Some(value) => {
            let raw = value
                .to_str()
                .map_err(|_| DomainError::invalid(CONFIRM_PASSWORD, "must be plain text"))?;
            // A value no password could have is simply a wrong password.
            let password = Password::parse(raw.to_owned())
                .map_err(|_| DomainError::Forbidden("the password does not match"))?;
            Some(password)
        }
    };
    let caller = caller.principal();
    state.account.erase_self(caller, password).await?;
    Ok(envelope::deleted(caller.user.id.as_str()))
}
