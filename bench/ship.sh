#!/usr/bin/env bash
# Continuous shipping benchmark (Release, everything on 127.0.0.1, s3rver as the store behind a
# counting HTTP hop):
#  1. "rates": idle (from a minute after the last visit) and at 1, 10 and 100 visits/s, the lag as
#     the metric (moscowtime_backup_remote_lag_seconds sampled every 100 ms; it counts from when the
#     sidecar first read a commit, at most Backup__Remote__SyncInterval after it) and commit-to-store
#     lag from a journal (each visit's 200 as the client saw it, against the time the store answered
#     the PUT of the first object that makes it recoverable, which `restore --as-of` confirms);
#     requests to the store, bytes shipped per visit, sidecar CPU, chains started (each a whole
#     snapshot) and the largest WAL;
#  2. "down": the sidecar down under 100 visits/s: the largest WAL, minute by minute, then the
#     catch-up from the sidecar's start;
#  3. "sizes": sidecar peak RSS shipping a 1 MiB and a 10 MiB database, and `restore --as-of` of
#     each: time and peak RSS.
# The apps run as they ship: the Native AOT executables, published to artifacts/published/ as the
# Faults and Monitoring suites do.
# Usage: bench/ship.sh [seconds per rate, default 60] [seconds with the sidecar down, default 600]
#        [rates, default "0 1 10 100"] [steps, default "rates down sizes"]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
down_seconds=${2:-600}
rates=${3:-0 1 10 100}
steps=${4:-rates down sizes}
step() { [[ " $steps " == *" $1 "* ]]; }
web_port=18095
sidecar_port=18096
store_port=18097
hop_port=18098
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-ship-bench
need sqlite3 node
s3rver=.tools/node_modules/s3rver/bin/s3rver.js
[ -f "$s3rver" ] || { echo "bench: s3rver missing; install with: npm install --prefix .tools s3rver@3.7.1" >&2; exit 1; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "publishing Release (Native AOT; an unchanged app is not compiled again)..."
published=artifacts/published
mkdir -p "$published"
for app in MoscowTime.Web MoscowTime.Sidecar; do
  flock "$published/publish.lock" dotnet publish "src/$app" -c Release -nologo -v quiet -o "$published/$app" >/dev/null
done
web_exe=$published/MoscowTime.Web/MoscowTime.Web
sidecar_exe=$published/MoscowTime.Sidecar/MoscowTime.Sidecar
quiet=(--Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning)

node "$s3rver" --directory "$work/s3" --address 127.0.0.1 --port "$store_port" --silent --configure-bucket backups >/dev/null &
pids+=($!)
node bench/ship-tools.js count "$hop_port" "$store_port" "$work/requests" "$work/confirmed" &
pids+=($!)
sleep 1

remote=(--AWS_ACCESS_KEY_ID=S3RVER --AWS_SECRET_ACCESS_KEY=bench "--Backup:Remote:Url=s3://backups/bench"
  "--Backup:Remote:Endpoint=http://127.0.0.1:$hop_port" --Backup:Remote:PodName=moscow-time-0)

start_web() { # database
  "$web_exe" --urls "http://127.0.0.1:$web_port" --Visits:DatabasePath="$1" --POD_NAME=moscow-time-0 "${quiet[@]}" &
  web_pid=$!
  pids+=("$web_pid")
  wait_for "http://127.0.0.1:$web_port/readyz" >/dev/null
}

start_sidecar() { # database
  "$sidecar_exe" --urls "http://127.0.0.1:$sidecar_port" --Backup:DatabasePath="$1" --Backup:Directory="$(dirname "$1")/backups" \
    --Backup:Interval=00:05:00 "${remote[@]}" "${quiet[@]}" &
  sidecar_pid=$!
  pids+=("$sidecar_pid")
  wait_for "http://127.0.0.1:$sidecar_port/livez" >/dev/null
}

stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

requests() { awk '{ s += $2 } END { print s + 0 }' "$work/requests" 2>/dev/null || echo 0; }
puts() { awk '$1 == "PUT" { print $2 } END { if (!NR) print 0 }' "$work/requests" 2>/dev/null | tail -1; }
chains() { find "$work/s3" -name 'snapshot*._S3rver_object' | wc -l; } # snapshot.db, or snapshot-<salts>.db
stored_bytes() { find "$work/s3" -name '*._S3rver_object' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
visits() { curl -fs "http://127.0.0.1:$web_port/visits" | sed -E 's/.*"visits":([0-9]+).*/\1/'; }

lag_samples() { # seconds file: lag every 100 ms, and the WAL's size into file.wal
  local end=$(($(date +%s) + $1))
  : >"$2"
  : >"$2.wal"
  while [ "$(date +%s)" -lt "$end" ]; do
    metric moscowtime_backup_remote_lag_seconds "$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")" >>"$2" || true
    stat -c %s "$database-wal" >>"$2.wal" 2>/dev/null || true
    sleep 0.1
  done
}

# since-ms -> "<ms> <visits>" for each object confirmed since then: when it became visible, and the visits a
# restore from the store alone gives from then on. A segment's name ends with its last commit's time, so
# `restore --as-of` that instant is the store's content once it landed; a snapshot is a database itself.
stored_visits() {
  local ms key instant visits file=$work/as-of.db
  while read -r ms key; do
    [ "$ms" -ge "$1" ] || continue
    case $key in
      *.wal)
        instant=$(sed -E 's/.*_([0-9]{8}T[0-9]{6}(\.[0-9]+)?Z)\.wal$/\1/; s/^(....)(..)(..)T(..)(..)(..)/\1-\2-\3T\4:\5:\6/' <<<"$key")
        rm -f "$file"
        # Straight to the store, not through the hop: its reads are not the shipping's requests.
        "$sidecar_exe" restore --Backup:DatabasePath="$database" --Backup:Directory="$(dirname "$database")/backups" \
          "${remote[@]}" "--Backup:Remote:Endpoint=http://127.0.0.1:$store_port" "${quiet[@]}" --as-of "$instant" --output "$file" >/dev/null ;;
      */snapshot*.db) cp "$work/s3/backups/${key#/backups/}._S3rver_object" "$file" ;;
      *) continue ;;
    esac
    visits=$(sqlite3 "$file" 'SELECT COALESCE(SUM(visits), 0) FROM visit_hours;')
    echo "$ms $visits"
  done <"$work/confirmed"
  rm -f "$file"
}

