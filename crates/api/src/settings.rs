//! Typed configuration, read once from the environment (and an optional `.env` file),
//! checked at start with one message per bad value, and passed explicitly from there on.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use infrastructure::{
    database::DatabaseSettings,
    tokens::{JwtKeys, JwtSettings},
};
use secrecy::SecretString;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub environment: Environment,
    pub bind_addr: SocketAddr,
    pub database: DatabaseSettings,
    pub auto_migrate: bool,
    pub jwt: JwtSettings,
    /// True when no `JWT_SECRET` was given and a random one is in use (development only).
    pub jwt_secret_generated: bool,
    pub allowed_domains: Vec<String>,
    pub auth_cookie_name: String,
    pub cookie_secure: bool,
    pub auth_redirect_url: Option<url::Url>,
    pub allow_registration: bool,
    pub cors_origins: Vec<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub log_format: LogFormat,
    pub json_body_limit: usize,
    /// How long user and session lookups are cached; zero turns the cache off.
    pub auth_cache_ttl: Duration,
    pub thread_cache_ttl: Duration,
    /// Memory that the list responses being built at one time may hold between them.
    pub response_memory_budget: usize,
    pub hsts: bool,
    pub workers: Option<usize>,
    pub files: FileSettings,
    pub connections: ConnectionSettings,
    /// How long an `Idempotency-Key` claim may go without committing before a retry takes
    /// it over; longer than any request may run.
    pub idempotency_lease: Duration,
}

/// Deadlines and limits that keep stalled or idle clients from holding the server.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// A client must send its request headers within this (actix answers 408 and closes).
    pub request_header_timeout: Duration,
    /// A request body that sends nothing for this long is given up (408, closed); uploads
    /// use `FileSettings::upload_idle_timeout` instead.
    pub request_body_idle_timeout: Duration,
    /// Open connections across all workers; more wait in the listen backlog.
    pub max_connections: usize,
    /// Open connections from one client IP; zero turns the limit off.
    pub max_connections_per_ip: usize,
}

#[derive(Clone, Debug)]
pub struct FileSettings {
    /// A directory, `memory://`, or `s3://bucket/prefix`.
    pub storage_url: String,
    pub max_upload_bytes: u64,
    /// How often orphaned bytes and abandoned uploads are swept; zero turns it off.
    pub sweep_interval: Duration,
    /// Bytes and partial uploads younger than this are never swept.
    pub sweep_grace: Duration,
    /// An upload that sends nothing for this long is given up (408) and its bytes go.
    pub upload_idle_timeout: Duration,
}

