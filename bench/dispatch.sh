#!/usr/bin/env bash
# Glue dispatch benchmark: `clearml-glue glue` on `clearml-glue-dev server` + `clearml-glue-dev cluster` (loopback),
# upstream clearml-agent 3.0.3's K8sIntegration (conformance venv, kubectl on PATH) side by side.
# Prints enqueue -> pod created p50/p90/p99 (watch ADDED vs tasks.enqueue returned, idle queue, random
# 0.5-1.5 s gaps), idle ClearML calls/s, tasks/s draining a 1,000-task backlog, RSS (peak and with 2,000 live
# pods), CPU ms / ClearML calls / Kubernetes creates per task, each against the issue #5 target. See
# bench/dispatch_bench.py.
# Usage: bench/dispatch.sh [--tasks 50] [--backlog 1000] [--live-pods 2000] [--upstream-tasks 15]
#                          [--upstream-backlog 30] (--upstream-tasks 0 skips upstream)
#        bench/dispatch.sh --queues 1,10,100 [--tasks 30] [--idle-seconds 10]: only the queue-scaling phase
#          (issue #15): per number of served queues, idle ClearML calls/s and enqueue->pod p50/p90.
#   GLUE_BIN=path uses that binary instead of a release build in .build-bench2 (BUILD_MODE=debug to label it);
#   GLUE_DEV_BIN likewise for the server and cluster (clearml-glue-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GLUE_BIN:-}" ]; then
  swift build -c release --scratch-path .build-bench2 --product clearml-glue >&2
  GLUE_BIN="$(swift build -c release --scratch-path .build-bench2 --show-bin-path)/clearml-glue"
  BUILD_MODE=release
fi
if [ -z "${GLUE_DEV_BIN:-}" ]; then
  swift build -c release --scratch-path .build-bench2 --product clearml-glue-dev >&2
  GLUE_DEV_BIN="$(swift build -c release --scratch-path .build-bench2 --show-bin-path)/clearml-glue-dev"
fi
python="$(scripts/python-env)"
command -v kubectl >/dev/null || echo "kubectl not on PATH: the upstream side will fail" >&2
data=$(mktemp -d)
server="" cluster="" bench=""
cleanup() {
  [ -n "$bench" ] && kill -TERM "$bench" 2>/dev/null && wait "$bench" 2>/dev/null
  [ -n "$cluster" ] && kill -TERM "$cluster" 2>/dev/null && wait "$cluster" 2>/dev/null
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ -n "${KEEP_DATA:-}" ]; then echo "data kept in $data" >&2; else rm -rf "$data"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# server at debug level: one line per request, which is how upstream's ClearML calls are counted
"$GLUE_DEV_BIN" server --port 0 --data-dir "$data/server" --log-level debug >"$data/server.log" 2>&1 &
server=$!
"$GLUE_DEV_BIN" cluster --port 0 --data-dir "$data/cluster" --cpu 100000 --memory 100Ti --log-level warning \
  >"$data/cluster.out" 2>"$data/cluster.err" &
cluster=$!
for _ in $(seq 200); do
  grep -q "^credentials" "$data/server.log" 2>/dev/null && grep -q '^kubeconfig: ' "$data/cluster.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$data/server.log")
key=$(sed -n 's/^credentials access_key=\([^ ]*\) secret_key=.*/\1/p' "$data/server.log")
secret=$(sed -n 's/^credentials access_key=[^ ]* secret_key=\([^ ]*\)/\1/p' "$data/server.log")
kubeconfig=$(sed -n 's/^kubeconfig: //p' "$data/cluster.out")
[ -n "$url" ] && [ -n "$secret" ] || { cat "$data/server.log" >&2; exit 1; }
[ -n "$kubeconfig" ] || { cat "$data/cluster.err" >&2; exit 1; }
kubectl --kubeconfig "$kubeconfig" create namespace clearml >/dev/null
cat >"$data/template.yaml" <<'EOF'
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: task
      image: bench/sleep:1
      command: ["sleep", "3600"]
EOF
echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); glue $GLUE_BIN (${BUILD_MODE:-given}); server $url; upstream $("$python" -m pip show clearml-agent 2>/dev/null | sed -n 's/^Version: /clearml-agent /p')"
"$python" bench/dispatch_bench.py --url "$url" --key "$key" --secret "$secret" --glue "$GLUE_BIN" \
  --kubeconfig "$kubeconfig" --template "$data/template.yaml" --data "$data" --python "$python" \
  --launcher bench/upstream_glue_launcher.py --server-log "$data/server.log" --build "${BUILD_MODE:-given}" --server-pid "$server" --cluster-pid "$cluster" "$@" &
bench=$!
wait "$bench"
