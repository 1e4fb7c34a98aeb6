//! Access tokens as JWTs, with `jsonwebtoken`.
//!
//! The algorithm is pinned by configuration: a token whose header names any other
//! algorithm (`none` included) is refused before its signature is looked at. HS256 uses a
//! shared secret; RS256 and ES256 verify with a public key, for tokens minted by an external
//! auth service, and can also sign when the private key is configured.

use domain::{
    auth::{Claims, TokenCodec},
    user::Role,
    DomainError, DomainResult,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Leeway for `exp` and `nbf`, for clocks that disagree a little (the contract allows 60 s).
const LEEWAY_SECONDS: u64 = 30;

/// The signing setup, as configured.
#[derive(Clone, Debug)]
pub enum JwtKeys {
    Hs256 {
        secret: SecretString,
    },
    Rs256 {
        public_pem: String,
        private_pem: Option<SecretString>,
    },
    Es256 {
        public_pem: String,
        private_pem: Option<SecretString>,
    },
}

#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub keys: JwtKeys,
    /// When set, issued tokens carry it and verified tokens must.
    pub issuer: Option<String>,
    /// When set, issued tokens carry it and verified tokens must.
    pub audience: Option<String>,
}

pub struct JwtCodec {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
}

/// The claims as they travel.
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    /// Tokens from elsewhere may carry no role: they act as USER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    exp: i64,
    #[serde(default)]
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    /// A string or a list of strings (RFC 7519 §4.1.3); checked by `Validation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<serde_json::Value>,
}

impl JwtCodec {
    pub fn new(settings: JwtSettings) -> anyhow::Result<Self> {
        let (algorithm, encoding, decoding) = match &settings.keys {
            JwtKeys::Hs256 { secret } => {
                let bytes = secret.expose_secret().as_bytes();
                (
                    Algorithm::HS256,
                    Some(EncodingKey::from_secret(bytes)),
                    DecodingKey::from_secret(bytes),
                )
            }
            JwtKeys::Rs256 {
                public_pem,
                private_pem,
            } => (
                Algorithm::RS256,
                private_pem
                    .as_ref()
                    .map(|p| EncodingKey::from_rsa_pem(p.expose_secret().as_bytes()))
                    .transpose()?,
                DecodingKey::from_rsa_pem(public_pem.as_bytes())?,
            ),
            JwtKeys::Es256 {
                public_pem,
                private_pem,
            } => (
                Algorithm::ES256,
                private_pem
                    .as_ref()
                    .map(|p| EncodingKey::from_ec_pem(p.expose_secret().as_bytes()))
                    .transpose()?,
                DecodingKey::from_ec_pem(public_pem.as_bytes())?,
            ),
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if settings.issuer.is_some() {
            required.push("iss");
        }
        if settings.audience.is_some() {
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        match &settings.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &settings.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        Ok(Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: settings.issuer,
            audience: settings.audience,
        })
    }
}

impl TokenCodec for JwtCodec {
    fn can_issue(&self) -> bool {
        self.encoding.is_some()
    }

    fn issue(&self, claims: &Claims) -> DomainResult<String> {
        let Some(key) = &self.encoding else {
            return Err(DomainError::Forbidden(
                "local sign-in is disabled: tokens are issued by the external auth service",
            ));
        };
        let wire = WireClaims {
            sub: claims.subject.clone(),
            email: claims.email.clone(),
            name: Some(claims.name.clone()),
            domain: claims.email.rsplit_once('@').map(|(_, d)| d.to_owned()),
            role: Some(claims.role.as_str().to_owned()),
            exp: claims.expires_at,
            iat: claims.issued_at,
            sid: claims.session_id.clone(),
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(serde_json::Value::String),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &wire, key)
            .map_err(|e| DomainError::Unexpected(anyhow::anyhow!("signing a token failed: {e}")))
    }

    fn verify(&self, token: &str) -> DomainResult<Claims> {
        let data = jsonwebtoken::decode::<WireClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                tracing::debug!(error = %e, "token refused");
                DomainError::Unauthorized("invalid or expired token")
            })?;
        let wire = data.claims;
        let role = match wire.role.as_deref() {
            None => Role::User,
            Some(raw) => Role::parse(raw)
                .map_err(|_| DomainError::Unauthorized("token has an unknown role"))?,
        };
        Ok(Claims {
            name: wire.name.unwrap_or_else(|| wire.email.clone()),
            subject: wire.sub,
            email: wire.email,
            role,
            issued_at: wire.iat,
            expires_at: wire.exp,
            session_id: wire.sid,
        })
    }
}
