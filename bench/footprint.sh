#!/usr/bin/env bash
# Footprint of what runs in a cluster (issue #13): the agent bundle the init container copies into every task
# pod, the binary in it, the glue image, the copy into a pod, and the glue's memory with 2,000 live pods.
#
#   bundle     scripts/bundle of the stripped release binary (the image strips its copy too): size on disk
#   binary     the release clearml-glue, as built and stripped
#   image      no container engine needed: the gzip'd tarball of the runtime stage's filesystem, i.e. a
#              `debootstrap --variant=minbase bookworm` root with ca-certificates (trimmed as Debian's slim
#              images and scripts/image are: no docs but copyright, man pages, info, locales, apt lists) plus the
#              bundle in /opt/clearml-glue. The root is cached in .cache/debootstrap/bookworm-minbase-ca-certificates
#              (the layout Tests/Conformance/portability uses, so either reuses the other's).
#   copy       the init container's `cp -R BUNDLE/. DIR/` into a fresh folder, median of 10 (page cache warm, as on a
#              node that already has the image)
#   rss        `bench/dispatch.sh` with 2 backlogs of 1,000 tasks (2,000 live pods on clearml-glue-dev's cluster),
#              the glue's RSS (anon and file) idle with them; --no-rss skips it (it takes a few minutes)
#
# Usage: bench/footprint.sh [--static] [--no-rss] [--no-image]
#   --static builds with --static-swift-stdlib (in .build-static), as the Dockerfile's build stage does; the
#   default is the dynamic release build scripts/bundle and scripts/image make.
#   GLUE_BIN=path measures that binary instead of a release build in .build-bench (GLUE_DEV_BIN likewise for
#   the dispatch run's server and cluster). Needs root for debootstrap (the image estimate), patchelf and cc
#   (scripts/bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
rss=true image=true static=false
for arg in "$@"; do
  case "$arg" in
    --static) static=true ;;
    --no-rss) rss=false ;;
    --no-image) image=false ;;
    *) echo "usage: bench/footprint.sh [--static] [--no-rss] [--no-image]" >&2; exit 6 ;;
  esac
done
if [ -z "${GLUE_BIN:-}" ] && $static; then
  swift build -c release --scratch-path .build-static --product clearml-glue --static-swift-stdlib >&2
  GLUE_BIN="$(swift build -c release --scratch-path .build-static --static-swift-stdlib --show-bin-path)/clearml-glue"
elif [ -z "${GLUE_BIN:-}" ]; then
  swift build -c release --scratch-path .build-bench --product clearml-glue >&2
  GLUE_BIN="$(swift build -c release --scratch-path .build-bench --show-bin-path)/clearml-glue"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/footprint.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores; binary $GLUE_BIN"
cp "$GLUE_BIN" "$work/clearml-glue"
strip "$work/clearml-glue"
echo "binary: $(mb "$(stat -c %s "$GLUE_BIN")") as built, $(mb "$(stat -c %s "$work/clearml-glue")") stripped (target: none)"
echo "binary links: $(ldd "$GLUE_BIN" | awk '{print $1}' | grep -E 'Foundation|ICU|swift_|swiftCore|sqlite|crypto|ssl' | sort | tr '\n' ' ')"

scripts/bundle --binary "$work/clearml-glue" --out "$work/bundle" 2>"$work/bundle.log" || { cat "$work/bundle.log" >&2; exit 1; }
bundle_bytes=$(du -sb "$work/bundle" | cut -f1)
echo "bundle: $(mb "$bundle_bytes") on disk (du -sb; $(du -sh "$work/bundle" | cut -f1) in blocks), $(ls "$work/bundle/lib" | wc -l) libraries (target <= 40 MB)"
echo "bundle, largest files:"
find "$work/bundle" -type f -printf '%s %P\n' | sort -rn | awk 'NR <= 8' | while read -r size name; do echo "  $(mb "$size")  $name"; done

