//! The rules of signing in and of trusting a token.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{
    AuthPolicy, Claims, ClientInfo, Password, PasswordHasher, Principal, RefreshToken, Rotation,
    Session, SessionRepository, SignedIn, TokenCodec,
};
use serde_json::json;

use crate::{
    audit::{AuditAction, AuditLog, NewAuditEntry},
    id::{SessionId, UserId},
    pagination::{Page, PageRequest},
    rate_limit::RateLimitService,
    time::{self, Timestamp},
    user::{Email, NewUser, PasswordHash, Role, User, UserName, UserRepository, UserStatus},
    DomainError, DomainResult,
};

/// A valid Argon2id hash of a random password: checked when the email is unknown, so that
/// an unknown email takes as long to refuse as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Vv5k8bCt2pVbvuTOJCsPnOeD2JS0ZTQXMkN3Ifo5ys";

const INVALID_CREDENTIALS: &str = "invalid email or password";

pub struct AuthService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    policy: AuthPolicy,
    /// Sign-in attempts per client address and per email; none when unset.
    rate_limits: Option<Arc<RateLimitService>>,
    /// Where failed sign-ins are recorded; none when unset.
    audit: Option<Arc<dyn AuditLog>>,
}

/// The fields of a registration, parsed.
#[derive(Clone, Debug)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub name: UserName,
}

impl Registration {
    pub fn parse(email: &str, password: String, name: &str) -> DomainResult<Self> {
        let mut v = crate::error::Validator::new();
        let email = v.check("email", Email::parse(email));
        let password = v.check("password", Password::parse(password));
        let name = v.check("name", UserName::parse(name));
        v.finish()?;
        match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Ok(Self {
                email,
                password,
                name,
            }),
            _ => Err(DomainError::invalid("", "invalid registration")),
        }
    }
}

