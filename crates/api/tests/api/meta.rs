//! Health, metrics, the API index, docs, headers and envelopes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    assert_problem, data_of, json_body, Call, TestApp, INVALID, METHOD_NOT_ALLOWED, NOT_FOUND,
    TOO_LARGE, UNAUTHORIZED,
};

api_test!(health_reports_a_healthy_database, |app| async move {
    for path in ["/health", "/api/v1/health"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["status"], json!("healthy"));
        assert_eq!(body["checks"]["database"]["status"], json!("healthy"));
        assert!(body["checks"]["database"]["latency_ms"].is_number());
        assert_eq!(body["checks"]["storage"]["status"], json!("healthy"));
        assert!(body["version"].is_string());
    }
});

api_test!(
    health_is_unhealthy_when_file_storage_is_gone,
    |app| async move {
        std::fs::remove_dir_all(app.files_dir.path()).expect("the storage folder goes");
        let response = app.get("/api/v1/health", None).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = json_body(response).await;
        assert_eq!(body["status"], json!("unhealthy"));
        assert_eq!(body["checks"]["storage"]["status"], json!("unhealthy"));
        assert_eq!(body["checks"]["database"]["status"], json!("healthy"));
    }
);

api_test!(the_index_links_to_docs_and_spec, |app| async move {
    let response = app.get("/api/v1", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    assert_eq!(body["success"], json!(true));
    assert_eq!(
        body["data"]["links"]["openapi"],
        json!("/api/v1/openapi.json")
    );
    assert_eq!(body["data"]["authenticated_as"], json!(null));
    assert_eq!(body["metadata"]["version"], json!("1.0"));
});

api_test!(
    a_client_request_id_is_echoed_and_used_as_correlation_id,
    |app| async move {
        let response = app
            .client
            .get(app.url("/api/v1"))
            .header("x-request-id", "client-id-123")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "client-id-123");
        let body = json_body(response).await;
        assert_eq!(body["metadata"]["correlation_id"], json!("client-id-123"));
        assert!(body["metadata"]["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 24));
    }
);

api_test!(an_invalid_request_id_is_replaced, |app| async move {
    let too_long = "x".repeat(129);
    let response = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", too_long.as_str())
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(generated, too_long);
    let body = assert_problem(response, NOT_FOUND).await;
    assert_eq!(body["error"]["trace_id"], json!(generated));
});

api_test!(
    every_response_carries_the_security_headers,
    |app| async move {
        let response = app.get("/api/v1", None).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
    }
);

api_test!(swagger_ui_is_served_without_a_cdn, |app| async move {
    let response = app.get("/docs/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger"));
    assert!(!html.contains("cdn") && !html.contains("unpkg"));
    let script = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
});

api_test!(unknown_routes_are_404_problems, |app| async move {
    let call = Call::get("/api/v1/nothing-here");
    app.refused_with(&call, None, NOT_FOUND).await;
});

api_test!(
    a_known_path_asked_with_another_method_is_405_naming_the_methods_it_answers,
    |app| async move {
        let account = app.register("ada@rpotential.ai").await;
        for (method, path, allowed) in [
            ("TRACE", "/health", "GET"),
            ("POST", "/api/v1/auth/me", "GET"),
            (
                "POST",
                "/api/v1/threads/thr_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e",
                "DELETE, GET, PATCH, PUT",
            ),
        ] {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(&account.access_token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response
                    .headers()
                    .get("allow")
                    .and_then(|v| v.to_str().ok()),
                Some(allowed),
                "{method} {path}"
            );
            assert_problem(response, METHOD_NOT_ALLOWED).await;
        }
    }
);

api_test!(cors_allows_only_configured_origins, |app| async move {
    let response = app
        .client
        .get(app.url("/api/v1"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
});

api_test!(oversized_bodies_are_413_problems, |app| async move {
    let big = format!("{{\"refresh_token\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    for path in ["/api/v1/auth/login", "/api/v1/auth/refresh"] {
        let response = app.post_raw(path, None, "application/json", &big).await;
        assert_problem(response, TOO_LARGE).await;
    }
});

api_test!(
    the_public_index_ignores_a_stale_credential,
    |app| async move {
        let response = app.get("/api/v1", Some("not-a-token")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["data"]["authenticated_as"], json!(null));
    }
);

api_test!(
    nul_characters_in_bodies_and_queries_are_400_not_500,
    |app| async move {
        let admin = app.register("admin@rpotential.ai").await;
        let me = format!("/api/v1/users/{}", admin.id);
        let response = app
            .post_raw(&me, Some(&admin.access_token), "application/json", "{}")
            .await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let patch = app
            .client
            .patch(app.url(&me))
            .bearer_auth(&admin.access_token)
            .header("content-type", "application/json")
            .body(r#"{"preferences":{"a":"x\u0000y"}}"#)
            .send()
            .await
            .unwrap();
        assert_problem(patch, INVALID).await;
        let call = Call::get("/api/v1/users?q=a%00b");
        let body = app
            .refused_with(&call, Some(&admin.access_token), INVALID)
            .await;
        assert!(body["error"]["errors"]["q"].is_array());
    }
);

/// The value of the sample `name{labels}` in a Prometheus exposition (0 when absent).
fn sample(exposition: &str, name_and_labels: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp, token: Option<&str>) -> String {
    let response = app.get("/metrics", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    response.text().await.unwrap()
}

api_test!(metrics_count_requests_by_route_template, |app| async move {
    let account = app.register("ada@rpotential.ai").await;
    let thread = data_of(
        app.post("/api/v1/threads", Some(&account.access_token), json!({}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/api/v1/threads/{}", thread["id"].as_str().unwrap());
    // Tests share one recorder per process: compare before and after.
    let ok = r#"http_requests_total{method="GET",route="/api/v1/threads/{id}",status="200"}"#;
    let unknown = r#"http_requests_total{method="GET",route="unmatched",status="404"}"#;
    let before = scrape(&app, None).await;

    for _ in 0..3 {
        let response = app.get(&path, Some(&account.access_token)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let _ = app.get("/api/v1/nothing-here", None).await;

    let after = scrape(&app, None).await;
    assert!(sample(&after, ok) - sample(&before, ok) >= 3.0, "{after}");
    assert!(sample(&after, unknown) - sample(&before, unknown) >= 1.0);
    assert!(
        after.contains("http_request_duration_seconds_bucket{"),
        "{after}"
    );
    assert!(after.contains(r#"db_pool_connections{pool="read",state="open"}"#));
});

api_test_with!(
    metrics_need_the_token_when_one_is_set,
    &[("METRICS_TOKEN", "scrape-me-please")],
    |app| async move {
        assert_problem(app.get("/metrics", None).await, UNAUTHORIZED).await;
        assert_problem(app.get("/metrics", Some("wrong")).await, UNAUTHORIZED).await;
        let body = scrape(&app, Some("scrape-me-please")).await;
        assert!(body.contains("http_requests_total"), "{body}");
    }
);
