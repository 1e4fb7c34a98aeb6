//! Which access tokens the server trusts: forged, expired, tampered, foreign-domain and
//! algorithm-swapped tokens are refused; externally minted ones provision their user;
//! RS256 and ES256 keys and the issuer and audience checks.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{
    get_current_timestamp, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, claims_of, json_body, Call, TestApp, FORBIDDEN, JWT_SECRET, UNAUTHORIZED,
};

const RS256_PUBLIC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/rs256_public.pem"
);
const RS256_PRIVATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/rs256_private.pem"
);
const ES256_PUBLIC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/es256_public.pem"
);
const ES256_PRIVATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/es256_private.pem"
);

const ISSUER: &str = "https://auth.rpotential.dev";
const AUDIENCE: &str = "experience-layer";

const RS256_SERVER: &[(&str, &str)] = &[
    ("JWT_ALGORITHM", "RS256"),
    ("JWT_PUBLIC_KEY_FILE", RS256_PUBLIC),
];
const ES256_SERVER: &[(&str, &str)] = &[
    ("JWT_ALGORITHM", "ES256"),
    ("JWT_PUBLIC_KEY_FILE", ES256_PUBLIC),
];
const ISSUER_AND_AUDIENCE: &[(&str, &str)] = &[("JWT_ISSUER", ISSUER), ("JWT_AUDIENCE", AUDIENCE)];

fn now() -> i64 {
    i64::try_from(get_current_timestamp()).unwrap()
}

/// Claims as an external auth service would mint them: no `sid`, valid for ten minutes.
fn external_claims(sub: &str, email: &str) -> Value {
    json!({
        "sub": sub,
        "email": email,
        "name": "Grace Hopper",
        "domain": email.rsplit_once('@').map(|(_, d)| d),
        "role": "USER",
        "iat": now(),
        "exp": now() + 600,
    })
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// Signed with the test server's own secret.
fn signed(claims: &Value) -> String {
    hs256(claims, JWT_SECRET.as_bytes())
}

fn pem(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(&pem(RS256_PRIVATE)).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(&pem(ES256_PRIVATE)).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), claims, &key).unwrap()
}

/// A JSON value as a JWT segment: base64url without padding.
fn b64json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.get("/api/v1/users/me", Some(token)).await
}

async fn assert_refused(app: &TestApp, token: &str) {
    for path in ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/auth/verify"] {
        let call = Call::get(path);
        app.refused_with(&call, Some(token), UNAUTHORIZED).await;
    }
}

// ----- forged and broken tokens ---------------------------------------------------------

api_test!(a_token_with_alg_none_is_refused, |app| async move {
    let account = app.register("none@rpotential.ai").await;
    let claims = claims_of(&account.access_token);
    for alg in ["none", "None", "NONE"] {
        let header = b64json(&json!({"alg": alg, "typ": "JWT"}));
        let unsigned = format!("{header}.{}.", b64json(&claims));
        assert_refused(&app, &unsigned).await;
    }
    // The same with the real signature left in place.
    let signature = account.access_token.rsplit('.').next().unwrap();
    let header = b64json(&json!({"alg": "none", "typ": "JWT"}));
    let token = format!("{header}.{}.{signature}", b64json(&claims));
    assert_refused(&app, &token).await;
    // An unsigned external token (no session) does not provision anybody either.
    let header = b64json(&json!({"alg": "none", "typ": "JWT"}));
    let external = external_claims("ext|none", "ghost@rpotential.ai");
    assert_refused(&app, &format!("{header}.{}.", b64json(&external))).await;
});

api_test!(
    a_token_signed_with_another_secret_is_refused,
    |app| async move {
        let account = app.register("secret@rpotential.ai").await;
        let claims = claims_of(&account.access_token);
        let forged = hs256(&claims, b"another-secret-another-secret-0123456");
        assert_refused(&app, &forged).await;
        let external = hs256(
            &external_claims("ext|wrong-key", "ext@rpotential.ai"),
            b"another-secret-another-secret-0123456",
        );
        assert_refused(&app, &external).await;
    }
);

