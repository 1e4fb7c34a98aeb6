//! Where a request comes from, as recorded on sessions.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
use domain::auth::ClientInfo;

use crate::error::ApiError;

/// The user agent and the peer address. Forwarded-for headers are not trusted: any client
/// can set them.
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(ClientInfo {
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ip: req.peer_addr().map(|addr| addr.ip().to_string()),
        })))
    }
}
