//! Every validation error names every offending field: missing, ill-typed and unknown
//! ones, in JSON bodies and in query strings; and nothing is written.

use serde_json::json;

use crate::helpers::{error_fields, Call, INVALID};

api_test!(
    bodies_name_every_missing_ill_typed_and_unknown_field,
    |app| async move {
        let cases = [
            (
                Call::post("/api/v1/auth/register", json!({"password": "long enough"})),
                vec!["email", "name"],
            ),
            (
                Call::post("/api/v1/auth/register", json!({})),
                vec!["email", "name", "password"],
            ),
            (
                Call::post("/api/v1/auth/login", json!({"email": "ada@rpotential.ai"})),
                vec!["password"],
            ),
            (
                Call::post("/api/v1/auth/login", json!({"email": 5})),
                vec!["email", "password"],
            ),
            (
                Call::post(
                    "/api/v1/auth/login",
                    json!({"email": 5, "password": [], "colour": 1}),
                ),
                vec!["colour", "email", "password"],
            ),
        ];
        for (call, expected) in cases {
            let problem = app.refused_with(&call, None, INVALID).await;
            assert_eq!(error_fields(&problem), expected, "for {call}: {problem}");
        }
        let users = app.get("/api/v1/users", None).await;
        assert_eq!(users.status(), 401, "no account was created on the way");
    }
);

api_test!(
    fields_of_a_signed_in_callers_body_are_all_named_and_nothing_is_created,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let call = Call::post(
            "/api/v1/threads",
            json!({"title": 5, "pinned": "yes", "colour": "red"}),
        );
        let problem = app.refused_with(&call, Some(token), INVALID).await;
        assert_eq!(
            error_fields(&problem),
            vec!["colour", "pinned", "title"],
            "{problem}"
        );
        let threads = app.call(&Call::get("/api/v1/threads"), Some(token)).await;
        let threads = crate::helpers::json_body(threads).await;
        assert_eq!(threads["data"], json!([]), "no thread was created");
    }
);

api_test!(
    query_strings_name_a_missing_or_unknown_parameter,
    |app| async move {
        let (_, user) = app.admin_and_user().await;
        let token = user.access_token.as_str();
        let cases = [
            ("/api/v1/search", "q"),
            ("/api/v1/search?q=words&colour=red", "colour"),
            ("/api/v1/threads?colour=red", "colour"),
        ];
        for (path, field) in cases {
            let problem = app
                .refused_with(&Call::get(path), Some(token), INVALID)
                .await;
            assert_eq!(error_fields(&problem), vec![field], "for {path}: {problem}");
        }
    }
);