api_test!(
    a_token_that_expired_two_minutes_ago_is_refused,
    |app| async move {
        let account = app.register("expired@rpotential.ai").await;
        let mut claims = claims_of(&account.access_token);
        claims["iat"] = json!(now() - 1020);
        claims["exp"] = json!(now() - 120);
        assert_refused(&app, &signed(&claims)).await;
        let mut external = external_claims("ext|expired", "expired-ext@rpotential.ai");
        external["exp"] = json!(now() - 120);
        assert_refused(&app, &signed(&external)).await;
    }
);

api_test!(a_token_without_exp_is_refused, |app| async move {
    let mut claims = external_claims("ext|no-exp", "noexp@rpotential.ai");
    claims.as_object_mut().unwrap().remove("exp");
    assert_refused(&app, &signed(&claims)).await;
});

api_test!(
    a_token_whose_role_was_changed_without_the_key_is_refused,
    |app| async move {
        let (_admin, user) = app.admin_and_user().await;
        let mut claims = claims_of(&user.access_token);
        assert_eq!(claims["role"], json!("USER"));
        claims["role"] = json!("ADMIN");
        let mut parts: Vec<String> = user.access_token.split('.').map(str::to_owned).collect();
        parts[1] = b64json(&claims);
        let tampered = parts.join(".");
        assert_refused(&app, &tampered).await;
        let call = Call::get("/api/v1/users");
        app.refused_with(&call, Some(&tampered), UNAUTHORIZED).await;
        // The untampered token still works, as a plain user.
        let call = Call::get("/api/v1/users");
        app.refused_with(&call, Some(&user.access_token), FORBIDDEN)
            .await;
    }
);

api_test!(
    a_correctly_signed_token_for_a_disallowed_email_domain_is_403,
    |app| async move {
        let token = signed(&external_claims("ext|mallory", "mallory@evil.example"));
        for path in ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/auth/verify"] {
            let call = Call::get(path);
            app.refused_with(&call, Some(&token), FORBIDDEN).await;
        }
        // Nobody was provisioned: the first registered user is still the ADMIN.
        let first = app.register("first@rpotential.ai").await;
        let body = json_body(me(&app, &first.access_token).await).await;
        assert_eq!(body["data"]["role"], json!("ADMIN"));
    }
);

// ----- externally minted tokens ---------------------------------------------------------

