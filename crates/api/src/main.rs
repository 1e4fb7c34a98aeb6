//! `experience-layer` serves the API; `experience-layer openapi` prints the OpenAPI
//! document as YAML (what `openapi.yaml` holds); `experience-layer audit verify` checks
//! the audit log's hash chain; `--help` and `--version` say what they say.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use api::{settings::Settings, startup::Application, telemetry};
use infrastructure::database::redact;

/// jemalloc, with background threads that give memory freed by a burst of large responses
/// back to the system within seconds; glibc's malloc kept most of it (docs/architecture.md,
/// "Memory", and docs/benchmarks.md for the figures).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Experience Layer: a self-hostable backend for AI-assistant conversation apps.
///
/// Settings come from the environment and an optional `.env` file (every variable is in
/// `.env.example`). Exit codes: 0 stopped cleanly, 1 failed to start or while serving,
/// 2 bad settings or command line.
#[derive(Parser)]
#[command(name = "experience-layer", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (also what running without a command does).
    Serve,
    /// Print the OpenAPI document as YAML (what `openapi.yaml` holds).
    Openapi,
    /// Operator commands on the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit log in DATABASE_URL: prints "audit log intact: N
    /// entries" and exits 0, or names the first changed, deleted or reordered entry and
    /// exits 3 (1: cannot read the database, 2: bad settings).
    Verify,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        None | Some(Command::Serve) => serve(),
        Some(Command::Openapi) => print_openapi(),
        Some(Command::Audit {
            command: AuditCommand::Verify,
        }) => verify_audit_log(),
    }
}

#[actix_web::main]
async fn serve() -> ExitCode {
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
    if settings.auth.jwt_secret_generated {
        tracing::warn!(
            "JWT_SECRET is not set: signing with a random secret, so tokens end at restart \
             (set JWT_SECRET to 32+ characters; APP_ENV=production requires it)"
        );
    }
    let addr = settings.http.bind_addr;
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

/// Exit code of `audit verify` when the chain is broken.
const AUDIT_LOG_BROKEN: u8 = 3;

#[actix_web::main]
#[allow(clippy::print_stdout)]
async fn verify_audit_log() -> ExitCode {
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    match api::audit_tool::verify(&settings).await {
        Ok(report) => {
            println!("{}", api::audit_tool::describe(&report));
            if report.broken.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(AUDIT_LOG_BROKEN)
            }
        }
        Err(err) => {
            eprintln!(
                "cannot verify the audit log at {}: {err:#}",
                redact(&settings.database.url)
            );
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
