#!/usr/bin/env bash
# Memory under concurrent large pages: one user posts 300 messages of 199,000 characters,
# then N readers (wrk, N connections, 10 s) ask for `?limit=100` pages of that thread.
# For each N the server is started afresh on the same database, so that each peak is its
# own. Prints one Markdown table row per N: peak RSS (VmHWM), RSS 1 s and 60 s after the
# load stopped, requests/s and the size of one response.
#
#   scripts/bench/memory.sh LABEL [READERS...]       (default readers: 50 100 200)
#
# BENCH_MEMORY_BINARY (default target/release/experience-layer) is the server to run and
# BENCH_MEMORY_ENV extra environment for it (e.g. "LD_PRELOAD=… MALLOC_CONF=…"), which is
# how allocators other than the built-in one were compared.
set -euo pipefail
cd "$(dirname "$0")/../.."

LABEL=${1:-default}
shift || true
READERS=("${@:-50 100 200}")
read -r -a READERS <<<"${READERS[*]}"
BINARY=${BENCH_MEMORY_BINARY:-target/release/experience-layer}
PORT=${BENCH_MEMORY_PORT:-18090}
BASE="http://127.0.0.1:$PORT"
DURATION=${BENCH_MEMORY_DURATION:-10s}
SETTLE=${BENCH_MEMORY_SETTLE:-60}

workdir=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT

start_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  # shellcheck disable=SC2086
  env APP_ENV=production LOG_FORMAT=json RUST_LOG=warn WORKERS=2 \
    JWT_SECRET=bench-secret-bench-secret-bench-secret-00 \
    BIND_ADDR="127.0.0.1:$PORT" DATABASE_URL="sqlite://$workdir/memory.db" \
    FILE_STORAGE_URL="$workdir/files" ${BENCH_MEMORY_ENV:-} \
    "$BINARY" >>"$workdir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
}

rss_mib() { awk -v f="$1" '$1 == f":" { print int($2 / 1024) }' "/proc/$server/status"; }

start_server
register='{"email":"memory@rpotential.ai","password":"bench-password","name":"Memory"}'
token=$(curl -sf -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' -d "$register" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
thread=$(curl -sf -X POST "$BASE/api/v1/threads" -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"title":"large messages"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
python3 - "$PORT" "$token" "$thread" <<'PY'
import http.client, json, sys, threading
port, token, thread = int(sys.argv[1]), sys.argv[2], sys.argv[3]
failures = []
def post(share):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for i in range(share):
        body = json.dumps({"content": f"{i:06d}" + "m" * 198_994})
        conn.request("POST", f"/api/v1/threads/{thread}/messages", body, headers)
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            failures.append(response.status)
workers = [threading.Thread(target=post, args=(75,)) for _ in range(4)]
for w in workers: w.start()
for w in workers: w.join()
if failures:
    sys.exit(f"{len(failures)} posts failed: {failures[:5]}")
PY
page="$BASE/api/v1/threads/$thread/messages?limit=100"
page_bytes=$(curl -sf "$page" -H "Authorization: Bearer $token" | wc -c)

for readers in "${READERS[@]}"; do
  start_server
  idle=$(rss_mib VmRSS)
  report=$(wrk -t2 -c"$readers" -d"$DURATION" --timeout 30s -H "Authorization: Bearer $token" "$page")
  sleep 1
  after=$(rss_mib VmRSS)
  sleep "$((SETTLE - 1))"
  settled=$(rss_mib VmRSS)
  # Read last: responses still being built when wrk stops count too.
  peak=$(rss_mib VmHWM)
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$report")
  bad=$(awk '/Non-2xx/ { print $NF }' <<<"$report")
  echo "| $LABEL | $readers | $idle MiB | **$peak MiB** | $after MiB | **$settled MiB** | $rps | $((page_bytes / 1024)) KiB${bad:+ ($bad non-2xx)} |"
done
