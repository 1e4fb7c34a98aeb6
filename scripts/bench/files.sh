#!/usr/bin/env bash
# Uploads and downloads of 100 MiB against a fresh release server on SQLite with local file
# storage; prints a Markdown section for docs/benchmarks.md. Called by scripts/bench.sh
# (after its release build); runs alone too: `bash scripts/bench/files.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_FILES_PORT:-18081}
BASE="http://127.0.0.1:$PORT"
RUNS=${BENCH_FILE_RUNS:-5}
SIZE_MIB=100

[ -x target/release/experience-layer ] || cargo build --release -q
workdir=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT

env APP_ENV=production LOG_FORMAT=json RUST_LOG=warn \
  JWT_SECRET=bench-secret-bench-secret-bench-secret-00 \
  BIND_ADDR="127.0.0.1:$PORT" DATABASE_URL="sqlite://$workdir/files.db" \
  FILE_STORAGE_URL="$workdir/files" \
  ./target/release/experience-layer >>"$workdir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done

register='{"email":"files@rpotential.ai","password":"bench-password","name":"Files"}'
token=$(curl -sf -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
  -d "$register" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')

# Random bytes, so that each run is a new blob (identical bytes would be stored once).
big="$workdir/big.bin"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$big"

rss_kib() { awk "/$1/ { print \$2 }" "/proc/$server/status"; }

# Warm up with a small upload so that the baseline includes every pool and buffer a
# first request creates.
head -c 65536 /dev/urandom >"$workdir/small.bin"
curl -sf -o /dev/null -H "Authorization: Bearer $token" -F "file=@$workdir/small.bin" "$BASE/api/v1/files"
baseline_kib=$(rss_kib VmHWM)

upload_speeds=()
download_speeds=()
for run in $(seq 1 "$RUNS"); do
  # A fresh first megabyte makes every run's bytes (and blob) different.
  head -c 1048576 /dev/urandom | dd of="$big" conv=notrunc status=none
  read -r speed code < <(curl -s -o "$workdir/upload.json" -w '%{speed_upload} %{http_code}\n' \
    -H "Authorization: Bearer $token" -F "file=@$big;type=application/octet-stream" "$BASE/api/v1/files")
  [ "$code" = 201 ] || { echo "upload $run answered $code" >&2; cat "$workdir/upload.json" >&2; exit 1; }
  upload_speeds+=("$speed")
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["id"])' "$workdir/upload.json")
  read -r speed code < <(curl -s -o "$workdir/download.bin" -w '%{speed_download} %{http_code}\n' \
    -H "Authorization: Bearer $token" "$BASE/api/v1/files/$id/content")
  [ "$code" = 200 ] || { echo "download $run answered $code" >&2; exit 1; }
  cmp -s "$big" "$workdir/download.bin" || { echo "download $run differs from the upload" >&2; exit 1; }
  download_speeds+=("$speed")
done
peak_kib=$(rss_kib VmHWM)

# Median of bytes/s values, in MiB/s.
median_mib() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 1048576 }'; }
range_mib() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo / 1048576, hi / 1048576 }'; }

cat <<MD
## Files

A fresh server on SQLite with local file storage (\`FILE_STORAGE_URL\` in a temporary
folder on the same disk). curl uploads $SIZE_MIB MiB of random bytes as
\`multipart/form-data\` over loopback, then downloads them and compares them with the
original, $RUNS times; each upload is new bytes (a new blob).

| measurement | median | range |
|---|---:|---:|
| upload of $SIZE_MIB MiB (streamed to disk, SHA-256 on the way) | **$(median_mib "${upload_speeds[@]}") MiB/s** | $(range_mib "${upload_speeds[@]}") MiB/s |
| download of $SIZE_MIB MiB | **$(median_mib "${download_speeds[@]}") MiB/s** | $(range_mib "${download_speeds[@]}") MiB/s |

- Peak RSS after a warm-up upload: $((baseline_kib / 1024)) MiB; after the $RUNS uploads and downloads: $((peak_kib / 1024)) MiB,
  an increase of **$(((peak_kib - baseline_kib) / 1024)) MiB** (target < 32 MiB).
- Targets: upload ≥ 200 MiB/s; peak RSS up by less than 32 MiB for a $SIZE_MIB MiB upload.
MD
