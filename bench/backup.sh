#!/usr/bin/env bash
# Backup sidecar benchmark (Release, all traffic on 127.0.0.1):
#  1. backup duration and size for a database filled to about 10 MiB;
#  2. GET / on the web app with no sidecar and with the sidecar backing up every second, in the
#     same run, in rounds that alternate the order (ABBA, against drift), with wrk -t2 -c64:
#     requests/s, p99, the largest -wal file seen, and the ratios of the medians.
# Usage: bench/backup.sh [seconds per wrk run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
rounds=${2:-3}
connections=64
web_port=18095
sidecar_port=18096
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-backup-bench
need wrk sqlite3

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "building Release..."
dotnet build -c Release -v quiet -nologo src/MoscowTime.Web >/dev/null
dotnet build -c Release -v quiet -nologo src/MoscowTime.Sidecar >/dev/null
web_dll=src/MoscowTime.Web/bin/Release/net10.0/MoscowTime.Web.dll
sidecar_dll=src/MoscowTime.Sidecar/bin/Release/net10.0/MoscowTime.Sidecar.dll
database=$work/visits.db

start_web() {
  dotnet "$web_dll" --urls "http://127.0.0.1:$web_port" --Visits:DatabasePath="$database" \
    --POD_NAME=bench --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning &
  web_pid=$!
  pids+=("$web_pid")
  wait_for "http://127.0.0.1:$web_port/readyz" >/dev/null
}

start_sidecar() { # backup directory, interval
  dotnet "$sidecar_dll" --urls "http://127.0.0.1:$sidecar_port" --Backup:DatabasePath="$database" \
    --Backup:Directory="$1" --Backup:Interval="$2" --Backup:Retain=5 \
    --Backup:FinalBackupQuietPeriod=00:00:00 \
    --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning &
  sidecar_pid=$!
  pids+=("$sidecar_pid")
  wait_for "http://127.0.0.1:$sidecar_port/livez" >/dev/null
}

stop() { # pid
  kill -TERM "$1"
  wait "$1" || true
}

# wrk -> "rps p99_ms non2xx"
drive() {
  local out
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$web_port/")
  wrk_figures <<<"$out"
}

wal_peak_kib() { # seconds -> largest visits.db-wal seen, sampled every 50 ms
  local peak=0 size end
  end=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$end" ]; do
    size=$(stat -c %s "$database-wal" 2>/dev/null || echo 0)
    [ "$size" -gt "$peak" ] && peak=$size
    sleep 0.05
  done
  echo $((peak / 1024))
}

# --- 1. a database of about 10 MiB ----------------------------------------------------------
echo "filling $database to about 10 MiB..."
start_web
curl -fs -o /dev/null "http://127.0.0.1:$web_port/" # the web app creates the schema itself
stop "$web_pid"
# Synthetic past hours, one row each, as years of traffic would leave them.
sqlite3 "$database" >/dev/null <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 385000)
INSERT OR IGNORE INTO visit_hours (hour, visits)
  SELECT strftime('%Y-%m-%d %H:00', '1980-01-01', '+' || i || ' hours'), 1 + abs(random()) % 5000 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
db_bytes=$(stat -c %s "$database")
rows=$(sqlite3 "$database" 'SELECT count(*) FROM visit_hours;')

# --- 2. backup duration and size ---------------------------------------------------------------
samples=5
echo "backing it up $samples times..."
durations=()
for i in $(seq 1 "$samples"); do
  start_sidecar "$work/sizing-$i" 01:00:00
  for _ in $(seq 1 400); do
    metrics=$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")
    [ "$(metric moscowtime_backups_taken_total "$metrics")" = 1 ] && break
    sleep 0.05
  done
  durations+=("$(metric moscowtime_backup_last_duration_seconds "$metrics")")
  backup_bytes=$(metric moscowtime_backup_last_size_bytes "$metrics")
  stop "$sidecar_pid"