percentile() { # p file
  sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 } END { if (!NR) { print "-"; exit } i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", v[i] }'
}

# --- 1. lag, requests, bytes and CPU by rate -----------------------------------------------------
rows=()
journal_rows=()
if step rates; then
  database=$work/rates/visits.db
  mkdir -p "$(dirname "$database")"
  start_web "$database"
  curl -fs -o /dev/null "http://127.0.0.1:$web_port/"
  start_sidecar "$database"
  echo "a minute for the first snapshot and quiet..."
  sleep 60
  for rate in $rates; do
    echo "measuring $rate visits/s for ${seconds}s..."
    load=$(cut -d' ' -f1 /proc/loadavg)
    r0=$(requests); p0=$(puts); b0=$(stored_bytes); c0=$(cpu_ticks "$sidecar_pid"); v0=$(visits); n0=$(chains)
    lag_samples "$seconds" "$work/lag-$rate" &
    sampler=$!
    since=$(now_ms)
    if [ "$rate" -gt 0 ]; then
      node bench/ship-tools.js pace "http://127.0.0.1:$web_port/" "$rate" "$seconds" "$work/journal-$rate" >/dev/null
    else
      sleep "$seconds"
    fi
    wait "$sampler"
    sleep 3 # the last commits' segment
    r1=$(requests); p1=$(puts); b1=$(stored_bytes); c1=$(cpu_ticks "$sidecar_pid"); v1=$(visits); n1=$(chains)
    rows+=("$(awk -v rate="$rate" -v s="$seconds" -v r=$((r1 - r0)) -v p=$((p1 - p0)) -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v v=$((v1 - v0)) \
      -v p50="$(percentile 50 "$work/lag-$rate")" -v p99="$(percentile 99 "$work/lag-$rate")" -v hz="$(getconf CLK_TCK)" \
      -v n=$((n1 - n0)) -v wal="$(sort -n "$work/lag-$rate.wal" | tail -1)" -v load="$load" \
      'BEGIN { printf "%-14s %8s %8s %10.0f %10.0f %12s %12.1f %10.1f %10.0f %6s", rate " visits/s", p50, p99, r * 3600 / s, p * 3600 / s,
        (v ? sprintf("%.0f", b / v) : "-"), c / hz * 3600 / s, n * 60 / s, wal / 1024, load }')")
    if [ "$rate" -gt 0 ]; then
      journal_rows+=("$(printf '%-14s %s %6s' "$rate visits/s" \
        "$(node bench/ship-tools.js lag "$work/journal-$rate" <(stored_visits "$since") "$v0")" "$load")")
    fi
  done
  shipping_rss=$(rss_peak_mib "$sidecar_pid" 1)
  stop "$sidecar_pid"; stop "$web_pid"
fi

