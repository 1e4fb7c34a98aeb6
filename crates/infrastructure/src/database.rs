//! The one connection factory: the backend comes from the URL.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::{bail, Context};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::{
        self,
        pool::PoolOptions,
        postgres::PgConnectOptions,
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
        ConnectOptions as _, Connection as _, Executor as _, Postgres, Sqlite, TransactionManager,
    },
    ConnectionTrait, DatabaseBackend, DatabaseConnection, SqlxPostgresConnector,
    SqlxSqliteConnector,
};

pub use sea_orm::DatabaseConnection as Db;

/// How to reach the database and how many connections to keep.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    /// PostgreSQL only: the schema to work in (tests use one schema each).
    pub schema: Option<String>,
}

/// Which engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            bail!(
                "DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
                redact(url)
            )
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// Where repositories read and where they write.
///
/// SQLite takes one writer at a time, and a writer that finds the database locked waits in
/// SQLite's busy handler, which sleeps in steps of up to 100 ms: under load that is the
/// whole latency budget. So on SQLite writes go through a pool of one connection, whose
/// queue is first come, first served and never sleeps, while reads use the shared pool
/// (WAL lets them run beside the writer). On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Pools {
    pub read: DatabaseConnection,
    pub write: DatabaseConnection,
}

/// One pool for everything (tests and tools that need no write queue).
impl From<DatabaseConnection> for Pools {
    fn from(db: DatabaseConnection) -> Self {
        Self {
            read: db.clone(),
            write: db,
        }
    }
}

/// Opens the read pool and, on SQLite, a one-connection write pool beside it.
pub async fn connect_pools(settings: &DatabaseSettings) -> anyhow::Result<Pools> {
    let read = connect(settings).await?;
    if Backend::of(&settings.url)? != Backend::Sqlite {
        return Ok(read.into());
    }
    let write = connect(&DatabaseSettings {
        max_connections: 1,
        min_connections: 1,
        ..settings.clone()
    })
    .await?;
    Ok(Pools { read, write })
}

/// Opens a pool. SQLite files are created (with their folder) when missing and run in WAL
/// mode with foreign keys on, `synchronous=NORMAL` and a busy timeout.
///
/// The pool is built with sqlx directly so that every connection is checked on its way
/// back (see [`clean_after_release`]).
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let backend = Backend::of(&settings.url)?;
    let cannot_connect = || {
        format!(
            "cannot connect to {} at {}",
            backend.name(),
            redact(&settings.url)
        )
    };
    match backend {
        Backend::Sqlite => {
            ensure_sqlite_folder(&settings.url)?;
            let options = SqliteConnectOptions::from_str(&settings.url)
                .with_context(cannot_connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .disable_statement_logging();
            let pool = pool_options::<Sqlite>(settings)
                .connect_with(options)
                .await
                .with_context(cannot_connect)?;
            Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
        }
        Backend::Postgres => {
            let options = PgConnectOptions::from_str(&settings.url)
                .with_context(cannot_connect)?
                .disable_statement_logging();
            let mut pool = pool_options::<Postgres>(settings);
            if let Some(schema) = &settings.schema {
                let set_search_path =
                    format!("SET search_path = \"{}\"", schema.replace('"', "\"\""));
                pool = pool.after_connect(move |conn, _| {
                    let sql = set_search_path.clone();
                    Box::pin(async move { conn.execute(sql.as_str()).await.map(|_| ()) })
                });
            }
            let pool = pool
                .connect_with(options)
                .await
                .with_context(cannot_connect)?;
            Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
        }
    }
}

fn pool_options<DB: sqlx::Database>(settings: &DatabaseSettings) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_release(|conn, _| Box::pin(clean_after_release::<DB>(conn)))
}

/// Whether a connection may go back to the pool: only when no transaction is left open on
/// it. A statement or commit that fails inside a transaction (a full disk, an I/O error)
/// may make SQLite roll the whole transaction back by itself; the driver's rollback then
/// fails and its count of open transactions stays at one, so it would turn the next
/// `BEGIN` into a `SAVEPOINT` and the next commit into a `RELEASE` inside a transaction
/// that never ends: every later write "commits" into it and is lost. Such a connection is
/// closed instead, and the pool opens a fresh one.
async fn clean_after_release<DB: sqlx::Database>(
    conn: &mut DB::Connection,
) -> Result<bool, sqlx::Error> {
    // The round trip runs after any rollback still queued on the connection.
    conn.ping().await?;
    let open = <DB::TransactionManager as TransactionManager>::get_transaction_depth(conn);
    if open > 0 {
        tracing::warn!(
            open,
            "a database connection came back inside a transaction; closing it"
        );
    }
    Ok(open == 0)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying migrations failed")
}

/// Applies every pending migration over a connection of its own, closed before any pool is
/// opened: on SQLite a pooled connection opened while the schema changed could fail its
/// first statements with "no such table".
pub async fn migrate_before_connecting(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let db = connect(&DatabaseSettings {
        max_connections: 1,
        min_connections: 1,
        ..settings.clone()
    })
    .await?;
    migrate(&db).await?;
    db.close().await.context("closing the migration connection")
}

/// A round trip to the database, for health checks.
pub async fn ping(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

/// A write that has to reach the disk: rewrites the one row of `health_probe`. A database
/// on a full disk still answers reads, so only a write shows that it refuses commits.
pub async fn probe_write(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared(
        "INSERT INTO health_probe (id, checked_at) VALUES (1, CURRENT_TIMESTAMP) \
         ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
    )
    .await?;
    Ok(())
}

/// The URL without its password, for logs and error messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

fn ensure_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(folder) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder).with_context(|| {
            format!(
                "cannot create the folder {} for the SQLite database",
                folder.display()
            )
        })?;
    }
    Ok(())
}

/// Connections of `db`'s pool: (open, idle), for `/metrics`.
pub fn pool_use(db: &DatabaseConnection) -> Option<(u32, usize)> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        _ => None,
    }
}
