#!/usr/bin/env bash
# Web benchmark: a Kestrel plaintext baseline and the web app (Release), both driven by wrk on
# 127.0.0.1 with 64 connections in the same run, then lost-visit accounting, RSS and time to ready.
# Usage: bench/run.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-15}
connections=64
baseline_port=18090
web_port=18091
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-bench
need wrk sqlite3

echo "building Release..."
dotnet build -c Release -v quiet -nologo src/MoscowTime.Web >/dev/null
dotnet build -c Release -v quiet -nologo bench/MoscowTime.Bench.Plaintext >/dev/null
web_dll=src/MoscowTime.Web/bin/Release/net10.0/MoscowTime.Web.dll
baseline_dll=bench/MoscowTime.Bench.Plaintext/bin/Release/net10.0/MoscowTime.Bench.Plaintext.dll

# wrk -> "rps p50_ms p99_ms requests non2xx"
drive() {
  local url=$1 out
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$url")
  echo "$out" >"$work/wrk-$(date +%s%N).txt"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { requests = $1 }
    /Non-2xx/ { non2xx = $5 }
    END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, requests, non2xx + 0 }
  ' <<<"$out"
}

rss_peak_mib() { # pid seconds -> peak VmRSS in MiB while sampling
  local pid=$1 seconds=$2 peak=0 rss
  local end=$(($(date +%s) + seconds))
  while [ "$(date +%s)" -lt "$end" ]; do
    rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    sleep 0.2
  done
  echo $((peak / 1024))
}

echo "baseline: Kestrel plaintext on 127.0.0.1:$baseline_port"
dotnet "$baseline_dll" --urls "http://127.0.0.1:$baseline_port" &
pids+=($!)
wait_for "http://127.0.0.1:$baseline_port/" >/dev/null
wrk -t2 -c"$connections" -d3s "http://127.0.0.1:$baseline_port/" >/dev/null # warm-up
read -r base_rps base_p50 base_p99 _ _ < <(drive "http://127.0.0.1:$baseline_port/")
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

echo "web app: GET / on 127.0.0.1:$web_port, database $work/visits.db"
start=$(now_ms)
dotnet "$web_dll" --urls "http://127.0.0.1:$web_port" --Visits:DatabasePath="$work/visits.db" \
  --POD_NAME=bench --Logging:LogLevel:Default=Warning &
web_pid=$!
pids+=("$web_pid")
wait_for "http://127.0.0.1:$web_port/readyz" >/dev/null
ready_ms=$(($(now_ms) - start))
wrk -t2 -c"$connections" -d3s "http://127.0.0.1:$web_port/" >/dev/null # warm-up (its visits count too)
rss_peak_mib "$web_pid" "$duration" >"$work/rss" &
read -r web_rps web_p50 web_p99 _ web_non2xx < <(drive "http://127.0.0.1:$web_port/")
wait $! 2>/dev/null || true
rss=$(cat "$work/rss")

# The server's own count of 200s for GET / (every one a visit it acknowledged) against the file.
metrics=$(curl -fs "http://127.0.0.1:$web_port/metrics")
served_200=$(awk '/^microsoft_aspnetcore_hosting_http_server_request_duration_count/ && /http_response_status_code="200"/ && /http_route="\/"/ { s += $2 } END { print s + 0 }' <<<"$metrics")
kill -TERM "$web_pid"; wait "$web_pid" || true
stored=$(sqlite3 "$work/visits.db" 'SELECT COALESCE(SUM(visits), 0) FROM visit_hours;')

ratio=$(awk -v a="$web_rps" -v b="$base_rps" 'BEGIN { printf "%.2f", a / b }')
printf '\n%-34s %12s %12s\n' "" "baseline" "web GET /"
printf '%-34s %12s %12s\n' "requests/s" "$base_rps" "$web_rps"
printf '%-34s %12s %12s\n' "p50 latency (ms)" "$base_p50" "$web_p50"
printf '%-34s %12s %12s\n' "p99 latency (ms)" "$base_p99" "$web_p99"
printf '\n%-34s %s   (goal >= 0.70)\n' "throughput ratio web/baseline" "$ratio"
printf '%-34s %s   (goal <= 10 ms)\n' "web p99 (ms)" "$web_p99"
printf '%-34s %s\n' "non-2xx responses to GET /" "$web_non2xx"
printf '%-34s %s\n' "200s the server sent for GET /" "$served_200"
printf '%-34s %s\n' "visits stored in SQLite" "$stored"
printf '%-34s %s   (goal 0)\n' "lost visits (200s - stored)" "$((served_200 - stored))"
printf '%-34s %s   (goal <= 120)\n' "web RSS peak under load (MiB)" "$rss"
printf '%-34s %s   (goal <= 500)\n' "process start to /readyz 200 (ms)" "$ready_ms"
