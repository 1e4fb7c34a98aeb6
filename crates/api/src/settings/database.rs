//! Which database, how many connections, and whether to migrate at start.

use infrastructure::database::{Backend, DatabaseSettings};

use super::reader::Reader;

/// The connection settings and the engine they name (`None` after a bad `DATABASE_URL`).
pub(super) fn read(r: &mut Reader<'_>) -> (DatabaseSettings, Option<Backend>) {
    let database = DatabaseSettings {
        url: r.text("DATABASE_URL", "sqlite://./data/experience.db"),
        max_connections: r.parse("DATABASE_MAX_CONNECTIONS", 16),
        min_connections: r.parse("DATABASE_MIN_CONNECTIONS", 1),
        schema: r.optional("DATABASE_SCHEMA"),
    };
    let backend = match Backend::of(&database.url) {
        Ok(backend) => Some(backend),
        Err(err) => {
            r.fail("DATABASE_URL", err.to_string());
            None
        }
    };
    (database, backend)
}
