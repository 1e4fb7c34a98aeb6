//! JSON request bodies, with errors that name the offending field.
//!
//! actix's `web::Json` reports a bad value only as a parser message; this reads the body
//! (within `JSON_BODY_LIMIT_BYTES`), requires a JSON content type, and deserializes with
//! `serde_path_to_error`, so `{"role": "OWNER"}` is a validation error under `errors.role`,
//! and a body without `email` names `errors.email`.

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use domain::{error::FieldErrors, DomainError};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};
use utoipa::{
    openapi::{RefOr, Schema},
    PartialSchema,
};

use crate::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + PartialSchema + 'static> FromRequest for JsonBody<T> {
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

/// Deserializes a body; every wrong, missing or unknown field is reported under its path.
pub fn parse<T: DeserializeOwned + PartialSchema>(bytes: &[u8]) -> Result<T, ApiError> {
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
    match serde_path_to_error::deserialize(deserializer) {
        Ok(value) => Ok(value),
        Err(err) if err.inner().is_syntax() || err.inner().is_eof() => {
            Err(ApiError::Malformed(format!(
                "the JSON body could not be read: {}",
                message_of(err.inner())
            )))
        }
        Err(_) => Err(field_errors::<T>(bytes)),
    }
}

/// Every offending field of a body that is valid JSON but not a `T`. serde stops at the
/// first error, so each wrong field is noted and taken out before trying again; serde also
/// names only the first missing field, so the rest come from `T`'s schema (the same
/// `required` list a client reads in the OpenAPI document).
fn field_errors<T: DeserializeOwned + PartialSchema>(bytes: &[u8]) -> ApiError {
    let Ok(mut body) = serde_json::from_slice::<Value>(bytes) else {
        return ApiError::Malformed("the JSON body could not be read".into());
    };
    let mut errors = FieldErrors::new();
    // Each round takes out one field, so there are at most as many rounds as values.
    for _ in 0..=bytes.len() {
        let Err(err) = serde_path_to_error::deserialize::<_, T>(&body) else {
            break;
        };
        let path = err.path().clone();
        let message = message_of(err.inner());
        if let Some(field) = missing_field(&message) {
            let at = join(&path, field);
            errors
                .entry(at)
                .or_insert_with(|| vec!["is required".into()]);
            if path.iter().next().is_none() {
                for absent in required_fields::<T>().filter(|name| body.get(name).is_none()) {
                    errors
                        .entry(absent)
                        .or_insert_with(|| vec!["is required".into()]);
                }
            }
            break;
        }
        if path.iter().next().is_none() && errors.is_empty() {
            return ApiError::Malformed(format!("the JSON body could not be read: {message}"));
        }
        if path.iter().next().is_none() || errors.contains_key(&path.to_string()) {
            break;
        }
        errors.insert(path.to_string(), vec![message]);
        if !remove(&mut body, &path) {
            break;
        }
    }
    DomainError::Validation(errors).into()
}

/// The field serde's message names as missing: "missing field `name`".
pub fn missing_field(message: &str) -> Option<&str> {
    field_named(message, "missing field `")
}

/// The field serde's message names as unknown: "unknown field `name`, expected …".
pub fn unknown_field(message: &str) -> Option<&str> {
    field_named(message, "unknown field `")
}

fn field_named<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix)?.split('`').next()
}

fn join(path: &Path, field: &str) -> String {
    match path.iter().next() {
        None => field.to_owned(),
        Some(_) => format!("{path}.{field}"),
    }
}

/// The required top-level fields of `T` as its schema declares them.
fn required_fields<T: PartialSchema>() -> impl Iterator<Item = String> {
    let required = match T::schema() {
        RefOr::T(Schema::Object(object)) => object.required,
        _ => Vec::new(),
    };
    required.into_iter()
}

/// Takes the value at `path` out of `body`; false when the path leads nowhere.
fn remove(body: &mut Value, path: &Path) -> bool {
    let segments: Vec<&Segment> = path.iter().collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut at = body;
    for segment in parents {
        let next = match (segment, at) {
            (Segment::Map { key }, Value::Object(map)) => map.get_mut(key),
            (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(value) => at = value,
            None => return false,
        }
    }
    match (last, at) {
        (Segment::Map { key }, Value::Object(map)) => map.remove(key).is_some(),
        // An element cannot be taken out without moving the others' indexes.
        _ => false,
    }
}

fn message_of(err: &serde_json::Error) -> String {
    strip_position(&err.to_string())
}

/// serde_json appends " at line L column C", which means nothing to most clients.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}