# --- 2. the WAL with the sidecar down ------------------------------------------------------------
if step down; then
  echo "the sidecar down for ${down_seconds}s under 100 visits/s..."
  database=$work/down/visits.db
  mkdir -p "$(dirname "$database")"
  start_web "$database"
  curl -fs -o /dev/null "http://127.0.0.1:$web_port/"
  start_sidecar "$database"
  until [ "$(metric moscowtime_backup_remote_lag_seconds "$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")")" = 0 ]; do sleep 0.1; done
  kill -KILL "$sidecar_pid"; wait "$sidecar_pid" 2>/dev/null || true
  down_load_start=$(cut -d' ' -f1-3 /proc/loadavg)
  node bench/ship-tools.js pace "http://127.0.0.1:$web_port/" 100 "$down_seconds" >"$work/down-sent" &
  pacer=$!
  wal_peak=0
  : >"$work/down-wal"
  down_start=$(date +%s)
  while kill -0 "$pacer" 2>/dev/null; do
    size=$(stat -c %s "$database-wal" 2>/dev/null || echo 0)
    [ "$size" -gt "$wal_peak" ] && wal_peak=$size
    echo "$(($(date +%s) - down_start)) $size" >>"$work/down-wal"
    sleep 0.05
  done
  wait "$pacer"
  down_load_end=$(cut -d' ' -f1-3 /proc/loadavg)
  # From the process's start: a small database is caught up before /livez first answers.
  catch_up_start=$(now_ms)
  start_sidecar "$database"
  until [ "$(metric moscowtime_backup_remote_lag_seconds "$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")")" = 0 ]; do sleep 0.1; done
  catch_up_ms=$(($(now_ms) - catch_up_start))
  read -r down_sent down_ok <"$work/down-sent"
  # The largest WAL in each minute: whether it stays bounded or climbs.
  wal_by_minute=$(awk '{ m = int($1 / 60); if ($2 > w[m]) w[m] = $2 } END { for (i = 0; i in w; i++) printf "%s%d", (i ? " " : ""), w[i] / 1024 }' "$work/down-wal")
  stop "$sidecar_pid"; stop "$web_pid"
fi

# --- 3. memory and restore by database size ------------------------------------------------------
sizes=()
if step sizes; then
  for mib in 1 10; do
    echo "a ${mib} MiB database: shipping at 10 visits/s, then restore --as-of..."
    database=$work/db-$mib/visits.db
    mkdir -p "$(dirname "$database")"
    start_web "$database"
    curl -fs -o /dev/null "http://127.0.0.1:$web_port/"
    stop "$web_pid"
    sqlite3 "$database" >/dev/null <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $((mib * 38500)))
INSERT OR IGNORE INTO visit_hours (hour, visits)
  SELECT strftime('%Y-%m-%d %H:00', '1980-01-01', '+' || i || ' hours'), 1 + abs(random()) % 5000 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    start_web "$database"
    start_sidecar "$database"
    node bench/ship-tools.js pace "http://127.0.0.1:$web_port/" 10 30 >/dev/null &
    peak=$(rss_peak_mib "$sidecar_pid" 30)
    wait $!
    sleep 2
    stop "$sidecar_pid"; stop "$web_pid"
    out=$work/db-$mib/restored.db
    /usr/bin/time -f '%e %M' -o "$work/time-$mib" "$sidecar_exe" restore --Backup:DatabasePath="$database" \
      --Backup:Directory="$(dirname "$database")/backups" "${remote[@]}" "${quiet[@]}" \
      --as-of "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --output "$out" >/dev/null
    read -r elapsed max_kib <"$work/time-$mib"
    sizes+=("$(printf '%-14s %10s %14s %12s %14s %6s' "${mib} MiB" "$(($(stat -c %s "$database") / 1024))" "$peak" "$elapsed" $((max_kib / 1024)) \
      "$(cut -d' ' -f1 /proc/loadavg)")")
  done
fi

printf '\n%-40s %s at start, %s at end (other processes skew every figure)\n' "load average (1, 5, 15 min)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
if step rates; then
  printf '\n%-14s %8s %8s %10s %10s %12s %12s %10s %10s %6s\n' "load" "lag p50" "lag p99" "requests/h" "PUTs/h" "bytes/visit" "CPU s/h" "chains/min" "WAL KiB" "load"
  printf '%s\n' "${rows[@]}"
  printf '\ncommit-to-store lag: from each visit'"'"'s 200 to the confirmed PUT of the first object holding it\n'
  printf '%-14s %8s %8s %8s %10s %6s\n' "load" "p50 s" "p99 s" "max s" "unshipped" "load"
  printf '%s\n' "${journal_rows[@]}"
  printf '\n%-40s %s MiB\n' "sidecar peak RSS, shipping (step 1)" "$shipping_rss"
fi
if step down; then
  printf '\n%-40s %s KiB (web wal_autocheckpoint alone); load %s at start, %s at end\n' "largest WAL, sidecar down ${down_seconds}s" \
    $((wal_peak / 1024)) "$down_load_start" "$down_load_end"
  printf '%-40s %s\n' "largest WAL in each minute, KiB" "$wal_by_minute"
  printf '%-40s %s sent, %s answered 200\n' "visits while down" "$down_sent" "$down_ok"
  printf '%-40s %s ms from the sidecar'"'"'s start\n' "catching up after it" "$catch_up_ms"
fi
if step sizes; then
  printf '\n%-14s %10s %14s %12s %14s %6s\n' "database" "KiB" "ship RSS MiB" "restore s" "restore MiB" "load"
  printf '%s\n' "${sizes[@]}"
fi
