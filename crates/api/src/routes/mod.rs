//! Every route, registered once for the server and for the OpenAPI document alike.

/// Several routes served by one handler and documented once: `PUT` and `PATCH` of a
/// resource, or a path kept as a legacy alias. The handler is written once, inside, and
/// each route becomes an operation of its own, named after its function (`replace_user`,
/// `update_user`) and summarised by its own doc comment, so generated clients keep their
/// method names. One `name: method(args);` per route, with actix's route macro in scope at
/// the call site (utoipa reads the method and path from it).
macro_rules! one_handler {
    (
        async fn $handler:ident($($arg:ident: $ty:ty),+ $(,)?) -> $ret:ty $body:block
        openapi $openapi:tt;
        $($routes:tt)*
    ) => {
        async fn $handler($($arg: $ty),+) -> $ret $body
        one_handler!(@routes $handler ($($arg: $ty),+) $openapi; $($routes)*);
    };
    (
        @routes $handler:ident $params:tt $openapi:tt;
        $(#[$($attr:tt)*])* $name:ident: $method:ident $route:tt;
        $($rest:tt)*
    ) => {
        one_handler!(@route $handler $params $openapi [$(#[$($attr)*])*] $name $method $route);
        one_handler!(@routes $handler $params $openapi; $($rest)*);
    };
    (@routes $handler:ident $params:tt $openapi:tt;) => {};
    (
        @route $handler:ident ($($arg:ident: $ty:ty),+) $openapi:tt
        [$($attrs:tt)*] $name:ident $method:ident $route:tt
    ) => {
        $($attrs)*
        #[utoipa::path $openapi]
        #[$method $route]
        pub async fn $name($($arg: $ty),+) -> $crate::error::ApiResult<actix_web::HttpResponse> {
            $handler($($arg),+).await
        }
    };
}

pub mod account;
pub mod api_keys;
pub mod audit_logs;
pub mod auth;
pub mod files;
pub mod messages;
pub mod meta;
pub mod reactions;
pub mod search;
pub mod share_links;
pub mod threads;
pub mod users;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers all documented routes.
#[allow(deprecated)] // the legacy aliases are still served
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(meta::health)
        .service(meta::metrics)
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
                .service(api_keys::list_api_keys)
                .service(api_keys::create_api_key)
                .service(api_keys::get_api_key)
                .service(api_keys::replace_api_key)
                .service(api_keys::update_api_key)
                .service(api_keys::delete_api_key)
                .service(api_keys::rotate_api_key)
                // Before `/users/{id}`, which would take `me` for an id.
                .service(account::export_account)
                .service(account::delete_me)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::get_me)
                .service(users::get_user)
                .service(users::replace_user)
                .service(users::update_user)
                .service(users::delete_user)
                .service(audit_logs::list_audit_logs)
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
                .service(share_links::list_share_links)
                .service(share_links::create_share_link)
                .service(share_links::get_share_link)
                .service(share_links::delete_share_link)
                .service(share_links::open_shared_thread)
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
