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
    id::{PrefixedId, ThreadId, UserId},
    DomainError,
};
use serde::{de::DeserializeOwned, Deserialize};

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
        #[derive(Deserialize)]
        struct Segments {
            id: String,
        }
        let parsed = segments::<Segments>(req).and_then(|s| id(&s.id, T::KIND));
        ready(parsed.map(Self))
    }
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
        #[derive(Deserialize)]
        struct Segments {
            id: String,
            user_id: String,
        }
        let parsed = segments::<Segments>(req).and_then(|s| {
            Ok(Self {
                thread: id(&s.id, ThreadId::KIND)?,
                user: id(&s.user_id, "member")?,
            })
        });
        ready(parsed)
    }
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
