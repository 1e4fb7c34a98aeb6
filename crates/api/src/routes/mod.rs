//! Every route, registered once for the server and for the OpenAPI document alike.

pub mod auth;
pub mod files;
pub mod messages;
pub mod meta;
pub mod reactions;
pub mod search;
pub mod threads;
pub mod users;

use domain::DomainError;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers all documented routes.
#[allow(deprecated)] // the legacy aliases are still served
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(meta::health)
        .service(users::legacy_list_users)
        .service(users::legacy_create_user)
        .service(
            scope::scope("/api/v1")
                .service(meta::index)
                .service(meta::health_v1)
                .service(auth::register)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::verify)
                .service(auth::list_sessions)
                .service(auth::revoke_session)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::get_me)
                .service(users::get_user)
                .service(users::replace_user)
                .service(users::update_user)
                .service(users::delete_user)
                .service(threads::list_threads)
                .service(threads::create_thread)
                .service(threads::get_thread)
                .service(threads::replace_thread)
                .service(threads::update_thread)
                .service(threads::delete_thread)
                .service(threads::list_members)
                .service(threads::add_member)
                .service(threads::get_member)
                .service(threads::replace_member_role)
                .service(threads::change_member_role)
                .service(threads::remove_member)
                .service(messages::list_messages)
                .service(messages::create_message)
                .service(messages::get_message)
                .service(messages::replace_message)
                .service(messages::update_message)
                .service(messages::delete_message)
                .service(messages::list_revisions)
                .service(reactions::list_reactions)
                .service(reactions::toggle_reaction)
                .service(reactions::remove_reaction)
                .service(search::search)
                .service(files::create_file)
                .service(files::list_files)
                .service(files::get_file)
                .service(files::download_file)
                .service(files::file_content_headers)
                .service(files::preview_file)
                .service(files::replace_file)
                .service(files::update_file)
                .service(files::delete_file),
        );
}

/// A malformed id in a path names nothing: answered like an unknown one.
pub(crate) fn path_id<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, DomainError>,
    what: &'static str,
) -> Result<T, DomainError> {
    parse(raw).map_err(|_| DomainError::NotFound(what))
}
