#!/usr/bin/env bash
# Compaction benchmark: what the store holds for a day of history at 10 visits/s once compacted, and how long
# `restore` takes from it, as a whole process (the Native AOT executable, as published), s3rver on 127.0.0.1 as the store.
# The history is synthetic, made in minutes rather than a day (bench/MoscowTime.Bench.Compact): a real SQLite
# database with the web app's schema and statement, the visits committed one by one at simulated seconds, each
# second's commits read from the WAL as the shipper reads them (its checkpoint and the WAL's restarts included) and
# merged as SegmentCompactor merges an ended hour, then sent with the product's client after the chain's snapshot.
# The database lives in /dev/shm so that the commits do not wait for the disk; the store is on disk.
# Usage: bench/compact.sh [hours, default 24] [visits per second, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."

hours=${1:-24}
rate=${2:-10}
store_port=18099
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-compact-bench
shm=$(mktemp -d /dev/shm/moscowtime-compact.XXXXXX)
trap 'bench_cleanup; rm -rf "$shm"' EXIT
need node sqlite3
s3rver=.tools/node_modules/s3rver/bin/s3rver.js
[ -f "$s3rver" ] || { echo "bench: s3rver missing; install with: npm install --prefix .tools s3rver@3.7.1" >&2; exit 1; }

echo "building Release, publishing the sidecar..."
dotnet build -c Release -v quiet -nologo bench/MoscowTime.Bench.Compact >/dev/null
dotnet publish -c Release -v quiet -nologo src/MoscowTime.Sidecar -o "$work/sidecar" >/dev/null
sidecar=$work/sidecar/MoscowTime.Sidecar

# s3rver makes the continuation token of a listing past 1,000 objects with DES, which OpenSSL 3 leaves to its legacy provider.
node --openssl-legacy-provider "$s3rver" --directory "$work/s3" --address 127.0.0.1 --port "$store_port" --silent --configure-bucket backups >/dev/null &
pids+=($!)
sleep 1
remote=(--AWS_ACCESS_KEY_ID=S3RVER --AWS_SECRET_ACCESS_KEY=bench "--Backup:Remote:Url=s3://backups/bench"
  "--Backup:Remote:Endpoint=http://127.0.0.1:$store_port" --Backup:Remote:PodName=moscow-time-0
  --Logging:LogLevel:Default=Warning)

echo "making ${hours} h of history at ${rate} visits/s..."
made_start=$(now_ms)
read -r objects bytes visits last middle < <(dotnet bench/MoscowTime.Bench.Compact/bin/Release/net10.0/MoscowTime.Bench.Compact.dll \
  "http://127.0.0.1:$store_port" "$shm/visits.db" "$hours" "$rate")
made_ms=$(($(now_ms) - made_start))

restore() { # name args... -> "seconds peak-MiB"
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time-$name" "$sidecar" restore "${remote[@]}" "$@" >"$work/log-$name" 2>&1 ||
    { cat "$work/log-$name" >&2; exit 1; }
  awk '{ printf "%s %d\n", $1, $2 / 1024 }' "$work/time-$name"
}
stored() { sqlite3 -readonly "$1" 'SELECT coalesce(sum(visits), 0) FROM visit_hours;'; }

mkdir -p "$work/volume"
read -r whole_s whole_mib < <(restore whole --Backup:DatabasePath="$work/volume/visits.db" --Backup:Directory="$work/volume/backups")
[ "$(stored "$work/volume/visits.db")" = "$visits" ] || { echo "restore gave $(stored "$work/volume/visits.db") visits, not $visits" >&2; exit 1; }
read -r middle_s middle_mib < <(restore as-of --Backup:DatabasePath="$shm/visits.db" --Backup:Directory="$work/volume/backups" \
  --as-of "$middle" --output "$work/middle.db")
read -r last_s last_mib < <(restore as-of-last --Backup:DatabasePath="$shm/visits.db" --Backup:Directory="$work/volume/backups" \
  --as-of "$last" --output "$work/last.db")
[ "$(stored "$work/last.db")" = "$visits" ] || { echo "restore --as-of $last gave $(stored "$work/last.db") visits, not $visits" >&2; exit 1; }

printf '\n%-52s %s\n' "history" "${hours} h at ${rate} visits/s, ${visits} visits, made in $((made_ms / 1000)) s"
printf '%-52s %s\n' "objects in the store after compaction" "$objects (1 snapshot), $((bytes / 1048576)) MiB"
printf '%-52s %s\n' "objects per day" "$(((objects - 1) * 24 / hours)) segments + 1 snapshot (uncompacted: 86400 segments)"
printf '%-52s %s s, %s MiB peak RSS (all %s visits back)\n' "restore onto an empty volume (whole process)" "$whole_s" "$whole_mib" "$visits"
printf '%-52s %s s, %s MiB peak RSS\n' "restore --as-of $middle (half the history)" "$middle_s" "$middle_mib"
printf '%-52s %s s, %s MiB peak RSS\n' "restore --as-of $last (the last commit)" "$last_s" "$last_mib"
printf '%-52s %s\n' "load average (1, 5, 15 min) at the end" "$(cut -d' ' -f1-3 /proc/loadavg)"
