//! Typed configuration, read once from the environment (and an optional `.env` file),
//! checked at start with one message per bad value, and passed explicitly from there on.
//! Each section is read by its own module; every variable is in `.env.example`.

mod audit;
mod auth;
mod caches;
mod database;
mod files;
mod http;
mod rate_limits;
mod reader;
mod sharing;

use std::collections::HashMap;

use infrastructure::database::DatabaseSettings;

use self::reader::Reader;
pub use self::{
    audit::AuditSettings,
    auth::AuthSettings,
    caches::CacheSettings,
    files::FileSettings,
    http::{ConnectionSettings, HttpSettings},
    rate_limits::{RateLimitSettings, TrustedProxies},
    sharing::SharingSettings,
};

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
    pub log_format: LogFormat,
    /// Apply pending migrations before serving.
    pub auto_migrate: bool,
    pub http: HttpSettings,
    pub auth: AuthSettings,
    pub database: DatabaseSettings,
    pub caches: CacheSettings,
    pub files: FileSettings,
    pub rate_limits: RateLimitSettings,
    pub sharing: SharingSettings,
    pub audit: AuditSettings,
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
        let mut r = Reader::new(vars);
        let environment = r
            .choice(
                "APP_ENV",
                "development",
                [
                    ("development", Environment::Development),
                    ("production", Environment::Production),
                ],
            )
            .unwrap_or(Environment::Development);
        let production = environment == Environment::Production;
        let log_format = r
            .choice(
                "LOG_FORMAT",
                if production { "json" } else { "pretty" },
                [("pretty", LogFormat::Pretty), ("json", LogFormat::Json)],
            )
            .unwrap_or(LogFormat::Pretty);
        let (database, backend) = database::read(&mut r);
        let settings = Self {
            environment,
            log_format,
            auto_migrate: r.flag("AUTO_MIGRATE", true),
            http: http::read(&mut r),
            auth: auth::read(&mut r, production),
            caches: caches::read(&mut r, backend),
            database,
            files: files::read(&mut r),
            rate_limits: rate_limits::read(&mut r),
            sharing: sharing::read(&mut r),
            audit: audit::read(&mut r),
        };
        if r.errors.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError(r.errors))
        }
    }
}

#[cfg(test)]
mod tests;
