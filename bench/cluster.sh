#!/usr/bin/env bash
# DevCluster + KubeAPI benchmark: pod creates per second and create->watch-event latency for N pods
# (client limiter off), and the client's memory with 2,000 pods in its reflector cache.
# The cluster runs as its own process, so the memory figure is the client's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build-cluster}
pods=${CLUSTER_BENCH_PODS:-1000}

swift build --scratch-path "$scratch" --build-tests >&2
# CLUSTER_BIN: e.g. a release build of clearml-glue-dev for the server side; the client runs in the test binary.
bin=${CLUSTER_BIN:-"$(swift build --scratch-path "$scratch" --show-bin-path)/clearml-glue-dev"}
data=$(mktemp -d)
cluster_pid=""
cluster_stop() {
  if [ -n "$cluster_pid" ]; then kill -TERM "$cluster_pid" 2>/dev/null || true; wait "$cluster_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cluster_stop EXIT

"$bin" cluster --port 0 --data-dir "$data" --cpu 100000 --memory 100Ti --fail-image-pattern '^bench-nopull/' \
  --log-level warning > "$data/out" 2> "$data/err" &
cluster_pid=$!
for _ in $(seq 100); do grep -q '^kubeconfig: ' "$data/out" 2>/dev/null && break; sleep 0.1; done
kubeconfig=$(sed -n 's/^kubeconfig: //p' "$data/out")
[ -n "$kubeconfig" ] || { echo "cluster did not start: $(cat "$data/err")" >&2; exit 1; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, $pods pods, cluster $bin, client debug test build" >&2
CLUSTER_BENCH_KUBECONFIG="$kubeconfig" CLUSTER_BENCH_PODS="$pods" \
  swift test --scratch-path "$scratch" --skip-build --filter ClusterBenchmark 2>&1 | grep -E '^BENCH|✘|error' || true
