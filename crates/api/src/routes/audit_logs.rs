//! The audit log, read by ADMINs: security-relevant actions with who, from where, on
//! what, and whether it worked. Entries are written by the actions themselves, in their
//! own transactions; this only reads.

use actix_web::{get, web, HttpResponse};

use crate::{
    dto::{
        audit::{AuditEntryResponse, ListAuditLogsQuery},
        validate,
    },
    envelope::Envelope,
    error::{ApiResult, ProblemEnvelope},
    extractors::Authenticated,
    openapi::Protected,
    state::AppState,
};

/// Lists audit entries (ADMIN; a key needs the `admin` scope), newest first, filtered by
/// actor, action, resource and time range.
#[utoipa::path(
    tag = "admin",
    params(ListAuditLogsQuery),
    responses(
        (status = 200, description = "A page of audit entries, newest first", body = Envelope<Vec<AuditEntryResponse>>),
        Protected,
        (status = 400, description = "Bad filter, limit or cursor; `errors` names the field", body = ProblemEnvelope),
        (status = 403, description = "Not an ADMIN, or an API key without the `admin` scope", body = ProblemEnvelope),
    ),
)]
#[get("/admin/audit-logs")]
pub async fn list_audit_logs(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<ListAuditLogsQuery>,
) -> ApiResult<HttpResponse> {
    let query = validate(query.into_inner())?;
    let page = query.page()?;
    let filter = query.filter()?;
    let entries = state.audit.list(caller.principal(), &filter, &page);
    state
        .page_renders
        .render(&page, entries, AuditEntryResponse::from)
        .await
}
