//! The migrations go both ways: every `down()` undoes exactly what its `up()` did, so
//! rolling back one migration gives the schema as it was before it, rolling back all of
//! them leaves none of our tables, and applying them again gives the same schema.
//!
//! The schema is read from the catalog: `sqlite_master` on SQLite; on PostgreSQL the
//! relations, columns, constraints, indexes, triggers, functions and types of the test's
//! schema.

use infrastructure::{
    backend_test,
    database::{self, DatabaseSettings, Db},
    testing::TestDatabase,
};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// sea-orm's record of applied migrations: it may stay after a full rollback.
const MIGRATION_TABLE: &str = "seaql_migrations";

/// One connection, so that every statement sees the schema the last one left.
async fn connect_unmigrated(db: &TestDatabase) -> Db {
    database::connect(&DatabaseSettings {
        max_connections: 1,
        min_connections: 1,
        ..db.settings.clone()
    })
    .await
    .unwrap()
}

/// Every object of the schema as one line of text each, sorted, leaving out sea-orm's
/// migration table and SQLite's own tables.
async fn schema(conn: &Db) -> Vec<String> {
    let queries: &[&str] = match conn.get_database_backend() {
        DbBackend::Sqlite => &[r#"
            SELECT type || ' ' || name || ' on ' || tbl_name || ': ' || COALESCE(sql, '') AS entry
            FROM sqlite_master
            WHERE tbl_name <> 'seaql_migrations' AND name NOT LIKE 'sqlite_%'"#],
        DbBackend::Postgres => &[
            // Tables, indexes, sequences, views, with their kind.
            r#"
            SELECT concat_ws(' ', 'relation', c.relkind::text, c.relname) AS entry
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname NOT LIKE 'seaql_migrations%'"#,
            r#"
            SELECT format('column | %s | %s | %s | %s | %s | %s | %L | %L | %L | %s | %s | %L',
                table_name, column_name, ordinal_position, data_type, udt_name, is_nullable,
                column_default, character_maximum_length, numeric_precision, is_identity,
                is_generated, generation_expression) AS entry
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name <> 'seaql_migrations'"#,
            r#"
            SELECT concat_ws(' | ', 'constraint', c.conrelid::regclass::text, c.conname,
                c.contype::text, pg_get_constraintdef(c.oid)) AS entry
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = current_schema()
              AND c.conrelid::regclass::text NOT LIKE '%seaql_migrations'"#,
            r#"
            SELECT concat_ws(' | ', 'index', tablename, indexname, indexdef) AS entry
            FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename <> 'seaql_migrations'"#,
            r#"
            SELECT concat_ws(' | ', 'trigger', event_object_table, trigger_name,
                event_manipulation, action_timing, action_statement) AS entry
            FROM information_schema.triggers
            WHERE trigger_schema = current_schema()"#,
            r#"
            SELECT concat_ws(' | ', 'function', p.proname, pg_get_function_identity_arguments(p.oid))
                AS entry
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema()"#,
            r#"
            SELECT concat_ws(' | ', 'type', t.typname, t.typtype::text) AS entry
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'r', 'm')"#,
        ],
        other => panic!("no schema query for {other:?}"),
    };
    let mut entries = Vec::new();
    for sql in queries {
        let rows = conn
            .query_all(Statement::from_string(conn.get_database_backend(), *sql))
            .await
            .unwrap();
        for row in rows {
            entries.push(row.try_get::<String>("", "entry").unwrap());
        }
    }
    entries.sort();
    entries
}

/// The tables left in the schema, by name, sorted.
async fn tables(conn: &Db) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master \
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY table_name"
        }
    };
    let rows = conn
        .query_all(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

backend_test!(
    every_migration_rolls_back_to_the_schema_before_it_and_applies_again_to_the_same_schema,
    |db: TestDatabase| async move {
        let conn = connect_unmigrated(&db).await;
        let count = Migrator::migrations().len();
        assert!(count > 0);

        // The schema after 0, 1, …, count migrations, applied one at a time.
        let mut after = vec![schema(&conn).await];
        assert_eq!(
            after[0],
            Vec::<String>::new(),
            "the test schema is not empty"
        );
        for _ in 0..count {
            Migrator::up(&conn, Some(1)).await.unwrap();
            after.push(schema(&conn).await);
        }
        assert!(Migrator::get_pending_migrations(&conn)
            .await
            .unwrap()
            .is_empty());
        let applied = after[count].clone();

        // Rolled back one at a time, each step gives the schema from before its migration.
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        for step in (0..count).rev() {
            Migrator::down(&conn, Some(1)).await.unwrap();
            assert_eq!(
                schema(&conn).await,
                after[step],
                "rolling back {} does not give the schema from before it",
                names[step]
            );
        }

        // Nothing of ours remains.
        let left = tables(&conn).await;
        assert!(
            left.iter().all(|name| name == MIGRATION_TABLE),
            "tables left after rolling back every migration: {left:?}"
        );
        assert_eq!(
            Migrator::get_applied_migrations(&conn).await.unwrap().len(),
            0
        );

        // Applied again, all at once, the schema is the one the first application made.
        Migrator::up(&conn, None).await.unwrap();
        assert_eq!(schema(&conn).await, applied);

        // And rolled back all at once, nothing of ours remains either.
        Migrator::down(&conn, None).await.unwrap();
        let left = tables(&conn).await;
        assert!(
            left.iter().all(|name| name == MIGRATION_TABLE),
            "tables left after rolling back every migration: {left:?}"
        );
        Migrator::up(&conn, None).await.unwrap();
        assert_eq!(schema(&conn).await, applied);
    }
);
