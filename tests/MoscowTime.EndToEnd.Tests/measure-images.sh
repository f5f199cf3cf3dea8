#!/usr/bin/env bash
# Figures for the images, printed as they are measured:
#   - size of each image's own layers over mcr.microsoft.com/dotnet/runtime-deps:10.0, layer by layer;
#   - cold build (our images and their cached build stages removed; base images stay),
#     warm build with no change, and warm build after one changed .cs file (in a copy of the context);
#   - time from `podman pod start` to ready for each pod, from the end-to-end test's own log.
#
#   tests/MoscowTime.EndToEnd.Tests/measure-images.sh          # everything (~5 min)
#   SKIP_PODS=1 tests/MoscowTime.EndToEnd.Tests/measure-images.sh
#
# The cold build removes every untagged image (podman image prune): layer caches of other builds too.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CONTAINERS_CONF=${CONTAINERS_CONF:-${W:-/tmp/moscowtime-standins}/containers.conf}
BASE=mcr.microsoft.com/dotnet/runtime-deps:10.0
APPS=(web sidecar)

../shared/containers/make-dotnet-base-images.sh > /dev/null

seconds_since() { awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'; }

build() {  # build <app> <tag> [context]
  podman build --pull=never --network host -f "Dockerfile.$1" -t "localhost/moscow-time-$1:$2" "${3:-.}" > /dev/null 2>&1
}

time_builds() {  # time_builds <label> <tag> [context]
  local app start
  for app in "${APPS[@]}"; do
    start=$EPOCHREALTIME
    build "$app" "$2" "${3:-.}"
    printf '%-34s %-8s %6s s\n' "$1" "$app" "$(seconds_since "$start")"
  done
}

mib() { awk -v bytes="$1" 'BEGIN { printf "%.1f MiB", bytes / 1048576 }'; }

echo "== cold build (images and build stages removed, base images present)"
for app in "${APPS[@]}"; do
  for tag in e2e e2e-build measure; do
    podman rmi --force "localhost/moscow-time-$app:$tag" > /dev/null 2>&1 || true
  done
done
podman image prune --force > /dev/null
time_builds "cold" e2e

echo "== warm build"
time_builds "no change" e2e
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp global.json Directory.Build.props Directory.Packages.props .editorconfig .dockerignore Dockerfile.* "$context/"
tar -c --exclude=bin --exclude=obj --exclude=data src | tar -x -C "$context"
echo "// measure-images.sh: one changed line" >> "$context/src/MoscowTime.Storage/Schema.cs"
time_builds "one .cs changed (Storage, shared)" measure "$context"
for app in "${APPS[@]}"; do podman rmi "localhost/moscow-time-$app:measure" > /dev/null; done
podman image prune --force > /dev/null

echo "== image sizes (own layers over $BASE)"
base_size=$(podman image inspect --format '{{.Size}}' "$BASE")
base_steps=$(podman history --quiet "$BASE" | wc -l)
echo "base $BASE: $(mib "$base_size")"
for app in "${APPS[@]}"; do
  image=localhost/moscow-time-$app:e2e
  size=$(podman image inspect --format '{{.Size}}' "$image")
  printf '%-8s %s over the base, %s in all\n' "$app" "$(mib $((size - base_size)))" "$(mib "$size")"
  # An image's history is the base's with our steps on top: the first (ours - base's) lines are ours.
  steps=$(podman history --quiet "$image" | wc -l)
  podman history --format '{{.Size}}\t{{.CreatedBy}}' "$image" | head -n $((steps - base_steps)) \
    | awk -F'\t' '$1 != "0 B" { print }' | cut -c1-110 | sed 's/^/    /'
done
echo "(the sqlite3 + tzdata + busybox layer is the same in both images and stored once)"

if [ "${SKIP_PODS:-0}" != 1 ]; then
  echo "== pod start to ready (end-to-end test, Parallel overlay)"
  dotnet test tests/MoscowTime.EndToEnd.Tests --filter 'FullyQualifiedName~Both_pods_become_ready' \
    --logger 'console;verbosity=detailed' 2>&1 | grep -E '^ moscow-time-[0-9]+ ready' | sort -u
fi
