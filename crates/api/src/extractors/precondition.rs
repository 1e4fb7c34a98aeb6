//! `If-Match` as a domain precondition.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
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
        let values: Vec<&str> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .collect();
        let tags = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.starts_with("W/"))
            .map(|t| t.trim_matches('"').to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        ready(Ok(Self(Precondition::IfMatch(tags))))
    }
}
