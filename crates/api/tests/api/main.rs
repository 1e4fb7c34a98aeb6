//! Black-box tests: the real application on a random port, driven over HTTP, against a
//! fresh SQLite database and (with `--include-ignored`) a fresh PostgreSQL schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod helpers;

mod account;
mod api_keys;
mod audit_logs;
mod auth;
mod cli;
mod connections;
mod files;
mod idempotency;
mod idempotency_crash;
mod memory;
mod messages;
mod meta;
mod openapi;
mod rate_limits;
mod reactions;
mod readme;
mod search;
mod server_process;
mod share_links;
mod storage_full;
mod threads;
mod tokens;
mod users;
mod validation;
