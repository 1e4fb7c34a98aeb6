//! The authenticated caller, from `X-API-Key`, `Authorization: Bearer <jwt>` or the auth
//! cookie.
//!
//! Verification itself is the domain's (`AuthService::authenticate`); this only finds the
//! credential and, for a browser without one, turns the 401 into a redirect to the login
//! page when `AUTH_REDIRECT_URL` is set.

use actix_web::{
    dev::Payload,
    http::header::{self, Accept, Header},
    web, FromRequest, HttpMessage, HttpRequest,
};
use domain::{auth::Principal, DomainError};
use futures_util::future::LocalBoxFuture;

use super::client_info::client_info;
use crate::{error::ApiError, state::AppState};

/// The header that carries an API key (`xl_…`).
pub const API_KEY_HEADER: &str = "x-api-key";

/// The verified caller; a handler taking it is a protected route.
#[derive(Clone, Debug)]
pub struct Authenticated(Principal);

impl Authenticated {
    /// Who is calling, as services take it.
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    pub fn into_principal(self) -> Principal {
        self.0
    }
}

/// The caller if valid credentials were sent, `None` otherwise: public routes answer
/// everyone, whatever stale cookie a browser still carries.
#[derive(Clone, Debug)]
pub struct MaybeAuthenticated(Option<Principal>);

impl MaybeAuthenticated {
    pub fn into_principal(self) -> Option<Principal> {
        self.0
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            // Already verified for this request (by the idempotency middleware).
            if let Some(principal) = req.extensions().get::<Principal>() {
                return Ok(Self(principal.clone()));
            }
            let state = app_state(&req)?;
            let result = caller(&req, &state)
                .await
                .unwrap_or(Err(DomainError::Unauthorized("authentication required")));
            result
                .map(|principal| {
                    tracing::Span::current().record("user_id", principal.user.id.as_str());
                    Self(principal)
                })
                .map_err(|err| browser_redirect(&req, &state, err))
        })
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            Ok(Self(caller(&req, &state).await.and_then(Result::ok)))
        })
    }
}

pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| {
            DomainError::Unexpected(anyhow::anyhow!("AppState is not registered")).into()
        })
}

/// The caller of a request: `None` without credentials, the verification result otherwise.
/// An `X-API-Key` header, when present, is the credential alone (a bad key is 401, never
/// a fall back to a token); otherwise the bearer token or the cookie. The caller carries
/// the request's client (address and user agent) for the audit log.
pub async fn caller(req: &HttpRequest, state: &AppState) -> Option<Result<Principal, DomainError>> {
    let verified = if let Some(key) = req.headers().get(API_KEY_HEADER) {
        let presented = key.to_str().unwrap_or_default().trim();
        state.api_keys.authenticate(presented).await
    } else {
        let token = credential(req, &state.settings.auth.cookie_name)?;
        state.auth.authenticate(&token).await
    };
    Some(verified.map(|principal| principal.with_client(client_info(req))))
}

/// The bearer token, else the auth cookie. A malformed `Authorization` header counts as a
/// credential that fails, not as none, so it never falls back to a stale cookie.
fn credential(req: &HttpRequest, cookie_name: &str) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .unwrap_or_default();
        return Some(token.to_owned());
    }
    req.cookie(cookie_name).map(|c| c.value().to_owned())
}

/// A 401 for a browser (prefers `text/html`, no `Authorization`) becomes a redirect to the
/// configured login page, carrying the original URL.
fn browser_redirect(req: &HttpRequest, state: &AppState, err: DomainError) -> ApiError {
    let (DomainError::Unauthorized(_), Some(login)) = (&err, &state.settings.auth.redirect_url)
    else {
        return err.into();
    };
    let prefers_html = Accept::parse(req)
        .ok()
        .map(|accept| accept.preference())
        .is_some_and(|mime| mime.type_() == "text" && mime.subtype() == "html");
    // A program (a bearer token or an API key) gets the 401 itself.
    if !prefers_html
        || req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key(API_KEY_HEADER)
    {
        return err.into();
    }
    let mut target = login.clone();
    target
        .query_pairs_mut()
        .append_pair("redirect", req.full_url().as_str());
    ApiError::LoginRedirect(target.to_string())
}