/// Every bad value, each named by its variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct SettingsError(pub Vec<String>);

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads settings from a map of variables; unknown variables are ignored.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut r = Reader {
            vars,
            errors: Vec::new(),
        };
        let environment = match r.text("APP_ENV", "development").as_str() {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => {
                r.fail(
                    "APP_ENV",
                    format!("must be development or production, not {other:?}"),
                );
                Environment::Development
            }
        };
        let production = environment == Environment::Production;
        let bind_addr = r.parse("BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)));
        let database = DatabaseSettings {
            url: r.text("DATABASE_URL", "sqlite://./data/experience.db"),
            max_connections: r.parse("DATABASE_MAX_CONNECTIONS", 16),
            min_connections: r.parse("DATABASE_MIN_CONNECTIONS", 1),
            schema: r.optional("DATABASE_SCHEMA"),
        };
        if let Err(err) = infrastructure::database::Backend::of(&database.url) {
            r.fail("DATABASE_URL", err.to_string());
        }
        let auto_migrate = r.flag("AUTO_MIGRATE", true);
        let (jwt, jwt_secret_generated) = r.jwt(production);
        let allowed_domains = r.list("ALLOWED_DOMAINS", "rpotential.ai,globant.com");
        if allowed_domains.is_empty() {
            r.fail("ALLOWED_DOMAINS", "must name at least one domain".into());
        }
        let auth_cookie_name = r.text("AUTH_COOKIE_NAME", "rpotential_auth");
        if auth_cookie_name.is_empty()
            || !auth_cookie_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            r.fail("AUTH_COOKIE_NAME", "must be letters, digits, _ or -".into());
        }
        let cookie_secure = r.flag("COOKIE_SECURE", production);
        let auth_redirect_url =
            r.optional("AUTH_REDIRECT_URL")
                .and_then(|raw| match url::Url::parse(&raw) {
                    Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                    _ => {
                        r.fail(
                            "AUTH_REDIRECT_URL",
                            "must be an absolute http(s) URL".into(),
                        );
                        None
                    }
                });
        let allow_registration = r.flag("ALLOW_REGISTRATION", true);
        let cors_origins = r.list("CORS_ORIGINS", "");
        for origin in &cors_origins {
            let valid = url::Url::parse(origin).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.has_host()
                    && u.path() == "/"
                    && !origin.ends_with('/')
            });
            if !valid {
                r.fail(
                    "CORS_ORIGINS",
                    format!("{origin:?} is not an origin like https://app.example.com"),
                );
            }
        }
        let access_token_ttl = r.seconds("ACCESS_TOKEN_TTL_SECONDS", 900, 60..=86_400);
        let refresh_token_ttl =
            r.seconds("REFRESH_TOKEN_TTL_SECONDS", 2_592_000, 3_600..=31_536_000);
        let log_format = match r
            .text("LOG_FORMAT", if production { "json" } else { "pretty" })
            .as_str()
        {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                r.fail(
                    "LOG_FORMAT",
                    format!("must be pretty or json, not {other:?}"),
                );
                LogFormat::Pretty
            }
        };
        let json_body_limit = r.parse("JSON_BODY_LIMIT_BYTES", 1024 * 1024);
        // One SQLite file has one server, which sees every write and keeps the cache exact;
        // PostgreSQL may have several, whose writes a local cache would not see.
        let sqlite = database.url.starts_with("sqlite:");
        let auth_cache_ttl =
            Duration::from_secs(r.parse("AUTH_CACHE_TTL_SECONDS", if sqlite { 30 } else { 0 }));
        let thread_cache_ttl =
            Duration::from_secs(r.parse("THREAD_CACHE_TTL_SECONDS", if sqlite { 30 } else { 0 }));
        let response_memory_budget = r
            .parse::<usize>("RESPONSE_MEMORY_BUDGET_MIB", 128)
            .saturating_mul(1024 * 1024);
        let hsts = r.flag("HSTS", false);
        let workers = r.optional("WORKERS").and_then(|raw| match raw.parse() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                r.fail("WORKERS", "must be a positive whole number".into());
                None
            }
        });
        let files = FileSettings {
            storage_url: r.text("FILE_STORAGE_URL", "./data/files"),
            max_upload_bytes: r.parse("MAX_UPLOAD_BYTES", 100 * 1024 * 1024),
            sweep_interval: Duration::from_secs(r.parse("FILE_SWEEP_INTERVAL_SECONDS", 3_600)),
            sweep_grace: r.seconds("FILE_SWEEP_GRACE_SECONDS", 3_600, 60..=604_800),
            upload_idle_timeout: r.seconds("UPLOAD_IDLE_TIMEOUT_SECONDS", 60, 1..=3_600),
        };
        let connections = ConnectionSettings {
            request_header_timeout: r.seconds("REQUEST_HEADER_TIMEOUT_SECONDS", 10, 1..=300),
            request_body_idle_timeout: r.seconds(
                "REQUEST_BODY_IDLE_TIMEOUT_SECONDS",
                30,
                1..=3_600,
            ),
            max_connections: r.parse("MAX_CONNECTIONS", 10_000),
            max_connections_per_ip: r.parse("MAX_CONNECTIONS_PER_IP", 256),
        };
        let idempotency_lease = r.seconds("IDEMPOTENCY_LEASE_SECONDS", 60, 1..=3_600);
        if connections.max_connections == 0 {
            r.fail("MAX_CONNECTIONS", "must be a positive whole number".into());
        }
        if r.errors.is_empty() {
            Ok(Self {
                environment,
                bind_addr,
                database,
                auto_migrate,
                jwt,
                jwt_secret_generated,
                allowed_domains,
                auth_cookie_name,
                cookie_secure,
                auth_redirect_url,
                allow_registration,
                cors_origins,
                access_token_ttl,
                refresh_token_ttl,
                log_format,
                json_body_limit,
                auth_cache_ttl,
                thread_cache_ttl,
                response_memory_budget,
                hsts,
                workers,
                files,
                connections,
                idempotency_lease,
            })
        } else {
            Err(SettingsError(r.errors))
        }
    }

    /// The cookie holding the refresh token, beside the access-token cookie.
    pub fn refresh_cookie_name(&self) -> String {
        format!("{}_refresh", self.auth_cookie_name)
    }
}

