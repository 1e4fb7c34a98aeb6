use super::*;
use std::time::Duration;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Settings from `pairs` are refused with a message starting with each of `names`.
fn assert_each_reported(pairs: &[(&str, &str)], names: &[&str]) {
    let err = Settings::from_vars(&vars(pairs))
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    for name in names {
        assert!(
            err.iter().any(|m| m.starts_with(name)),
            "{name} not reported in {err:?}"
        );
    }
}

#[test]
fn defaults_give_a_working_development_setup() {
    let settings = Settings::from_vars(&HashMap::new()).map_err(|e| e.to_string());
    let settings = settings.as_ref();
    assert_eq!(
        settings.map(|s| s.database.url.as_str()),
        Ok("sqlite://./data/experience.db")
    );
    assert_eq!(settings.map(|s| s.auth.jwt_secret_generated), Ok(true));
    assert_eq!(
        settings.map(|s| s.auth.cookie_name.as_str()),
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
    let connections = settings.map(|s| s.http.connections);
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
    assert_each_reported(
        &[
            ("REQUEST_HEADER_TIMEOUT_SECONDS", "0"),
            ("REQUEST_BODY_IDLE_TIMEOUT_SECONDS", "soon"),
            ("MAX_CONNECTIONS", "0"),
            ("MAX_CONNECTIONS_PER_IP", "-1"),
        ],
        &[
            "REQUEST_HEADER_TIMEOUT_SECONDS",
            "REQUEST_BODY_IDLE_TIMEOUT_SECONDS",
            "MAX_CONNECTIONS:",
            "MAX_CONNECTIONS_PER_IP",
        ],
    );
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
    assert_each_reported(
        &[
            ("BIND_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("ALLOW_REGISTRATION", "perhaps"),
            ("JWT_SECRET", "short"),
            ("CORS_ORIGINS", "*"),
            ("ACCESS_TOKEN_TTL_SECONDS", "0"),
        ],
        &[
            "BIND_ADDR",
            "DATABASE_URL",
            "ALLOW_REGISTRATION",
            "JWT_SECRET",
        ],
    );
}
