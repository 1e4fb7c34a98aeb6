//! Who may sign in and how: token signing, lifetimes, allowed domains, cookies.

use std::time::Duration;

use infrastructure::tokens::{JwtKeys, JwtSettings};
use secrecy::SecretString;

use super::reader::Reader;

#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub jwt: JwtSettings,
    /// True when no `JWT_SECRET` was given and a random one is in use (development only).
    pub jwt_secret_generated: bool,
    pub allowed_domains: Vec<String>,
    pub allow_registration: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// The cookie holding the access token.
    pub cookie_name: String,
    pub cookie_secure: bool,
    /// Where a browser without credentials is sent instead of getting a 401.
    pub redirect_url: Option<url::Url>,
}

impl AuthSettings {
    /// The cookie holding the refresh token, beside the access-token cookie.
    pub fn refresh_cookie_name(&self) -> String {
        format!("{}_refresh", self.cookie_name)
    }
}

pub(super) fn read(r: &mut Reader<'_>, production: bool) -> AuthSettings {
    let (jwt, jwt_secret_generated) = jwt(r, production);
    let allowed_domains = r.list("ALLOWED_DOMAINS", "rpotential.ai,globant.com");
    if allowed_domains.is_empty() {
        r.fail("ALLOWED_DOMAINS", "must name at least one domain".into());
    }
    AuthSettings {
        jwt,
        jwt_secret_generated,
        allowed_domains,
        allow_registration: r.flag("ALLOW_REGISTRATION", true),
        access_token_ttl: r.seconds("ACCESS_TOKEN_TTL_SECONDS", 900, 60..=86_400),
        refresh_token_ttl: r.seconds("REFRESH_TOKEN_TTL_SECONDS", 2_592_000, 3_600..=31_536_000),
        cookie_name: cookie_name(r),
        cookie_secure: r.flag("COOKIE_SECURE", production),
        redirect_url: redirect_url(r),
    }
}

fn cookie_name(r: &mut Reader<'_>) -> String {
    let name = r.text("AUTH_COOKIE_NAME", "rpotential_auth");
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        r.fail("AUTH_COOKIE_NAME", "must be letters, digits, _ or -".into());
    }
    name
}

fn redirect_url(r: &mut Reader<'_>) -> Option<url::Url> {
    let raw = r.optional("AUTH_REDIRECT_URL")?;
    match url::Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
        _ => {
            r.fail(
                "AUTH_REDIRECT_URL",
                "must be an absolute http(s) URL".into(),
            );
            None
        }
    }
}

/// The signing keys and whether the secret was made up for this run.
fn jwt(r: &mut Reader<'_>, production: bool) -> (JwtSettings, bool) {
    let issuer = r.optional("JWT_ISSUER");
    let audience = r.optional("JWT_AUDIENCE");
    let algorithm = r.text("JWT_ALGORITHM", "HS256");
    let mut generated = false;
    let keys = match algorithm.as_str() {
        "RS256" | "ES256" => {
            let public_pem = r.file_contents("JWT_PUBLIC_KEY_FILE");
            if public_pem.is_none() && r.optional("JWT_PUBLIC_KEY_FILE").is_none() {
                r.fail(
                    "JWT_PUBLIC_KEY_FILE",
                    format!("is required with JWT_ALGORITHM={algorithm}"),
                );
            }
            let private_pem = r
                .file_contents("JWT_PRIVATE_KEY_FILE")
                .map(SecretString::from);
            let public_pem = public_pem.unwrap_or_default();
            if algorithm == "RS256" {
                JwtKeys::Rs256 {
                    public_pem,
                    private_pem,
                }
            } else {
                JwtKeys::Es256 {
                    public_pem,
                    private_pem,
                }
            }
        }
        "HS256" => {
            let secret = match r.optional("JWT_SECRET") {
                Some(secret) if secret.len() >= 32 => secret,
                Some(_) => {
                    r.fail("JWT_SECRET", "must be at least 32 characters".into());
                    String::new()
                }
                None if production => {
                    r.fail("JWT_SECRET", "is required when APP_ENV=production".into());
                    String::new()
                }
                None => {
                    generated = true;
                    random_secret()
                }
            };
            JwtKeys::Hs256 {
                secret: SecretString::from(secret),
            }
        }
        other => {
            r.fail(
                "JWT_ALGORITHM",
                format!("must be HS256, RS256 or ES256, not {other:?}"),
            );
            JwtKeys::Hs256 {
                secret: SecretString::from(String::new()),
            }
        }
    };
    let settings = JwtSettings {
        keys,
        issuer,
        audience,
    };
    (settings, generated)
}

fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
