//! `experience-layer audit verify`: the operator's check of the audit log's hash chain,
//! against the database the server is configured with (`DATABASE_URL`).

use std::sync::Arc;

use domain::audit::{AuditService, ChainReport};
use infrastructure::{database, repositories::SeaAuditLog};

use crate::settings::Settings;

/// Walks the whole chain in seq order, a batch at a time, and says whether it is intact
/// or which entry is the first broken one.
pub async fn verify(settings: &Settings) -> anyhow::Result<ChainReport> {
    let db = database::connect(&settings.database).await?;
    let audit = AuditService::new(Arc::new(SeaAuditLog::new(db)), 0);
    Ok(audit.verify().await?)
}

/// The line the command prints.
pub fn describe(report: &ChainReport) -> String {
    match &report.broken {
        None => format!("audit log intact: {} entries", report.entries),
        Some(broken) => format!("audit log broken: {broken}"),
    }
}