if $image; then
  cache=.cache/debootstrap
  key=bookworm-minbase-ca-certificates
  root="$cache/$key"
  if [ ! -e "$root/.glue-debootstrap-complete" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "debootstrap needs root (or --no-image)" >&2; exit 1; }
    command -v debootstrap >/dev/null || { echo "debootstrap is missing: run scripts/install-deps" >&2; exit 1; }
    mkdir -p "$cache"
    partial="$cache/partial-$key-$$"
    rm -rf --one-file-system "$partial"
    # The Debian mirror this machine's apt uses (one-line or deb822 sources), else deb.debian.org.
    mirror=$( { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } \
      | sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*debian[^ ]*\) bookworm .*/\2/p; s/^URIs: *\(http[^ ]*debian[^ ]*\)$/\1/p' \
      | awk '!/security/ { print; exit }')
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "debootstrap --variant=minbase --include=ca-certificates bookworm from $mirror (cached in $root)" >&2
    debootstrap --variant=minbase --include=ca-certificates bookworm "$partial" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; rm -rf --one-file-system "$partial"; exit 1; }
    mv "$partial" "$root"
    echo "$mirror" > "$root/.glue-debootstrap-complete"
  fi
  # The runtime stage: the root trimmed as a slim image is, and the bundle where the Dockerfile puts it.
  tar -C "$root" --numeric-owner --exclude=./.glue-debootstrap-complete --exclude=./debootstrap \
    --exclude='./usr/share/man/*' --exclude='./usr/share/info/*' --exclude='./usr/share/locale/*' \
    --exclude='./usr/share/groff/*' --exclude='./usr/share/lintian/*' --exclude='./var/lib/apt/lists/*' \
    --exclude='./var/cache/apt/*.bin' --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/log/*' \
    --exclude='./usr/share/doc/*/[!c]*' --exclude='./usr/share/doc/*/c[!o]*' -cf "$work/root.tar" .
  base_gz=$(gzip -6 -c "$work/root.tar" | wc -c)
  mkdir -p "$work/image/opt"
  cp -R "$work/bundle" "$work/image/opt/clearml-glue"
  tar -C "$work/image" --numeric-owner -rf "$work/root.tar" ./opt/clearml-glue
  image_gz=$(gzip -6 -c "$work/root.tar" | wc -c)
  echo "image: $(mb "$image_gz") compressed (gzip -6 of the runtime stage's filesystem: base with ca-certificates $(mb "$base_gz"), the bundle $(mb $((image_gz - base_gz)))), $(mb "$(stat -c %s "$work/root.tar")") uncompressed (target <= 80 MB compressed)"
fi

times=()
for i in $(seq 10); do
  mkdir "$work/pod$i"
  t0=$(date +%s.%N)
  cp -R "$work/bundle/." "$work/pod$i/"
  t1=$(date +%s.%N)
  times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
  rm -rf "$work/pod$i"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "copy: median $(echo "$sorted" | awk '{a[NR]=$1} END {printf "%.3f", (a[5]+a[6])/2}') s (min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1)) for cp -R into a fresh folder, 10 runs (target <= 0.3 s)"

if $rss; then
  echo "rss: bench/dispatch.sh --tasks 5 --backlog 1000 --live-pods 2000 --upstream-tasks 0 --idle-seconds 5 (a few minutes)" >&2
  # dispatch.sh's own status also reflects its other targets (throughput, CPU): only its RSS lines count here.
  GLUE_BIN="$GLUE_BIN" bench/dispatch.sh --tasks 5 --backlog 1000 --live-pods 2000 --upstream-tasks 0 --idle-seconds 5 \
    >"$work/dispatch.out" 2>"$work/dispatch.err" || true
  grep -qE 'idle with [0-9]+ live pods' "$work/dispatch.out" || { tail -20 "$work/dispatch.err" >&2; exit 1; }
  grep -E '^# idle glue, no pods|idle with [0-9]+ live pods' "$work/dispatch.out" | sed 's/^#* */rss: /'
  echo "rss target: <= 40 MB with 2,000 live pods"
fi