done
duration_ms=$(printf '%s\n' "${durations[@]}" | sort -g | awk '{ v[NR] = $1 * 1000 } END { printf "%.1f", v[int((NR + 1) / 2)] }')
all_ms=$(printf '%s\n' "${durations[@]}" | awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 * 1000 }')

# --- 3. GET / without and with backups every second --------------------------------------------
echo "GET / with wrk -t2 -c$connections -d${duration}s, $rounds rounds alternating: no sidecar, sidecar every 1 s..."
start_web
wrk -t2 -c"$connections" -d5s "http://127.0.0.1:$web_port/" >/dev/null # warm-up (JIT tiers, page cache)
results=()

run_without() { # round
  local rps p99 non2xx sampler
  wal_peak_kib "$duration" >"$work/wal" &
  sampler=$!
  read -r rps p99 non2xx < <(drive)
  wait "$sampler" || true
  results+=("none $1 $rps $p99 $non2xx $(cat "$work/wal")")
  printf '  round %s, no sidecar:        %6s req/s, p99 %6s ms, largest WAL %5s KiB\n' "$1" "$rps" "$p99" "$(cat "$work/wal")"
}

run_with() { # round
  local rps p99 non2xx before metrics taken health sampler
  start_sidecar "$work/backups" 00:00:01
  before=$(metric moscowtime_backups_taken_total "$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")")
  wal_peak_kib "$duration" >"$work/wal" &
  sampler=$!
  read -r rps p99 non2xx < <(drive)
  wait "$sampler" || true
  metrics=$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")
  taken=$(($(metric moscowtime_backups_taken_total "$metrics") - before))
  health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$sidecar_port/healthz")
  stop "$sidecar_pid"
  results+=("every1s $1 $rps $p99 $non2xx $(cat "$work/wal")")
  printf '  round %s, sidecar every 1 s: %6s req/s, p99 %6s ms, largest WAL %5s KiB, %s backups, /healthz %s\n' \
    "$1" "$rps" "$p99" "$(cat "$work/wal")" "$taken" "$health"
}

for round in $(seq 1 "$rounds"); do
  if ((round % 2)); then run_without "$round"; run_with "$round"; else run_with "$round"; run_without "$round"; fi
done
stop "$web_pid"

verdict=$(backups_verdict "$work/backups")

median() { # mode column
  median_of "$1" "$2" "${results[@]}"
}
none_rps=$(median none 3); none_p99=$(median none 4); none_wal=$(median none 6)
with_rps=$(median every1s 3); with_p99=$(median every1s 4); with_wal=$(median every1s 6)
p99_ratio=$(awk -v a="$with_p99" -v b="$none_p99" 'BEGIN { printf "%.2f", a / b }')
rps_ratio=$(awk -v a="$with_rps" -v b="$none_rps" 'BEGIN { printf "%.2f", a / b }')
non2xx=$(printf '%s\n' "${results[@]}" | awk '{ s += $5 } END { print s + 0 }')

printf '\n%-40s %s at start, %s at end (other processes skew every figure)\n' "load average (1, 5, 15 min)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %s bytes (%s hour rows)\n' "database" "$db_bytes" "$rows"
printf '%-40s %s bytes\n' "backup size" "$backup_bytes"
printf '%-40s %s ms   (runs: %s)\n' "backup duration, median of $samples" "$duration_ms" "$all_ms"
printf '\n%-40s %12s %16s\n' "GET /, median of $rounds rounds" "no sidecar" "backups every 1s"
printf '%-40s %12s %16s\n' "requests/s" "$none_rps" "$with_rps"
printf '%-40s %12s %16s\n' "p99 latency (ms)" "$none_p99" "$with_p99"
printf '%-40s %12s %16s\n' "largest -wal file (KiB)" "$none_wal" "$with_wal"
printf '\n%-40s %s   (goal <= 1.20)\n' "p99 ratio with/without" "$p99_ratio"
printf '%-40s %s   (goal >= 0.90)\n' "throughput ratio with/without" "$rps_ratio"
printf '%-40s %s\n' "non-2xx responses" "$non2xx"
printf '%-40s %s\n' "backups after the runs" "$verdict"
