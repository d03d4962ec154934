#!/usr/bin/env bash
# Benchmarks the in-pod agent side by side with upstream: `clearml-glue execute` vs `clearml-agent execute`
# (PyPI clearml-agent 3.0.3 from the conformance venv), same task shape, same `clearml-glue-dev server`, the
# environment already satisfied. Prints (a) spawn -> the script's first line, (b) console line -> visible
# in events.get_task_log p50/p99, (c) tasks.stop -> agent process gone. See bench/agent_bench.py.
# Usage: bench/agent.sh [--bundle] [--runs N] [--console-runs N] [--lines N]
#   GLUE_BIN=path uses that binary instead of a release build in .build-bench (GLUE_DEV_BIN likewise for the
#   server's clearml-glue-dev).
#   --bundle runs the agent as task pods do: from a scripts/bundle folder made of that binary, through its
#   launcher and bundled loader (the server still runs the plain binary).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GLUE_BIN:-}" ]; then
  swift build -c release --scratch-path .build-bench --product clearml-glue >&2
  GLUE_BIN="$(swift build -c release --scratch-path .build-bench --show-bin-path)/clearml-glue"
fi
if [ -z "${GLUE_DEV_BIN:-}" ]; then
  swift build -c release --scratch-path .build-bench --product clearml-glue-dev >&2
  GLUE_DEV_BIN="$(swift build -c release --scratch-path .build-bench --show-bin-path)/clearml-glue-dev"
fi
bundle=false
if [ "${1:-}" = "--bundle" ]; then bundle=true; shift; fi
python="$(scripts/python-env)"
upstream="$(dirname "$python")/clearml-agent"
[ -x "$upstream" ] || { echo "clearml-agent is missing from the conformance venv" >&2; exit 1; }
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
agent="$GLUE_BIN"
if $bundle; then
  scripts/bundle --binary "$GLUE_BIN" --out "$data/bundle" >&2
  agent="$data/bundle/bin/clearml-glue"
fi
echo "server $GLUE_DEV_BIN, agent $agent on $url ($(nproc) cores); upstream $("$python" -m pip show clearml-agent 2>/dev/null | sed -n 's/^Version: /clearml-agent /p') on $("$python" --version)"
"$python" bench/agent_bench.py --url "$url" --key "$key" --secret "$secret" --glue "$agent" \
  --upstream "$upstream" --python "$python" "$@"
