//! `If-Match` as a domain precondition, and `If-None-Match` for conditional downloads.

use std::future::{ready, Ready};

use actix_web::{
    dev::Payload,
    http::header::{self, HeaderName},
    FromRequest, HttpRequest,
};
use domain::precondition::Precondition;

use crate::error::ApiError;

/// The tags of `If-Match` (`*` or a list of quoted tags; weak tags never match, as RFC 9110
/// requires strong comparison for `If-Match`).
pub struct IfMatch(pub Precondition);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(header::IF_MATCH) {
            return ready(Ok(Self(Precondition::None)));
        }
        // A value that is not visible ASCII names no tag of ours: it matches nothing (412),
        // rather than counting as no header at all.
        let tags = listed(req, header::IF_MATCH)
            .into_iter()
            .filter(|t| !t.starts_with("W/"))
            .map(|t| t.trim_matches('"').to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        ready(Ok(Self(Precondition::IfMatch(tags))))
    }
}

/// The tags of `If-None-Match`, compared weakly (RFC 9110): `W/"x"` matches `"x"`.
pub struct IfNoneMatch(Vec<String>);

impl IfNoneMatch {
    /// Whether the client already has the representation tagged `etag` (quoted).
    pub fn matches(&self, etag: &str) -> bool {
        self.0.iter().any(|t| t == "*" || t == etag)
    }
}

impl FromRequest for IfNoneMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tags = listed(req, header::IF_NONE_MATCH)
            .into_iter()
            .map(|t| t.trim_start_matches("W/").to_owned())
            .collect();
        ready(Ok(Self(tags)))
    }
}

/// The entity tags a conditional header lists, over all its lines, as sent (`*`, `"x"`,
/// `W/"x"`); lines that are not visible ASCII name no tag of ours and are skipped.
fn listed(req: &HttpRequest, name: HeaderName) -> Vec<&str> {
    req.headers()
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect()
}
