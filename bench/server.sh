#!/usr/bin/env bash
# Benchmarks `clearml-glue-dev server`: tasks.enqueue + queues.get_next_task round trips per second and p50/p99
# latency for 1 and 8 concurrent clients on loopback, then get_next_task latency over a 10,000-task backlog.
# Usage: bench/server.sh [--pairs N]   (GLUE_DEV_BIN=path uses that binary instead of a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GLUE_DEV_BIN:-}" ]; then
  swift build -c release --scratch-path .build-server --product clearml-glue-dev >&2
  GLUE_DEV_BIN="$(swift build -c release --scratch-path .build-server --show-bin-path)/clearml-glue-dev"
fi
data=$(mktemp -d)
log="$data/server.log"
"$GLUE_DEV_BIN" server --port 0 --data-dir "$data/db" --log-level warning >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q "^credentials" "$log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$log")
key=$(sed -n 's/^credentials access_key=\([^ ]*\) secret_key=.*/\1/p' "$log")
secret=$(sed -n 's/^credentials access_key=[^ ]* secret_key=\([^ ]*\)/\1/p' "$log")
[ -n "$url" ] && [ -n "$secret" ] || { cat "$log" >&2; exit 1; }
echo "server $GLUE_DEV_BIN on $url ($(nproc) cores)"
python3 bench/server_bench.py --url "$url" --key "$key" --secret "$secret" "$@"
