//! Every route, registered once for the server and for the OpenAPI document alike.

pub mod auth;
pub mod meta;
pub mod users;

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
                .service(users::delete_user),
        );
}
