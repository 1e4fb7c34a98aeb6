# Experience Layer tasks. `cargo install just` once; every recipe is plain cargo underneath.

# PostgreSQL for `test-all` (the database is recreated on every run).
pg_test_url := env_var_or_default("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/experience_test")

default:
    @just --list

# Serve on embedded SQLite (./data/experience.db) with development defaults.
run:
    cargo run

# Every test; the PostgreSQL variants are listed as ignored.
test:
    cargo test --workspace

# Every test, the PostgreSQL variants included (needs a reachable PostgreSQL).
test-all:
    psql "{{pg_test_url}}" -c 'select 1' >/dev/null 2>&1 || psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE experience_test' >/dev/null
    TEST_POSTGRES_URL="{{pg_test_url}}" cargo test --workspace -- --include-ignored

# Apply migrations to DATABASE_URL (default: the development SQLite file). Also: down, status, fresh.
migrate *args="up":
    mkdir -p data
    DATABASE_URL="${DATABASE_URL:-sqlite://./data/experience.db?mode=rwc}" cargo run -q -p migrations --bin migrator -- {{args}}

# Regenerate openapi.yaml from the code.
openapi:
    cargo run -q -- openapi > openapi.yaml

# Formatting and clippy, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Release build under load (wrk); results go to docs/benchmarks.md.
bench:
    scripts/bench.sh

# Fuzz the API from its OpenAPI document (Schemathesis): no 5xx, every response as documented.
fuzz:
    scripts/fuzz.sh
