//! Ids named in a route's path, parsed before the handler runs.
//!
//! A malformed id cannot name anything, so it is answered exactly like an unknown one:
//! 404 `not-found`, "thread not found" (`docs/api.md`). Segments are decoded as actix's own
//! `web::Path` decodes them.

use std::{
    future::{ready, Ready},
    ops::Deref,
};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use domain::{
    id::{ApiKeyId, FileId, MessageId, PrefixedId, SessionId, ShareLinkId, ThreadId, UserId},
    DomainError,
};
use serde::{de::DeserializeOwned, Deserialize};
use utoipa::{
    openapi::path::{Parameter, ParameterBuilder, ParameterIn},
    IntoParams, PartialSchema,
};

use crate::error::ApiError;

/// The id in the route's `{id}` segment, of the kind the handler names
/// (`PathId<ThreadId>`).
///
/// Take it as the handler's last argument: actix polls extractors in order and answers
/// the first error it meets, so a bad query string before it is still answered first. One
/// still waiting (a session lookup, a body being read) is overtaken by a malformed id.
#[derive(Debug)]
pub struct PathId<T>(T);

impl<T> PathId<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for PathId<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: PrefixedId> FromRequest for PathId<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(segments(req).and_then(|s: IdSegment| Ok(Self(id(&s.id, T::KIND)?))))
    }
}

/// An id kind as the OpenAPI document describes its path segment.
pub trait DocumentedId: PrefixedId {
    const DESCRIPTION: &'static str;
}

macro_rules! documented_ids {
    ($($id:ty => $description:literal,)+) => {
        $(impl DocumentedId for $id {
            const DESCRIPTION: &'static str = $description;
        })+
    };
}

documented_ids! {
    ThreadId => "Thread id (`thr_…`)",
    MessageId => "Message id (`msg_…`)",
    FileId => "File id (`fil_…`)",
    UserId => "User id (`usr_…`)",
    SessionId => "Session id (`ses_…`)",
    ApiKeyId => "API key id (`key_…`)",
    ShareLinkId => "Share link id (`shr_…`)",
}

/// `params(PathId<ThreadId>)` documents the `{id}` segment the extractor reads.
impl<T: DocumentedId> IntoParams for PathId<T> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![path_segment("id", T::DESCRIPTION)]
    }
}

fn path_segment(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .description(Some(description))
        .required(utoipa::openapi::Required::True)
        .schema(Some(String::schema()))
        .build()
}

/// `/threads/{id}/members/{user_id}`: the thread, and the member's user id (a malformed
/// one is "member not found").
#[derive(Debug)]
pub struct MemberPath {
    pub thread: ThreadId,
    pub user: UserId,
}

impl FromRequest for MemberPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(segments(req).and_then(|s: MemberSegments| {
            Ok(Self {
                thread: id(&s.id, ThreadId::KIND)?,
                user: id(&s.user_id, "member")?,
            })
        }))
    }
}

impl IntoParams for MemberPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            path_segment("id", ThreadId::DESCRIPTION),
            path_segment("user_id", "The member's user id"),
        ]
    }
}

/// `/threads/{id}/shares/{share_id}`: a thread and one of its share links. A malformed
/// id of either is "not found", like an unknown one.
#[derive(Debug)]
pub struct SharePath {
    pub thread: ThreadId,
    pub share: ShareLinkId,
}

impl FromRequest for SharePath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(segments(req).and_then(|s: ShareSegments| {
            Ok(Self {
                thread: id(&s.id, ThreadId::KIND)?,
                share: id(&s.share_id, ShareLinkId::KIND)?,
            })
        }))
    }
}

impl IntoParams for SharePath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            path_segment("id", ThreadId::DESCRIPTION),
            path_segment("share_id", ShareLinkId::DESCRIPTION),
        ]
    }
}

#[derive(Deserialize)]
struct ShareSegments {
    id: String,
    share_id: String,
}

#[derive(Deserialize)]
struct IdSegment {
    id: String,
}

#[derive(Deserialize)]
struct MemberSegments {
    id: String,
    user_id: String,
}

/// The route's segments, decoded; a route without them is no route of ours.
fn segments<S: DeserializeOwned>(req: &HttpRequest) -> Result<S, ApiError> {
    web::Path::<S>::extract(req)
        .into_inner()
        .map(web::Path::into_inner)
        .map_err(|_| ApiError::RouteNotFound)
}

fn id<T: PrefixedId>(raw: &str, what: &'static str) -> Result<T, ApiError> {
    T::parse(raw).map_err(|_| DomainError::NotFound(what).into())
}
