//! The HTTP surface of Experience Layer: actix-web handlers, extractors, middleware, the
//! OpenAPI document, and the composition root that wires adapters into domain services.

pub mod audit_tool;
pub(crate) mod content_disposition;
pub mod dto;
pub mod envelope;
pub mod error;
pub(crate) mod export_archive;
pub mod extractors;
pub mod middleware;
pub mod openapi;
pub mod page_renders;
pub mod prometheus;
pub mod request_id;
pub mod route_table;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