impl AuthService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenCodec>,
        policy: AuthPolicy,
    ) -> Self {
        Self {
            users,
            sessions,
            hasher,
            tokens,
            policy,
            rate_limits: None,
            audit: None,
        }
    }

    /// Records failed sign-ins in `log` (successes and other session changes are
    /// recorded by the session repository, in their own transactions).
    pub fn with_audit(mut self, log: Arc<dyn AuditLog>) -> Self {
        self.audit = Some(log);
        self
    }

    /// Limits sign-in attempts with `limits` (`RateLimitService::admit_login`).
    pub fn with_rate_limits(mut self, limits: Arc<RateLimitService>) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Creates a local account and signs it in. The very first account becomes ADMIN.
    #[tracing::instrument(skip_all, fields(email = %input.email))]
    pub async fn register(
        &self,
        input: Registration,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        if !self.policy.allow_registration {
            return Err(DomainError::Forbidden("registration is disabled"));
        }
        self.ensure_local_sign_in()?;
        self.policy.allowed_domains.require(&input.email)?;
        let password_hash = self.hasher.hash(&input.password).await?;
        let mut new_user = NewUser {
            id: UserId::generate(),
            email: input.email,
            name: input.name,
            role: Role::User,
            password_hash: Some(password_hash),
            external_subject: None,
            created_at: time::now(),
        };
        let audit = |user: &NewUser| {
            NewAuditEntry::new(AuditAction::UserCreated, client)
                .actor(&user.id, user.email.as_str())
                .on("user", &user.id)
                .details(json!({ "email": user.email.as_str(), "role": user.role.as_str(), "via": "registration" }))
        };
        // The count is only a shortcut; the repository decides the race for the first slot.
        if self.users.count().await? == 0 {
            new_user.role = Role::Admin;
            if let Some(admin) = self
                .users
                .insert_as_first_admin(&new_user, &audit(&new_user))
                .await?
            {
                return self.start_session(admin, client).await;
            }
            new_user.role = Role::User;
        }
        let user = self.users.insert(&new_user, &audit(&new_user)).await?;
        self.start_session(user, client).await
    }

    /// Checks an email and password. Unknown email and wrong password are the same 401.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: String,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        // Malformed input cannot match an account; answering like a wrong password keeps
        // the login endpoint from telling anything about its rules or its users.
        self.ensure_local_sign_in()?;
        if let Some(limits) = &self.rate_limits {
            let ip = client.ip.as_deref().and_then(|ip| ip.parse().ok());
            limits.admit_login(email, ip).await?;
        }
        match self.check_credentials(email, password).await {
            Ok(user) => self.start_session(user, client).await,
            Err(refusal @ (DomainError::Unauthorized(_) | DomainError::Forbidden(_))) => {
                self.record_failed_login(email, client, &refusal).await;
                Err(refusal)
            }
            Err(other) => Err(other),
        }
    }

    /// Appends `auth.login.failed` with the email tried. A failure to record it is logged,
    /// not answered: the caller gets the refusal they earned either way.
    async fn record_failed_login(&self, email: &str, client: &ClientInfo, refusal: &DomainError) {
        let Some(log) = &self.audit else {
            return;
        };
        let entry = NewAuditEntry::new(AuditAction::AuthLoginFailed, client)
            .attempted_email(email)
            .failed()
            .details(json!({ "reason": refusal.to_string() }));
        if let Err(err) = log.append(&entry).await {
            tracing::error!(error = %err, "could not record a failed sign-in in the audit log");
        }
    }

    /// The active account these credentials open.
    async fn check_credentials(&self, email: &str, password: String) -> DomainResult<User> {
        let (Ok(email), Ok(password)) = (Email::parse(email), Password::parse(password)) else {
            return Err(DomainError::Unauthorized(INVALID_CREDENTIALS));
        };
        let credentials = self.users.find_credentials(&email).await?;
        let stored_hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
        let matches = self
            .hasher
            .verify(
                &password,
                stored_hash
                    .as_ref()
                    .unwrap_or(&PasswordHash::new(DUMMY_HASH.to_owned())),
            )
            .await?;
        let user = match credentials {
            Some(credentials) if matches && stored_hash.is_some() => credentials.user,
            _ => return Err(DomainError::Unauthorized(INVALID_CREDENTIALS)),
        };
        self.policy.allowed_domains.require(&user.email)?;
        ensure_active(&user)?;
        Ok(user)
    }

    /// Exchanges a refresh token for a new pair. A token presented a second time means it
    /// leaked: the whole session is revoked and every token of it stops working.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(
        &self,
        presented: RefreshToken,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        self.ensure_local_sign_in()?;
        let now = time::now();
        let old_hash = presented.hash();
        let Some(record) = self.sessions.find_by_refresh_token(&old_hash).await? else {
            return Err(DomainError::Unauthorized("invalid refresh token"));
        };
        let session = record.session;
        if !session.is_active(now) {
            return Err(DomainError::Unauthorized("session has ended"));
        }
        if record.used_at.is_some() {
            return self.revoke_for_reuse(&session, now, client).await;
        }
        let user = self.active_user(&session.user_id).await?;
        let next = RefreshToken::generate();
        let expires_at = now + self.refresh_ttl();
        let rotation = self
            .sessions
            .rotate(&session.id, &old_hash, &next.hash(), now, expires_at)
            .await?;
        if rotation == Rotation::AlreadyUsed {
            return self.revoke_for_reuse(&session, now, client).await;
        }
        self.signed_in(user, session.id, next)
    }

    /// Ends the caller's current session. A token without a session (minted elsewhere)
    /// has nothing to end.
    #[tracing::instrument(skip_all, fields(user = %caller.user.id))]
    pub async fn logout(&self, caller: &Principal) -> DomainResult<()> {
        require_token(caller)?;
        match &caller.session_id {
            Some(id) => {
                let audit = NewAuditEntry::by(caller, AuditAction::AuthLogout).on("session", id);
                self.sessions.revoke(id, time::now(), &audit).await
            }
            None => Ok(()),
        }
    }

    /// A page of the caller's active sessions, newest first.
    pub async fn sessions(
        &self,
        caller: &Principal,
        page: &PageRequest,
    ) -> DomainResult<Page<Session>> {
        require_token(caller)?;
        self.sessions
            .list_active(&caller.user.id, time::now(), page)
            .await
    }

    /// Revokes one of the caller's own sessions; anybody else's is "not found".
    #[tracing::instrument(skip_all, fields(user = %caller.user.id, session = %id))]
    pub async fn revoke_session(&self, caller: &Principal, id: &SessionId) -> DomainResult<()> {
        require_token(caller)?;
        let now = time::now();
        match self.sessions.find(id).await? {
            Some(session) if session.user_id == caller.user.id && session.is_active(now) => {
                let audit =
                    NewAuditEntry::by(caller, AuditAction::SessionRevoked).on("session", id);
                self.sessions.revoke(id, now, &audit).await
            }
            _ => Err(DomainError::NotFound("session")),
        }
    }

    /// Turns a bearer token into the caller. Runs on every authenticated request: the
    /// user's status and the session are read afresh, so suspension and logout act at once.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, token: &str) -> DomainResult<Principal> {
        let claims = self.tokens.verify(token)?;
        let email = Email::parse(&claims.email)
            .map_err(|_| DomainError::Unauthorized("token has no valid email"))?;
        self.policy.allowed_domains.require(&email)?;

        // Our tokens name one of our sessions; an identity provider's own `sid` (any other
        // shape) marks nothing of ours, and the token is treated as external.
        let session_id = claims
            .session_id
            .as_deref()
            .and_then(|raw| SessionId::parse(raw).ok());
        let user = match &session_id {
            // Our own tokens: the session must still be live and belong to the subject.
            Some(id) => {
                let session = self.sessions.find(id).await?;
                match session {
                    Some(s) if s.is_active(time::now()) && s.user_id.as_str() == claims.subject => {
                        self.users
                            .find(&s.user_id)
                            .await?
                            .ok_or(DomainError::Unauthorized("session has ended"))?
                    }
                    _ => return Err(DomainError::Unauthorized("session has ended")),
                }
            }
            // A token minted by an external auth service: known subject, or provisioned.
            None => self.provisioned_user(&claims, email).await?,
        };
        ensure_active(&user)?;
        Ok(Principal {
            user,
            role: claims.role,
            session_id,
            claims,
            api_key: None,
            client: ClientInfo::default(),
        })
    }

    async fn provisioned_user(&self, claims: &Claims, email: Email) -> DomainResult<User> {
        if let Some(user) = self.users.find_by_external_subject(&claims.subject).await? {
            return Ok(user);
        }
        let name = UserName::parse(&claims.name)
            .or_else(|_| UserName::parse(email.as_str()))
            .map_err(|_| DomainError::Unauthorized("token has no usable name"))?;
        let new_user = NewUser {
            id: UserId::generate(),
            email: email.clone(),
            name,
            role: claims.role,
            password_hash: None,
            external_subject: Some(claims.subject.clone()),
            created_at: time::now(),
        };
        let audit = NewAuditEntry::new(AuditAction::UserCreated, &ClientInfo::default())
            .actor(&new_user.id, new_user.email.as_str())
            .on("user", &new_user.id)
            .details(json!({ "email": new_user.email.as_str(), "role": new_user.role.as_str(), "via": "external token" }));
        match self.users.insert(&new_user, &audit).await {
            Ok(user) => Ok(user),
            // Two first requests raced, or an account has this email already: one an
            // ADMIN made for single sign-on is linked; one with a password is not taken over.
            Err(DomainError::Conflict(_)) => {
                if let Some(user) = self.users.find_by_external_subject(&claims.subject).await? {
                    return Ok(user);
                }
                if let Some(user) = self
                    .users
                    .link_external_subject(&email, &claims.subject)
                    .await?
                {
                    return Ok(user);
                }
                Err(DomainError::Forbidden(
                    "an account with this email exists; sign in to it directly",
                ))
            }
            Err(other) => Err(other),
        }
    }

    async fn start_session(&self, user: User, client: &ClientInfo) -> DomainResult<SignedIn> {
        let now = time::now();
        let refresh = RefreshToken::generate();
        let session_id = SessionId::generate();
        let audit = NewAuditEntry::new(AuditAction::AuthLoginSucceeded, client)
            .actor(&user.id, user.email.as_str())
            .on("session", &session_id);
        let session = self
            .sessions
            .create(
                &session_id,
                &user.id,
                &refresh.hash(),
                &truncated(client),
                now,
                now + self.refresh_ttl(),
                &audit,
            )
            .await?;
        self.signed_in(user, session.id, refresh)
    }

    fn signed_in(
        &self,
        user: User,
        session_id: SessionId,
        refresh_token: RefreshToken,
    ) -> DomainResult<SignedIn> {
        let now = time::now().timestamp();
        let ttl = self.policy.access_token_ttl;
        let access_token = self.tokens.issue(&Claims {
            subject: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
            role: user.role,
            issued_at: now,
            expires_at: now + ttl.as_secs() as i64,
            session_id: Some(session_id.to_string()),
        })?;
        Ok(SignedIn {
            user,
            session_id,
            access_token,
            expires_in: ttl,
            refresh_token,
        })
    }

    /// Refuses before anything is written when this server cannot sign tokens.
    fn ensure_local_sign_in(&self) -> DomainResult<()> {
        if self.tokens.can_issue() {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "local sign-in is disabled: tokens are issued by the external auth service",
            ))
        }
    }

    async fn active_user(&self, id: &UserId) -> DomainResult<User> {
        let user = self
            .users
            .find(id)
            .await?
            .ok_or(DomainError::Unauthorized("session has ended"))?;
        ensure_active(&user)?;
        self.policy.allowed_domains.require(&user.email)?;
        Ok(user)
    }

    async fn revoke_for_reuse(
        &self,
        session: &Session,
        now: Timestamp,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        tracing::warn!(session = %session.id, user = %session.user_id, "refresh token reused; session revoked");
        // The presenter may be the thief: the entry names the session's owner as the
        // account concerned, and the presenter's address.
        let mut audit = NewAuditEntry::new(AuditAction::AuthRefreshReused, client)
            .on("session", &session.id)
            .failed();
        audit.actor_id = Some(session.user_id.clone());
        self.sessions.revoke(&session.id, now, &audit).await?;
        Err(DomainError::Unauthorized(
            "refresh token was already used; the session has been revoked",
        ))
    }

    fn refresh_ttl(&self) -> ChronoDuration {
        ChronoDuration::from_std(self.policy.refresh_token_ttl).unwrap_or(ChronoDuration::days(30))
    }
}

/// Sessions are a person's sign-ins: an API key neither lists, ends nor logs out of them.
fn require_token(caller: &Principal) -> DomainResult<()> {
    if caller.api_key.is_some() {
        return Err(DomainError::Forbidden(
            "API keys cannot manage sessions; sign in with a token",
        ));
    }
    Ok(())
}

fn ensure_active(user: &User) -> DomainResult<()> {
    match user.status {
        UserStatus::Active => Ok(()),
        UserStatus::Suspended => Err(DomainError::Forbidden("user is suspended")),
    }
}

/// Bounds what a client can make us store about itself.
fn truncated(client: &ClientInfo) -> ClientInfo {
    let cut = |s: &Option<String>, n: usize| s.as_ref().map(|v| v.chars().take(n).collect());
    ClientInfo {
        user_agent: cut(&client.user_agent, 512),
        ip: cut(&client.ip, 64),
    }
}
