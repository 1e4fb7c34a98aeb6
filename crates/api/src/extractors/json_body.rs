//! JSON request bodies, with errors that name the offending field.
//!
//! actix's `web::Json` reports a bad value only as a parser message; this reads the body
//! (within `JSON_BODY_LIMIT_BYTES`), requires a JSON content type, and deserializes with
//! `serde_path_to_error`, so `{"role": "OWNER"}` is a validation error under `errors.role`.

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use domain::DomainError;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = require_json(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            content_type?;
            let bytes = bytes.await.map_err(|err| {
                let status = err.as_response_error().status_code();
                ApiError::from_framework(status, "the request body could not be read".into())
            })?;
            parse(&bytes).map(JsonBody)
        })
    }
}

/// 415 unless the request declares a JSON body (`application/json` or `…+json`).
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
    });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "this endpoint takes application/json".into(),
        ))
    }
}

/// Deserializes a body; a wrong value is reported under its field path.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would also build a struct from an array; the contract wants objects only.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::Malformed("the body must be a JSON object".into()));
    }
    // PostgreSQL stores no NUL character in text or jsonb; no field of ours needs one.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(ApiError::Malformed(
            "the body must not contain NUL characters (\\u0000)".into(),
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        if path == "." || inner.is_syntax() || inner.is_eof() {
            ApiError::Malformed(format!("the JSON body could not be read: {message}"))
        } else {
            DomainError::invalid(path, message).into()
        }
    })
}

/// serde_json appends " at line L column C", which means nothing to most clients.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}
