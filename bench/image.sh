#!/usr/bin/env bash
# Figures of the image that scripts/image builds: size on disk and compressed (`podman save | gzip -c | wc -c`),
# build time cold (empty image store, no cached debootstrap root) and warm (the same build again), and the wall
# time of `podman run --rm IMAGE --help`.
# Usage: bench/image.sh [--binary PATH] [--runs N]
#   --binary  the clearml-glue to ship (default: $GLUE_BIN, else a release build in .build-bench)
#   --runs    `podman run --rm IMAGE --help` runs to time (default 10)
# The cold and warm builds use their own store and cache under bench/out/ (removed at the end), so the
# .build-image/ store and the .cache/image roots of scripts/image are neither used nor changed. The Swift
# compile is not part of the build times: the image is built from an already built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${GLUE_BIN:-}"
runs=10
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: bench/image.sh [--binary PATH] [--runs N]" >&2; exit 6 ;;
  esac
done
if [ -z "$binary" ]; then
  swift build -c release --scratch-path .build-bench --product clearml-glue >&2
  binary="$(swift build -c release --scratch-path .build-bench --show-bin-path)/clearml-glue"
fi
mkdir -p bench/out
work="$(mktemp -d "$PWD/bench/out/image.XXXXXX")"
export GLUE_IMAGE_DIR="$work/store" GLUE_IMAGE_CACHE="$work/cache"
cleanup() {
  scripts/image podman system reset --force >/dev/null 2>&1 || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
name=docker.io/library/clearml-glue:bench
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN { printf f, b - a }'; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); binary $binary ($(( $(stat -c %s "$binary") / 1000000 )) MB)"
t0=$(now); scripts/image --binary "$binary" --tag clearml-glue:bench --out "$work/cold.oci.tar" >/dev/null 2>"$work/cold.log"; t1=$(now)
echo "build cold (debootstrap bookworm minbase, import, bundle, buildah bud, archive): $(elapsed "$t0" "$t1") s"
t0=$(now); scripts/image --binary "$binary" --tag clearml-glue:bench --out "$work/warm.oci.tar" >/dev/null 2>"$work/warm.log"; t1=$(now)
echo "build warm (same binary, root and layers cached): $(elapsed "$t0" "$t1") s"

eval "$(scripts/image env)"
size=$(podman image inspect --format '{{.Size}}' "$name")
bundle=$(du -sb "$GLUE_IMAGE_DIR/bundle" | cut -f1)
base=$(podman image inspect --format '{{.Size}}' localhost/clearml-glue-base:bookworm-minbase)
gz=$(podman save "$name" 2>/dev/null | gzip -c | wc -c)
echo "size on disk: $(( size / 1000000 )) MB (base stand-in $(( base / 1000000 )) MB, bundle $(( bundle / 1000000 )) MB)"
echo "compressed (podman save | gzip -c | wc -c): $(( gz / 1000000 )) MB ($gz bytes); OCI archive (gzip layers): $(( $(stat -c %s "$work/warm.oci.tar") / 1000000 )) MB"

times=()
for _ in $(seq "$runs"); do
  t0=$(now); podman run --rm "$name" --help >/dev/null; t1=$(now)
  times+=("$(elapsed "$t0" "$t1" %.3f)")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" '{ v[NR] = $1; s += $1 } END {
  printf "podman run --rm IMAGE --help: median %.3f s, min %.3f, max %.3f, mean %.3f over %d runs\n", v[int((NR + 1) / 2)], v[1], v[NR], s / NR, n }'
t0=$(now); podman run --rm --network none "$name" --help >/dev/null; t1=$(now)
none=$(elapsed "$t0" "$t1" %.3f)
t0=$(now); "$GLUE_IMAGE_DIR/bundle/bin/clearml-glue" --help >/dev/null; t1=$(now)
echo "  with --network none: $none s; the bundle's clearml-glue --help on the host, no container: $(elapsed "$t0" "$t1" %.3f) s"