struct Reader<'a> {
    vars: &'a HashMap<String, String>,
    errors: Vec<String>,
}

impl Reader<'_> {
    fn fail(&mut self, name: &str, message: String) {
        self.errors.push(format!("{name}: {message}"));
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn text(&self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_owned())
    }

    fn list(&self, name: &str, default: &str) -> Vec<String> {
        self.text(name, default)
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The variable parsed, or `default` when it is not set.
    fn parse<T: std::str::FromStr>(&mut self, name: &str, default: T) -> T {
        let Some(raw) = self.optional(name) else {
            return default;
        };
        raw.parse().unwrap_or_else(|_| {
            self.fail(name, format!("cannot read {raw:?}"));
            default
        })
    }

    /// A number of seconds within `range`.
    fn seconds(
        &mut self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Duration {
        let value = self.parse(name, default);
        if !range.contains(&value) {
            self.fail(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            );
        }
        Duration::from_secs(value)
    }

    fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.optional(name).as_deref() {
            None => default,
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                self.fail(name, format!("must be true or false, not {other:?}"));
                default
            }
        }
    }

    fn pem(&mut self, name: &str) -> Option<String> {
        let path = self.optional(name)?;
        match std::fs::read_to_string(&path) {
            Ok(pem) => Some(pem),
            Err(err) => {
                self.fail(name, format!("cannot read {path}: {err}"));
                None
            }
        }
    }

    fn jwt(&mut self, production: bool) -> (JwtSettings, bool) {
        let issuer = self.optional("JWT_ISSUER");
        let audience = self.optional("JWT_AUDIENCE");
        let algorithm = self.text("JWT_ALGORITHM", "HS256");
        let mut generated = false;
        let keys = match algorithm.as_str() {
            "RS256" | "ES256" => {
                let public_pem = self.pem("JWT_PUBLIC_KEY_FILE");
                if public_pem.is_none() && self.optional("JWT_PUBLIC_KEY_FILE").is_none() {
                    self.fail(
                        "JWT_PUBLIC_KEY_FILE",
                        format!("is required with JWT_ALGORITHM={algorithm}"),
                    );
                }
                let private_pem = self.pem("JWT_PRIVATE_KEY_FILE").map(SecretString::from);
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
                let secret = match self.optional("JWT_SECRET") {
                    Some(secret) if secret.len() >= 32 => secret,
                    Some(_) => {
                        self.fail("JWT_SECRET", "must be at least 32 characters".into());
                        String::new()
                    }
                    None if production => {
                        self.fail("JWT_SECRET", "is required when APP_ENV=production".into());
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
                self.fail(
                    "JWT_ALGORITHM",
                    format!("must be HS256, RS256 or ES256, not {other:?}"),
                );
                JwtKeys::Hs256 {
                    secret: SecretString::from(String::new()),
                }
            }
        };
        (
            JwtSettings {
                keys,
                issuer,
                audience,
            },
            generated,
        )
    }
}

fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_give_a_working_development_setup() {
        let settings = Settings::from_vars(&HashMap::new()).map_err(|e| e.to_string());
        let settings = settings.as_ref();
        assert_eq!(
            settings.map(|s| s.database.url.as_str()),
            Ok("sqlite://./data/experience.db")
        );
        assert_eq!(settings.map(|s| s.jwt_secret_generated), Ok(true));
        assert_eq!(
            settings.map(|s| s.auth_cookie_name.as_str()),
            Ok("rpotential_auth")
        );
    }

    #[test]
    fn file_settings_have_defaults_and_refuse_bad_values() {
        let settings = Settings::from_vars(&HashMap::new()).map_err(|e| e.to_string());
        let files = settings.as_ref().map(|s| s.files.clone());
        assert_eq!(
            files
                .as_ref()
                .map(|f| (f.storage_url.as_str(), f.max_upload_bytes)),
            Ok(("./data/files", 100 * 1024 * 1024))
        );
        assert_eq!(
            files.map(|f| (f.sweep_interval, f.sweep_grace, f.upload_idle_timeout)),
            Ok((
                Duration::from_secs(3_600),
                Duration::from_secs(3_600),
                Duration::from_secs(60)
            ))
        );
        let err = Settings::from_vars(&vars(&[
            ("MAX_UPLOAD_BYTES", "lots"),
            ("FILE_SWEEP_GRACE_SECONDS", "5"),
            ("UPLOAD_IDLE_TIMEOUT_SECONDS", "0"),
        ]))
        .map(|_| ())
        .map_err(|e| e.to_string());
        let Err(message) = err else {
            panic!("bad file settings were accepted");
        };
        for name in [
            "MAX_UPLOAD_BYTES",
            "FILE_SWEEP_GRACE_SECONDS",
            "UPLOAD_IDLE_TIMEOUT_SECONDS",
        ] {
            assert!(message.contains(name), "{message}");
        }
    }

    #[test]
    fn connection_settings_have_defaults_and_refuse_bad_values() {
        let settings = Settings::from_vars(&HashMap::new()).map_err(|e| e.to_string());
        let connections = settings.map(|s| s.connections);
        assert_eq!(
            connections.as_ref().map(|c| (
                c.request_header_timeout,
                c.request_body_idle_timeout,
                c.max_connections,
                c.max_connections_per_ip
            )),
            Ok((
                Duration::from_secs(10),
                Duration::from_secs(30),
                10_000,
                256
            ))
        );
        let err = Settings::from_vars(&vars(&[
            ("REQUEST_HEADER_TIMEOUT_SECONDS", "0"),
            ("REQUEST_BODY_IDLE_TIMEOUT_SECONDS", "soon"),
            ("MAX_CONNECTIONS", "0"),
            ("MAX_CONNECTIONS_PER_IP", "-1"),
        ]))
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
        for name in [
            "REQUEST_HEADER_TIMEOUT_SECONDS",
            "REQUEST_BODY_IDLE_TIMEOUT_SECONDS",
            "MAX_CONNECTIONS:",
            "MAX_CONNECTIONS_PER_IP",
        ] {
            assert!(
                err.iter().any(|m| m.starts_with(name)),
                "{name} not reported in {err:?}"
            );
        }
    }

    #[test]
    fn production_without_a_secret_does_not_start() {
        let err = Settings::from_vars(&vars(&[("APP_ENV", "production")]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("JWT_SECRET: is required"), "{err}");
    }

    #[test]
    fn every_bad_value_is_reported_by_name() {
        let err = Settings::from_vars(&vars(&[
            ("BIND_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("ALLOW_REGISTRATION", "perhaps"),
            ("JWT_SECRET", "short"),
            ("CORS_ORIGINS", "*"),
            ("ACCESS_TOKEN_TTL_SECONDS", "0"),
        ]))
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
        for name in [
            "BIND_ADDR",
            "DATABASE_URL",
            "ALLOW_REGISTRATION",
            "JWT_SECRET",
        ] {
            assert!(
                err.iter().any(|m| m.starts_with(name)),
                "{name} not reported in {err:?}"
            );
        }
    }
}
