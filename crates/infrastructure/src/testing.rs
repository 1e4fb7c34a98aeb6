//! Fresh, migrated databases for tests: a temporary SQLite file, or a PostgreSQL schema of
//! its own inside `TEST_POSTGRES_URL`. Both disappear when the value is dropped, also when
//! the test panics, so test databases never pile up.

use sea_orm::{ConnectionTrait, Database};

use crate::database::{self, DatabaseSettings, Db};

/// Why the PostgreSQL variant of a test is ignored by default.
pub const POSTGRES_IGNORED: &str =
    "needs PostgreSQL: set TEST_POSTGRES_URL and run with --include-ignored";

pub struct TestDatabase {
    pub settings: DatabaseSettings,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(std::path::PathBuf),
    Schema { admin_url: String, schema: String },
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        Self::sqlite_in(
            std::env::temp_dir().join(format!("xl-test-{}", uuid::Uuid::new_v4().simple())),
        )
    }

    /// A SQLite database in `folder` (created when missing, removed on drop), e.g. on a
    /// small filesystem that a test fills.
    pub fn sqlite_in(folder: std::path::PathBuf) -> Self {
        let url = format!("sqlite://{}/test.db", folder.display());
        Self {
            settings: DatabaseSettings {
                url,
                max_connections: 8,
                min_connections: 1,
                schema: None,
            },
            cleanup: Cleanup::Folder(folder),
        }
    }

    /// A new schema in the database of `TEST_POSTGRES_URL`. Panics when it is not set or
    /// not reachable: a PostgreSQL test that cannot reach PostgreSQL must fail, not pass.
    pub async fn postgres() -> Self {
        let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
            panic!("TEST_POSTGRES_URL is not set; PostgreSQL tests cannot run");
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = match Database::connect(admin_url.as_str()).await {
            Ok(admin) => admin,
            Err(err) => panic!("cannot reach TEST_POSTGRES_URL: {err}"),
        };
        if let Err(err) = admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await
        {
            panic!("cannot create a test schema: {err}");
        }
        let _ = admin.close().await;
        Self {
            settings: DatabaseSettings {
                url: admin_url.clone(),
                max_connections: 8,
                min_connections: 1,
                schema: Some(schema.clone()),
            },
            cleanup: Cleanup::Schema { admin_url, schema },
        }
    }

    /// A migrated connection pool.
    pub async fn connect(&self) -> Db {
        if let Err(err) = database::migrate_before_connecting(&self.settings).await {
            panic!("cannot migrate the test database: {err:#}");
        }
        match database::connect(&self.settings).await {
            Ok(db) => db,
            Err(err) => panic!("cannot connect to the test database: {err:#}"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Schema { admin_url, schema } => {
                // Drop runs inside the test's runtime, which must not block: a thread with
                // a runtime of its own does the async work.
                let (url, schema) = (admin_url.clone(), schema.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async move {
                            if let Ok(admin) = Database::connect(url.as_str()).await {
                                let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                                let _ = admin.execute_unprepared(&sql).await;
                                let _ = admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// Runs one test body against SQLite, and against PostgreSQL when asked to:
/// `backend_test!(name, |db: TestDatabase| async move { ... })` makes `name::sqlite` and
/// `name::postgres` (ignored unless `--include-ignored`).
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let test = $body;
                test($crate::testing::TestDatabase::sqlite()).await;
            }

            #[tokio::test]
            #[ignore = "needs PostgreSQL: set TEST_POSTGRES_URL and run with --include-ignored"]
            async fn postgres() {
                let test = $body;
                test($crate::testing::TestDatabase::postgres().await).await;
            }
        }
    };
}

/// Why the Redis variant of a test is ignored by default.
pub const REDIS_IGNORED: &str = "needs Redis: set TEST_REDIS_URL and run with --include-ignored";

/// The Redis of `TEST_REDIS_URL`, after checking that it answers. Panics when it is not
/// set or not reachable: a Redis test that cannot reach Redis must fail, not pass. Tests
/// share it, so each keeps to keys under a prefix of its own ([`unique_prefix`]).
pub async fn redis_url() -> secrecy::SecretString {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        panic!("TEST_REDIS_URL is not set; Redis tests cannot run");
    };
    let client = match redis::Client::open(url.as_str()) {
        Ok(client) => client,
        Err(err) => panic!("TEST_REDIS_URL is not a Redis URL: {err}"),
    };
    let answer: redis::RedisResult<String> = async {
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async(&mut connection).await
    }
    .await;
    if let Err(err) = answer {
        panic!("cannot reach TEST_REDIS_URL: {err}");
    }
    secrecy::SecretString::from(url)
}

/// A key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("xl-test:{}:", uuid::Uuid::new_v4().simple())
}