api_test!(
    a_valid_external_token_for_an_unknown_subject_provisions_the_user_once,
    |app| async move {
        let token = signed(&external_claims("auth0|grace", "Grace@Globant.com"));
        let response = me(&app, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let first = json_body(response).await["data"].clone();
        let id = first["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("usr_"), "{id}");
        assert_eq!(first["email"], json!("grace@globant.com"));
        assert_eq!(first["name"], json!("Grace Hopper"));
        assert_eq!(first["status"], json!("active"));

        let response = me(&app, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_body(response).await["data"]["id"], json!(id));

        // A fresh token for the same subject is the same user.
        let mut later = external_claims("auth0|grace", "grace@globant.com");
        later["iat"] = json!(now() + 1);
        let response = me(&app, &signed(&later)).await;
        assert_eq!(json_body(response).await["data"]["id"], json!(id));

        let response = app.get("/api/v1/auth/verify", Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let data = json_body(response).await["data"].clone();
        assert_eq!(data["claims"]["sub"], json!("auth0|grace"));
        assert_eq!(data["user"]["id"], json!(id));

        // Logging out with a token that has no session ends nothing and says so.
        let response = app
            .post("/api/v1/auth/logout", Some(&token), json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"]["revoked_session_id"],
            json!(null)
        );
    }
);

api_test!(
    a_token_naming_a_session_that_does_not_exist_is_refused,
    |app| async move {
        let account = app.register("ghost-session@rpotential.ai").await;
        let mut claims = claims_of(&account.access_token);
        claims["sid"] = json!("ses_0193a8a4c0e07b2c9d1f3e5a7b9c1d2e");
        assert_refused(&app, &signed(&claims)).await;
    }
);

api_test!(
    an_external_token_with_the_providers_own_sid_is_treated_as_external,
    |app| async move {
        // Identity providers put their own session ids in `sid`; those name none of ours.
        let mut claims = external_claims("kc|ada", "ada@rpotential.ai");
        claims["sid"] = json!("a7d3c8e2-keycloak-session");
        let response = me(&app, &signed(&claims)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            json_body(response).await["data"]["email"],
            json!("ada@rpotential.ai")
        );
    }
);

api_test!(
    an_external_token_signs_in_an_account_an_admin_made_without_a_password,
    |app| async move {
        let admin = app.register("admin@rpotential.ai").await;
        let created = app
            .post(
                "/api/v1/users",
                Some(&admin.access_token),
                json!({"email": "sso@rpotential.ai", "name": "Sso"}),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let id = json_body(created).await["data"]["id"].clone();

        let token = signed(&external_claims("idp|sso", "sso@rpotential.ai"));
        let response = me(&app, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json_body(response).await["data"]["id"], id);

        // An account with a password is not taken over by a token for its email.
        let other = signed(&external_claims("idp|admin", "admin@rpotential.ai"));
        let refused = me(&app, &other).await;
        assert_problem(refused, FORBIDDEN).await;
    }
);

// ----- algorithm configuration ----------------------------------------------------------

api_test_with!(
    an_hs256_token_is_refused_by_a_server_configured_for_rs256,
    RS256_SERVER,
    |app| async move {
        let claims = external_claims("ext|swap", "swap@rpotential.ai");
        assert_refused(&app, &signed(&claims)).await;
        // The classic swap: HS256 keyed with the server's public key.
        let public_key = pem(RS256_PUBLIC);
        assert_refused(&app, &hs256(&claims, &public_key)).await;
    }
);

api_test_with!(
    an_rs256_server_accepts_tokens_signed_with_its_private_key,
    RS256_SERVER,
    |app| async move {
        let token = rs256(&external_claims("ext|rsa", "rsa@rpotential.ai"));
        let response = me(&app, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["data"]["email"], json!("rsa@rpotential.ai"));
        let response = app.get("/api/v1/auth/verify", Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK);

        let claims = external_claims("ext|rsa", "rsa@rpotential.ai");
        assert_refused(&app, &signed(&claims)).await;
        assert_refused(&app, &es256(&claims)).await;
    }
);

api_test_with!(
    an_es256_server_accepts_tokens_signed_with_its_private_key,
    ES256_SERVER,
    |app| async move {
        let token = es256(&external_claims("ext|ec", "ec@globant.com"));
        let response = me(&app, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["data"]["email"], json!("ec@globant.com"));

        let claims = external_claims("ext|ec", "ec@globant.com");
        assert_refused(&app, &signed(&claims)).await;
        assert_refused(&app, &hs256(&claims, &pem(ES256_PUBLIC))).await;
        assert_refused(&app, &rs256(&claims)).await;
    }
);

api_test_with!(
    an_rs256_server_with_its_private_key_issues_tokens_it_accepts,
    &[
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_PUBLIC_KEY_FILE", RS256_PUBLIC),
        ("JWT_PRIVATE_KEY_FILE", RS256_PRIVATE),
    ],
    |app| async move {
        let account = app.register("local-rsa@rpotential.ai").await;
        let header = jsonwebtoken::decode_header(&account.access_token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        let response = app
            .get("/api/v1/auth/me", Some(&account.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": account.refresh_token}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test_with!(
    an_es256_server_with_its_private_key_issues_tokens_it_accepts,
    &[
        ("JWT_ALGORITHM", "ES256"),
        ("JWT_PUBLIC_KEY_FILE", ES256_PUBLIC),
        ("JWT_PRIVATE_KEY_FILE", ES256_PRIVATE),
    ],
    |app| async move {
        let account = app.register("local-ec@rpotential.ai").await;
        let header = jsonwebtoken::decode_header(&account.access_token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        let response = app
            .get("/api/v1/auth/me", Some(&account.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test_with!(
    registering_on_a_server_that_cannot_sign_is_refused_and_stores_nothing,
    RS256_SERVER,
    |app| async move {
        let body = json!({
            "email": "nosign@rpotential.ai",
            "password": crate::helpers::PASSWORD,
            "name": "No Signer",
        });
        let call = Call::post("/api/v1/auth/register", body.clone());
        app.refused_with(&call, None, FORBIDDEN).await;
        // Refused requests change nothing: the same registration is refused the same way,
        // not as a duplicate.
        let call = Call::post("/api/v1/auth/register", body);
        app.refused_with(&call, None, FORBIDDEN).await;
    }
);

// ----- issuer and audience --------------------------------------------------------------

fn with_iss_aud(iss: Option<&str>, aud: Option<Value>) -> Value {
    let mut claims = external_claims("ext|iss-aud", "issaud@rpotential.ai");
    if let Some(iss) = iss {
        claims["iss"] = json!(iss);
    }
    if let Some(aud) = aud {
        claims["aud"] = aud;
    }
    claims
}

api_test_with!(
    a_token_with_the_configured_issuer_and_audience_is_accepted,
    ISSUER_AND_AUDIENCE,
    |app| async move {
        let token = signed(&with_iss_aud(Some(ISSUER), Some(json!(AUDIENCE))));
        assert_eq!(me(&app, &token).await.status(), StatusCode::OK);
        // The server's own tokens carry both.
        let account = app.register("own@rpotential.ai").await;
        let claims = claims_of_unchecked(&account.access_token);
        assert_eq!(claims["iss"], json!(ISSUER));
        assert_eq!(claims["aud"], json!(AUDIENCE));
        let response = app
            .get("/api/v1/auth/me", Some(&account.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
);

api_test_with!(
    a_token_whose_audience_list_includes_ours_is_accepted,
    ISSUER_AND_AUDIENCE,
    |app| async move {
        // RFC 7519 §4.1.3: `aud` is usually an array of audiences.
        let token = signed(&with_iss_aud(
            Some(ISSUER),
            Some(json!(["https://other.example", AUDIENCE])),
        ));
        assert_eq!(me(&app, &token).await.status(), StatusCode::OK);
    }
);

api_test_with!(
    a_token_without_an_issuer_is_refused_when_one_is_configured,
    ISSUER_AND_AUDIENCE,
    |app| async move {
        let token = signed(&with_iss_aud(None, Some(json!(AUDIENCE))));
        assert_refused(&app, &token).await;
    }
);

api_test_with!(
    a_token_from_another_issuer_is_refused,
    ISSUER_AND_AUDIENCE,
    |app| async move {
        let token = signed(&with_iss_aud(
            Some("https://evil.example"),
            Some(json!(AUDIENCE)),
        ));
        assert_refused(&app, &token).await;
    }
);

api_test_with!(
    a_token_without_an_audience_is_refused_when_one_is_configured,
    ISSUER_AND_AUDIENCE,
    |app| async move {
        let token = signed(&with_iss_aud(Some(ISSUER), None));
        assert_refused(&app, &token).await;
    }
);

api_test_with!(
    a_token_for_another_audience_is_refused,
    ISSUER_AND_AUDIENCE,
    |app| async move {
        let token = signed(&with_iss_aud(Some(ISSUER), Some(json!("another-service"))));
        assert_refused(&app, &token).await;
        let token = signed(&with_iss_aud(
            Some(ISSUER),
            Some(json!(["another-service"])),
        ));
        assert_refused(&app, &token).await;
    }
);

/// The claims of a server token without checking `iss`/`aud` (the signature is checked).
fn claims_of_unchecked(token: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims
}
