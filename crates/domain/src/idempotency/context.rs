//! Which claim the current request's writes belong to.
//!
//! A write records its receipt on the claim in the write's own transaction, deep inside an
//! adapter; passing the claim through every service and port signature would put a
//! transport concern into all of them, so it travels with the request's task instead. A
//! write handed to another task (the group-commit writer) must take `current_claim()` along.

use std::future::Future;

use super::HeldClaim;

tokio::task_local! {
    static CURRENT_CLAIM: HeldClaim;
}

/// Runs `work` with `claim` as the claim its writes commit under.
pub async fn within_claim<F: Future>(claim: HeldClaim, work: F) -> F::Output {
    CURRENT_CLAIM.scope(claim, work).await
}

/// The claim of the request running on this task, if it holds one.
pub fn current_claim() -> Option<HeldClaim> {
    CURRENT_CLAIM.try_with(Clone::clone).ok()
}
