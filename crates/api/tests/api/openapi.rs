//! The committed spec is the generated one.

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[test]
fn the_committed_openapi_yaml_is_current() {
    let generated = api::openapi::yaml().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml is stale: run `just openapi` (or `cargo run -q -- openapi > openapi.yaml`)"
    );
}

#[test]
fn the_spec_is_openapi_3_1_and_documents_every_route() {
    let document = api::openapi::document();
    let json = serde_json::to_value(&document).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    for path in [
        "/health",
        "/users",
        "/api/v1",
        "/api/v1/health",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/auth/verify",
        "/api/v1/auth/sessions",
        "/api/v1/auth/sessions/{id}",
        "/api/v1/users",
        "/api/v1/users/me",
        "/api/v1/users/{id}",
    ] {
        assert!(json["paths"][path].is_object(), "{path} is not documented");
    }
    for scheme in ["bearer", "cookie", "api_key"] {
        assert!(json["components"]["securitySchemes"][scheme].is_object());
    }
}

api_test!(
    the_server_serves_the_same_document,
    |app: TestApp| async move {
        let response = app.get("/api/v1/openapi.json", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let served: serde_json::Value = response.json().await.unwrap();
        let generated = serde_json::to_value(api::openapi::document()).unwrap();
        assert_eq!(served, generated);
    }
);
