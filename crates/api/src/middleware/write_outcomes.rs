//! Whether this instance's writes are being refused for lack of space, for `/health`.
//!
//! The health check's own write sees a full SQLite file or PostgreSQL WAL, but not every
//! full disk (a PostgreSQL tablespace of its own, the file store): the last answered write
//! does. A 507 marks the instance; the next successful write clears it.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode},
    middleware::Next,
    web, Error,
};

use crate::state::AppState;

#[derive(Debug, Default)]
pub struct WriteOutcomes {
    refused_for_space: AtomicBool,
}

impl WriteOutcomes {
    /// True while the last write answered was refused for lack of space.
    pub fn refused_for_space(&self) -> bool {
        self.refused_for_space.load(Ordering::Relaxed)
    }

    fn record(&self, status: StatusCode) {
        if status == StatusCode::INSUFFICIENT_STORAGE {
            self.refused_for_space.store(true, Ordering::Relaxed);
        } else if status.is_success() {
            self.refused_for_space.store(false, Ordering::Relaxed);
        }
    }
}

pub async fn watch_write_outcomes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if let (true, Some(state)) = (write, state) {
        state.write_outcomes.record(response.status());
    }
    Ok(response)
}
