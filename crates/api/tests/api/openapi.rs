//! The committed spec is the generated one.

use reqwest::StatusCode;

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
        "/api/v1/threads",
        "/api/v1/threads/{id}",
        "/api/v1/threads/{id}/members",
        "/api/v1/threads/{id}/members/{user_id}",
        "/api/v1/threads/{id}/messages",
        "/api/v1/messages/{id}",
        "/api/v1/messages/{id}/revisions",
        "/api/v1/messages/{id}/reactions",
        "/api/v1/messages/{id}/reactions/{emoji}",
        "/api/v1/search",
    ] {
        assert!(json["paths"][path].is_object(), "{path} is not documented");
    }
    for scheme in ["bearer", "cookie", "api_key"] {
        assert!(json["components"]["securitySchemes"][scheme].is_object());
    }
}

#[test]
fn every_schema_reference_resolves() {
    let json = serde_json::to_value(api::openapi::document()).unwrap();
    let schemas = &json["components"]["schemas"];
    let mut references = Vec::new();
    collect_references(&json, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(schemas[name].is_object(), "{reference} names no schema");
    }
}

fn collect_references(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", serde_json::Value::String(target)) => into.push(target.clone()),
                    _ => collect_references(child, into),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_references(i, into)),
        _ => {}
    }
}

api_test!(the_server_serves_the_same_document, |app| async move {
    let response = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let served: serde_json::Value = response.json().await.unwrap();
    let generated = serde_json::to_value(api::openapi::document()).unwrap();
    assert_eq!(served, generated);
});

/// Whether `value` is an instance of the object schema `name`, as far as `oneOf` needs:
/// its required properties present and, when the schema is closed, no others.
fn matches_object_schema(spec: &serde_json::Value, name: &str, value: &serde_json::Value) -> bool {
    let schema = &spec["components"]["schemas"][name];
    let object = value.as_object().expect("an object");
    let required = schema["required"].as_array().expect("required");
    let has_required = required
        .iter()
        .all(|field| object.contains_key(field.as_str().unwrap()));
    let closed = schema["additionalProperties"] == serde_json::json!(false);
    let properties = schema["properties"].as_object().expect("properties");
    has_required && !(closed && object.keys().any(|key| !properties.contains_key(key)))
}

api_test!(
    each_answer_of_get_user_matches_exactly_one_schema_of_its_one_of,
    |app| async move {
        let spec = serde_json::to_value(api::openapi::document()).unwrap();
        let path = &spec["paths"]["/api/v1/users/{id}"]["get"]["responses"]["200"];
        let envelope = path["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .expect("an envelope reference");
        let choices: Vec<String> = spec["components"]["schemas"][envelope]["properties"]["data"]
            ["oneOf"]
            .as_array()
            .expect("oneOf")
            .iter()
            .map(|c| {
                c["$ref"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(choices, ["User", "PublicUser"]);

        let (admin, user) = app.admin_and_user().await;
        let user_id = crate::helpers::claims_of(&user.access_token)["sub"]
            .as_str()
            .unwrap()
            .to_owned();
        let admin_id = crate::helpers::claims_of(&admin.access_token)["sub"]
            .as_str()
            .unwrap()
            .to_owned();
        let cases = [
            (&admin.access_token, &user_id, "User"),
            (&user.access_token, &admin_id, "PublicUser"),
        ];
        for (token, id, expected) in cases {
            let response = app.get(&format!("/api/v1/users/{id}"), Some(token)).await;
            assert_eq!(response.status(), StatusCode::OK);
            let data = crate::helpers::json_body(response).await["data"].clone();
            let matching: Vec<&String> = choices
                .iter()
                .filter(|name| matches_object_schema(&spec, name, &data))
                .collect();
            assert_eq!(matching, [expected], "{data}");
        }
    }
);
