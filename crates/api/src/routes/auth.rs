//! Sign-up, sign-in, token refresh, sign-out and the caller's sessions.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    delete, get, post, web, HttpRequest, HttpResponse,
};
use domain::{
    auth::{RefreshToken, Registration, SignedIn},
    id::SessionId,
    DomainError,
};

use crate::{
    dto::{
        auth::{
            LoginRequest, LogoutResponse, RefreshRequest, RegisterRequest, SessionResponse,
            TokenResponse, VerifyResponse,
        },
        user::UserResponse,
        validate, PageQuery,
    },
    envelope::{self, Deleted, Envelope},
    error::{ApiResult, ProblemEnvelope},
    extractors::{parse_json, require_json, Authenticated, Client, JsonBody, PathId},
    openapi::{JsonBodyErrors, Protected, RateLimitedResponse, StorageFull},
    settings::AuthSettings,
    state::AppState,
};

/// Creates a local account (the first one becomes ADMIN) and signs it in.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in; the auth cookies are set", body = Envelope<TokenResponse>),
        JsonBodyErrors, StorageFull, RateLimitedResponse,
        (status = 403, description = "Registration disabled, email domain not allowed, or this server does not sign tokens", body = ProblemEnvelope),
        (status = 409, description = "The email is taken", body = ProblemEnvelope),
    ),
    security(())
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    client: Client,
    body: JsonBody<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let input = Registration::parse(&body.email, body.password, &body.name)?;
    let signed_in = state.auth.register(input, &client.0).await?;
    let location = format!("/api/v1/users/{}", signed_in.user.id);
    Ok(with_auth_cookies(
        &state.settings.auth,
        signed_in,
        |tokens| envelope::created(&location, tokens),
    ))
}

/// Signs in with email and password. A wrong email and a wrong password look the same.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the auth cookies are set", body = Envelope<TokenResponse>),
        JsonBodyErrors, StorageFull, RateLimitedResponse,
        (status = 400, description = "Malformed JSON", body = ProblemEnvelope),
        (status = 401, description = "Wrong email or password", body = ProblemEnvelope),
        (status = 403, description = "User suspended, email domain not allowed, or this server does not sign tokens", body = ProblemEnvelope),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    client: Client,
    body: JsonBody<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = validate(body.into_inner())?;
    let signed_in = state
        .auth
        .login(&body.email, body.password, &client.0)
        .await?;
    Ok(with_auth_cookies(
        &state.settings.auth,
        signed_in,
        envelope::ok,
    ))
}

/// Exchanges a refresh token (body or refresh cookie) for a new pair. Each refresh token
/// works once; presenting a used one revokes its whole session.
#[utoipa::path(
    tag = "auth",
    request_body(content = Option<RefreshRequest>, description = "Optional when the refresh cookie is sent"),
    responses(
        (status = 200, description = "A new token pair; the auth cookies are set", body = Envelope<TokenResponse>),
        JsonBodyErrors, StorageFull, RateLimitedResponse,
        (status = 400, description = "Malformed body", body = ProblemEnvelope),
        (status = 401, description = "Unknown, expired or reused refresh token", body = ProblemEnvelope),
        (status = 403, description = "User suspended, email domain no longer allowed, or this server does not sign tokens", body = ProblemEnvelope),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: Client,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let presented = if body.is_empty() {
        req.cookie(&state.settings.auth.refresh_cookie_name())
            .map(|c| c.value().to_owned())
            .ok_or(DomainError::Unauthorized("no refresh token was sent"))?
    } else {
        require_json(&req)?;
        let parsed: RefreshRequest = parse_json(&body)?;
        validate(parsed)?.refresh_token
    };
    let signed_in = state
        .auth
        .refresh(RefreshToken::from_client(presented), &client.0)
        .await?;
    Ok(with_auth_cookies(
        &state.settings.auth,
        signed_in,
        envelope::ok,
    ))
}

