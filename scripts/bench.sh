#!/usr/bin/env bash
# Benchmarks the release build on a fresh SQLite database with wrk at 64 connections and
# writes docs/benchmarks.md. Run from anywhere: `just bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PORT=${BENCH_PORT:-18080}
BASE="http://127.0.0.1:$PORT"
OUT=docs/benchmarks.md

if ! command -v wrk >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk >/dev/null; }
  else
    echo "bench needs wrk (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)" >&2
    exit 1
  fi
fi

cargo build --release -q
workdir=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT

# Starts the server on the bench database with extra environment (VAR=value ...).
start_server() {
  [ -n "$server" ] && kill "$server" && wait "$server" 2>/dev/null || true
  env APP_ENV=production LOG_FORMAT=json RUST_LOG=warn \
    JWT_SECRET=bench-secret-bench-secret-bench-secret-00 \
    BIND_ADDR="127.0.0.1:$PORT" DATABASE_URL="sqlite://$workdir/bench.db" "$@" \
    ./target/release/experience-layer >>"$workdir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
}

start_server

token=$(curl -sf -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"bench@rpotential.ai","password":"bench-password","name":"Bench"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')

# Prints "rps p50_ms p99_ms" for one endpoint.
measure() {
  local path=$1; shift
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$BASE$path" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    END { if (bad) { print "non-2xx responses: " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}

curl -sf "$BASE/api/v1" >/dev/null
read -r index_rps index_p50 index_p99 < <(measure /api/v1)
read -r me_rps me_p50 me_p99 < <(measure /api/v1/users/me -H "Authorization: Bearer $token")
peak_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
ratio=$(awk -v a="$me_rps" -v b="$index_rps" 'BEGIN { printf "%.2f", a / b }')

# The same read with the user/session cache off, as on PostgreSQL by default.
start_server AUTH_CACHE_TTL_SECONDS=0
read -r nocache_rps nocache_p50 nocache_p99 < <(measure /api/v1/users/me -H "Authorization: Bearer $token")

cat >"$OUT" <<MD
# Benchmarks

Written by \`just bench\` (scripts/bench.sh); do not edit by hand. Release build, SQLite
(WAL) in a temporary folder, JSON logs at \`warn\`, wrk with 1 thread and $CONNECTIONS
connections for $DURATION per endpoint on the same machine as the server
($(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo)), run on $(date -u +%Y-%m-%d).

| endpoint | requests/s | p50 | p99 |
|---|---:|---:|---:|
| \`GET /api/v1\` (no auth, no database) | $index_rps | ${index_p50} ms | ${index_p99} ms |
| \`GET /api/v1/users/me\` (Bearer JWT; user and session from the read cache) | $me_rps | ${me_p50} ms | ${me_p99} ms |
| \`GET /api/v1/users/me\` with \`AUTH_CACHE_TTL_SECONDS=0\` (two SQLite reads per request) | $nocache_rps | ${nocache_p50} ms | ${nocache_p99} ms |

- Authenticated read / index throughput: **$ratio** (target ≥ 0.5).
- Peak RSS of the server over the first two runs: **$((peak_kib / 1024)) MiB** (target < 50 MiB).

Every authenticated request checks the user's status and the session's revocation. With
SQLite one server owns the database and sees every write, so it serves those two lookups
from a cache that each write evicts (exact, not eventually consistent); on PostgreSQL,
where instances may be several, the cache is off unless \`AUTH_CACHE_TTL_SECONDS\` is
set. The third row is what the check costs without it.

The load generator shares the two cores with the server, so absolute numbers understate
what the server does alone; the ratio between endpoints is the meaningful figure.
MD
cat "$OUT"
