//! The success envelope and the one way handlers build responses with it.

use actix_web::{http::header, HttpResponse};
use chrono::{SecondsFormat, Utc};
use domain::{pagination::Page, precondition::EntityTag};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id::RequestId;

pub const API_VERSION: &str = "1.0";

/// `{success: true, data, metadata}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    #[schema(example = true)]
    pub success: bool,
    pub data: T,
    pub metadata: Metadata,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Metadata {
    /// When the response was made, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// The request's `X-Request-Id`.
    pub correlation_id: String,
    #[schema(example = "1.0")]
    pub version: &'static str,
    /// Present on list responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    #[schema(example = 20)]
    pub limit: u64,
    pub has_more: bool,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `{id, deleted: true}`, the body of every successful delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: String,
    #[schema(example = true)]
    pub deleted: bool,
}

pub fn timestamp_now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn envelope<T: Serialize>(data: T, pagination: Option<Pagination>) -> Envelope<T> {
    Envelope {
        success: true,
        data,
        metadata: Metadata {
            timestamp: timestamp_now(),
            correlation_id: RequestId::current().unwrap_or_default(),
            version: API_VERSION,
            pagination,
        },
    }
}

/// 200 with `data`.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(envelope(data, None))
}

/// 200 with `data` and its `ETag`.
pub fn ok_tagged<T: Serialize>(data: T, tag: &EntityTag) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", tag.as_str())))
        .json(envelope(data, None))
}

/// 201 with `Location` and `data`.
pub fn created<T: Serialize>(location: &str, data: T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(envelope(data, None))
}

/// 200 with a page of items and the pagination metadata.
pub fn page<T, U: Serialize>(
    page: Page<T>,
    limit: u64,
    render: impl FnMut(T) -> U,
) -> HttpResponse {
    let next_cursor = page.next.as_ref().map(|c| c.encode());
    let pagination = Pagination {
        limit,
        has_more: next_cursor.is_some(),
        next_cursor,
    };
    let items: Vec<U> = page.items.into_iter().map(render).collect();
    HttpResponse::Ok().json(envelope(items, Some(pagination)))
}

/// 200 with `data`, an object holding one page of a list (a shared thread and its
/// messages), and that list's pagination metadata.
pub fn ok_paged<T: Serialize>(
    data: T,
    next: Option<&domain::pagination::Cursor>,
    limit: u64,
) -> HttpResponse {
    let next_cursor = next.map(|c| c.encode());
    let pagination = Pagination {
        limit,
        has_more: next_cursor.is_some(),
        next_cursor,
    };
    HttpResponse::Ok().json(envelope(data, Some(pagination)))
}

/// 200 with `{id, deleted: true}`.
pub fn deleted(id: &str) -> HttpResponse {
    ok(Deleted {
        id: id.to_owned(),
        deleted: true,
    })
}
