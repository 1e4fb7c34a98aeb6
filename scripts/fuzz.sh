#!/usr/bin/env bash
# Property-based testing of the running API from its own OpenAPI document with Schemathesis:
# no generated request may get a 5xx, and every response must match the document (status
# code, media type, headers and body schema). `just fuzz`; CI runs it on the debug build.
#
# Schemathesis's opinions about which inputs a server should accept are left out: it counts
# a refused `If-Match: 0` or a cursor it made up as a "valid request rejected", which a
# conditional or paged API must refuse. One worker: with two, Hypothesis's parsing in threads
# once failed inside CPython 3.11 ("AST constructor recursion depth mismatch").
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${FUZZ_PROFILE:-release}
PORT=${FUZZ_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"
command -v schemathesis >/dev/null || python3 -m pip install -q schemathesis

if [ "$PROFILE" = release ]; then cargo build --release -q; else cargo build -q; fi
workdir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT
# Limits off: the fuzzer's burst would otherwise be answered 429 and test nothing else.
JWT_SECRET=fuzz-secret-fuzz-secret-fuzz-secret-0000 RUST_LOG=warn RATE_LIMITS_ENABLED=false \
  BIND_ADDR="127.0.0.1:$PORT" DATABASE_URL="sqlite://$workdir/fuzz.db" FILE_STORAGE_URL="$workdir/files" \
  "${CARGO_TARGET_DIR:-target}/$PROFILE/experience-layer" >"$workdir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done

token=$(curl -sf -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"fuzz@rpotential.ai","password":"fuzz-password","name":"Fuzz"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')

# Signing out or revoking the fuzzer's own session would turn the rest into 401s.
schemathesis run "$BASE/api/v1/openapi.json" -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method \
  --phases examples,coverage,fuzzing,stateful --suppress-health-check all \
  --max-examples "${FUZZ_EXAMPLES:-80}" --workers 1 \
  --exclude-operation-id logout --exclude-operation-id revoke_session
