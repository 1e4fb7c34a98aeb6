//! The answer to a retry whose first request committed but never stored its answer (the
//! process died between the commit and storing it): the original status, with the
//! resource's current representation rendered by the same DTOs as the route that made it.
//! If the resource has changed since, the retry sees it as it is now; if it is gone, the
//! retry gets what a read of it would (404).

use actix_web::{
    http::header::{HeaderName, HeaderValue},
    HttpResponse,
};
use domain::{
    auth::Principal,
    event::EventKind,
    id::{FileId, MessageId, ThreadId, UserId},
    idempotency::Receipt,
    user::UserView,
    DomainError,
};

use crate::{
    dto::{
        file::FileResponse, message::MessageResponse, reaction::ToggledReaction,
        thread::MemberResponse, thread::ThreadResponse, user::UserResponse,
    },
    envelope,
    error::ApiError,
    state::AppState,
};

/// Renders the answer `receipt` stands for, marked as a replay.
pub(crate) async fn answer(
    state: &AppState,
    caller: &Principal,
    receipt: &Receipt,
) -> Result<HttpResponse, ApiError> {
    let mut response = render(state, caller, receipt).await?;
    response.headers_mut().insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    Ok(response)
}

async fn render(
    state: &AppState,
    caller: &Principal,
    receipt: &Receipt,
) -> Result<HttpResponse, ApiError> {
    let id = |name: &str| {
        receipt.id(name).map(str::to_owned).ok_or_else(|| {
            DomainError::Unexpected(anyhow::anyhow!(
                "the receipt {} names no {name}",
                receipt.kind
            ))
        })
    };
    let kind = receipt.kind.as_str();
    Ok(if kind == EventKind::ThreadCreated.as_str() {
        let thread = ThreadId::from_trusted(id("thread_id")?);
        let view = state.threads.get(caller, &thread).await?;
        envelope::created(
            &format!("/api/v1/threads/{thread}"),
            ThreadResponse::from(view),
        )
    } else if kind == EventKind::MessageCreated.as_str() {
        let message = MessageId::from_trusted(id("message_id")?);
        let found = state.messages.get(caller, &message).await?;
        envelope::created(
            &format!("/api/v1/messages/{message}"),
            MessageResponse::from(found),
        )
    } else if kind == EventKind::MemberAdded.as_str() {
        let thread = ThreadId::from_trusted(id("thread_id")?);
        let user = UserId::from_trusted(id("user_id")?);
        let member = state.threads.member(caller, &thread, &user).await?;
        envelope::created(
            &format!("/api/v1/threads/{thread}/members/{user}"),
            MemberResponse::from(member),
        )
    } else if kind == EventKind::ReactionAdded.as_str() {
        let message = id("message_id")?;
        let toggled = ToggledReaction {
            emoji: id("emoji")?,
            added: true,
        };
        envelope::created(&format!("/api/v1/messages/{message}/reactions"), toggled)
    } else if kind == EventKind::ReactionRemoved.as_str() {
        envelope::ok(ToggledReaction {
            emoji: id("emoji")?,
            added: false,
        })
    } else if kind == Receipt::FILE_CREATED {
        let file = FileId::from_trusted(id("file_id")?);
        let found = state.files.get(caller, &file).await?;
        envelope::created(&format!("/api/v1/files/{file}"), FileResponse::from(found))
    } else if kind == Receipt::USER_CREATED {
        let user = UserId::from_trusted(id("user_id")?);
        match state.users.get(caller, &user).await? {
            UserView::Full(found) => {
                envelope::created(&format!("/api/v1/users/{user}"), UserResponse::from(found))
            }
            // Only ADMINs create users; one who is no longer ADMIN may not see the record.
            UserView::Public(_) => return Err(DomainError::Forbidden("ADMIN only").into()),
        }
    } else {
        return Err(
            DomainError::Unexpected(anyhow::anyhow!("a receipt of unknown kind {kind}")).into(),
        );
    })
}