/// Ends the current session: its access and refresh tokens stop working. Clears the cookies.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Signed out", body = Envelope<LogoutResponse>),
        Protected, StorageFull,
    ),
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, caller: Authenticated) -> ApiResult<HttpResponse> {
    let caller = caller.into_principal();
    state.auth.logout(&caller).await?;
    let mut response = envelope::ok(LogoutResponse {
        revoked_session_id: caller.session_id.map(|id| id.to_string()),
    });
    for cookie in cookies(&state.settings.auth, "", "") {
        if let Err(err) = response.add_removal_cookie(&cookie) {
            tracing::warn!(error = %err, "could not clear an auth cookie");
        }
    }
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Envelope<UserResponse>),
        Protected,
        (status = 403, description = "Suspended or domain not allowed", body = ProblemEnvelope),
    ),
)]
#[get("/auth/me")]
pub async fn me(caller: Authenticated) -> ApiResult<HttpResponse> {
    Ok(super::users::own_record(caller))
}

/// Checks the credential and shows what it says.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The credential is valid", body = Envelope<VerifyResponse>),
        (status = 401, description = "Missing, invalid, expired or revoked", body = ProblemEnvelope),
        (status = 403, description = "Suspended or domain not allowed", body = ProblemEnvelope),
        RateLimitedResponse,
    ),
)]
#[get("/auth/verify")]
pub async fn verify(caller: Authenticated) -> ApiResult<HttpResponse> {
    Ok(envelope::ok(VerifyResponse::from(caller.into_principal())))
}

/// The caller's live sessions, newest first.
#[utoipa::path(
    tag = "auth",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of active sessions", body = Envelope<Vec<SessionResponse>>),
        Protected,
        (status = 400, description = "Bad limit or cursor", body = ProblemEnvelope),
    ),
)]
#[get("/auth/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = validate(query.into_inner())?.page()?;
    let caller = caller.principal();
    let current = caller.session_id.as_ref();
    let sessions = state.auth.sessions(caller, &page);
    state
        .page_renders
        .render(&page, sessions, |s| {
            let is_current = Some(&s.id) == current;
            SessionResponse::new(s, is_current)
        })
        .await
}

/// Revokes one of the caller's sessions; anyone else's is 404.
#[utoipa::path(
    tag = "auth",
    params(PathId<SessionId>),
    responses(
        (status = 200, description = "Revoked", body = Envelope<Deleted>),
        Protected, StorageFull,
        (status = 404, description = "No such session of the caller's", body = ProblemEnvelope),
    ),
)]
#[delete("/auth/sessions/{id}")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: PathId<SessionId>,
) -> ApiResult<HttpResponse> {
    state.auth.revoke_session(caller.principal(), &id).await?;
    Ok(envelope::deleted(id.as_str()))
}

/// The access token for browsers (sent everywhere) and the refresh token (sent only to
/// the auth endpoints). Both HttpOnly; `Secure` when configured.
fn cookies<'a>(
    auth: &AuthSettings,
    access_token: &'a str,
    refresh_token: &'a str,
) -> [Cookie<'a>; 2] {
    let access = Cookie::build(auth.cookie_name.clone(), access_token)
        .path("/")
        .http_only(true)
        .secure(auth.cookie_secure)
        .same_site(SameSite::Lax)
        .max_age(seconds(auth.access_token_ttl))
        .finish();
    let refresh_cookie = Cookie::build(auth.refresh_cookie_name(), refresh_token)
        .path("/api/v1/auth")
        .http_only(true)
        .secure(auth.cookie_secure)
        .same_site(SameSite::Strict)
        .max_age(seconds(auth.refresh_token_ttl))
        .finish();
    [access, refresh_cookie]
}

/// The answer to a sign-in: the tokens in the body, rendered by `respond`, and in the
/// auth cookies.
fn with_auth_cookies(
    auth: &AuthSettings,
    signed_in: SignedIn,
    respond: impl FnOnce(TokenResponse) -> HttpResponse,
) -> HttpResponse {
    let mut response = respond(TokenResponse::from(signed_in.clone()));
    for cookie in cookies(
        auth,
        &signed_in.access_token,
        signed_in.refresh_token.expose(),
    ) {
        if let Err(err) = response.add_cookie(&cookie) {
            tracing::warn!(error = %err, "could not set an auth cookie");
        }
    }
    response
}

fn seconds(duration: std::time::Duration) -> CookieDuration {
    CookieDuration::seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
}
