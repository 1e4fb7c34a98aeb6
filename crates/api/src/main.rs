//! `experience-layer` serves the API; `experience-layer openapi` prints the OpenAPI
//! document as YAML (what `openapi.yaml` holds).

use std::process::ExitCode;

use api::{settings::Settings, startup::Application, telemetry};
use infrastructure::database::redact;

#[actix_web::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        return print_openapi();
    }
    // A missing .env is normal; the environment alone is enough.
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    if settings.jwt_secret_generated {
        tracing::warn!(
            "JWT_SECRET is not set: signing with a random secret, so tokens end at restart \
             (set JWT_SECRET to 32+ characters; APP_ENV=production requires it)"
        );
    }
    let addr = settings.bind_addr;
    let database = redact(&settings.database.url);
    let files = settings.files.storage_url.clone();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("cannot start: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let base = format!("http://{}:{}", addr.ip(), app.port());
    tracing::info!(
        "Experience Layer listening on {base} with {} at {database}, files in {files}",
        app.backend().name()
    );
    tracing::info!(
        "API docs: {base}/docs. First token: curl -s -X POST {base}/api/v1/auth/register \
         -H 'content-type: application/json' \
         -d '{{\"email\":\"you@rpotential.ai\",\"password\":\"change-me-please\",\"name\":\"You\"}}' \
         (the first user becomes ADMIN)"
    );
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!("server failed: {err}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
fn print_openapi() -> ExitCode {
    match api::openapi::yaml() {
        Ok(yaml) => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("cannot render the OpenAPI document: {err}");
            ExitCode::FAILURE
        }
    }
}
