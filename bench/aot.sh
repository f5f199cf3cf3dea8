#!/usr/bin/env bash
# Native AOT against JIT, both apps as published, everything on 127.0.0.1:
#  1. start: process start to the first 200 from /readyz for the web app, AOT and JIT, against a
#     plain JIT Kestrel "hello" app (bench/MoscowTime.Bench.Plaintext) to its first 200, in the same
#     rounds (medians of 5);
#  2. `restore` on an intact database (it asks nothing of the store) as a whole process, same rounds;
#  3. the web app's RSS idle after start and its peak over wrk -t2 -c64 on GET / (requests/s too),
#     AOT and JIT, and AOT with each GC setting worth trying (DOTNET_ environment variables);
#  4. the sidecar's peak RSS with a ~10 MiB database, Backup:Interval 1 s, a visit a second and an
#     s3rver remote, AOT and JIT.
# Usage: [JIT=0] [ROUNDS=n] bench/aot.sh [seconds of wrk, default 20] [seconds of sidecar, default 60] [steps, default "start web sidecar"]
#  JIT=0 publishes and measures only the Native AOT variants (quicker, for trying settings);
#  ROUNDS=n (default 1) measures each memory variant n times in rotating order and prints the medians.
set -euo pipefail
cd "$(dirname "$0")/.."

wrk_seconds=${1:-20}
sidecar_seconds=${2:-60}
steps=${3:-start web sidecar}
jit=${JIT:-1}
rounds=${ROUNDS:-1}
step() { [[ " $steps " == *" $1 "* ]]; }
port=18097
sidecar_port=18098
store_port=18099
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-aot-bench
need wrk sqlite3 node
s3rver=.tools/node_modules/s3rver/bin/s3rver.js
[ -f "$s3rver" ] || { echo "bench: s3rver missing; install with: npm install --prefix .tools s3rver@3.7.1" >&2; exit 1; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

echo "publishing Release: Native AOT (as shipped)$( ((jit)) && echo " and JIT (ReadyToRun, as before)")..."
for app in Web Sidecar; do
  dotnet publish "src/MoscowTime.$app" -c Release -v quiet -nologo -o "$work/aot/$app" >/dev/null
  ((jit)) || continue
  dotnet publish "src/MoscowTime.$app" -c Release -v quiet -nologo -p:PublishAot=false -p:PublishReadyToRun=true \
    --use-current-runtime -p:UseAppHost=false -o "$work/jit/$app" >/dev/null
done
step start && dotnet publish bench/MoscowTime.Bench.Plaintext -c Release -v quiet -nologo -p:UseAppHost=false -o "$work/hello" >/dev/null
jit_variant() { ((jit)) || [[ $1 != *jit* ]]; } # variant: false for a JIT variant under JIT=0
declare -A command=(
  [web-aot]="$work/aot/Web/MoscowTime.Web"
  [web-jit]="dotnet $work/jit/Web/MoscowTime.Web.dll"
  [sidecar-aot]="$work/aot/Sidecar/MoscowTime.Sidecar"
  [sidecar-jit]="dotnet $work/jit/Sidecar/MoscowTime.Sidecar.dll"
  [hello]="dotnet $work/hello/MoscowTime.Bench.Plaintext.dll"
)
quiet=(--Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning)
database=$work/visits.db
start() { # variant extra-args...: starts it on $port, sets $pid
  local variant=$1
  shift
  # shellcheck disable=SC2086 # the command is a program and maybe its dll
  ${command[$variant]} --urls "http://127.0.0.1:$port" --Visits:DatabasePath="$database" --POD_NAME=bench "${quiet[@]}" "$@" &
  pid=$!
  pids+=("$pid")
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rss_mib() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$1/status"; }

# --- 1 and 2. start and restore, in rotating rounds ------------------------------------------------
: >"$work/starts"
: >"$work/memory"
if step start; then
echo "start to first 200, and restore of an intact database, 5 rounds..."
start web-aot
wait_for "http://127.0.0.1:$port/readyz" >/dev/null
curl -fs -o /dev/null "http://127.0.0.1:$port/"
stop "$pid"
for round in 1 2 3 4 5; do
  for variant in hello web-jit web-aot; do
    jit_variant "$variant" || continue
    t0=$(now_ms)
    start "$variant"
    if [ "$variant" = hello ]; then path=/; else path=/readyz; fi
    wait_for "http://127.0.0.1:$port$path" >/dev/null
    echo "$variant $(($(now_ms) - t0))" >>"$work/starts"
    stop "$pid"
  done
  for variant in sidecar-jit sidecar-aot; do
    jit_variant "$variant" || continue
    t0=$(now_ms)
    # shellcheck disable=SC2086
    ${command[$variant]} restore --Backup:DatabasePath="$database" --Backup:Directory="$work/backups" "${quiet[@]}" >/dev/null
    echo "restore-${variant#sidecar-} $(($(now_ms) - t0))" >>"$work/starts"
  done
  echo "  round $round: $(awk -v r="$round" -v n=$((jit ? 5 : 2)) 'NR > (r - 1) * n { printf "%s %s ms  ", $1, $2 }' "$work/starts")"
done
fi
start_ms() { awk -v k="$1" '$1 == k { print $2 }' "$work/starts" | median; }

# --- 3. the web app's memory under load -------------------------------------------------------------
# variant label environment...: idle RSS after start, then peak RSS and req/s over wrk
web_memory() {
  local variant=$1 label=$2 idle peak rps threads
  shift 2
  rm -f "$database" "$database-wal" "$database-shm"
  # shellcheck disable=SC2086
  env "$@" ${command[$variant]} --urls "http://127.0.0.1:$port" --Visits:DatabasePath="$database" --POD_NAME=bench "${quiet[@]}" &
  pid=$!
  pids+=("$pid")
  wait_for "http://127.0.0.1:$port/readyz" >/dev/null
  sleep 2
  idle=$(rss_mib "$pid")
  rss_peak_mib "$pid" "$wrk_seconds" >"$work/rss" &
  wrk -t2 -c64 -d"${wrk_seconds}s" --timeout 5s "http://127.0.0.1:$port/" >"$work/wrk"
  wait $!
  peak=$(cat "$work/rss")
  rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$work/wrk")
  threads=$(awk '/Threads/ { print $2 }' "/proc/$pid/status")
  stop "$pid"
  printf '  %-44s idle %4s MiB, peak %4s MiB, %6s req/s, %s threads\n' "$label" "$idle" "$peak" "$rps" "$threads" |
    tee -a "$work/memory"
  printf '%s\t%s\t%s\t%s\t%s\n' web "$label" "$idle" "$peak" "$rps" >>"$work/rounds"
}
# memory_rounds FUNCTION SPEC...: runs FUNCTION VARIANT LABEL ENVIRONMENT... for each "variant|label|NAME=VALUE ..."
# spec, $rounds times, each round in an order rotated by one.
memory_rounds() {
  local fn=$1 round i n variant label environment
  shift
  local specs=("$@")
  n=${#specs[@]}
  for ((round = 1; round <= rounds; round++)); do
    ((rounds == 1)) || echo "  round $round:"
    for ((i = 0; i < n; i++)); do
      IFS='|' read -r variant label environment <<<"${specs[(i + round - 1) % n]}"
      jit_variant "$variant" || continue
      # shellcheck disable=SC2086 # the environment is words
      "$fn" "$variant" "$label" $environment
    done
  done
}
: >"$work/rounds"
if step web; then
echo "the web app's RSS, idle and over ${wrk_seconds} s of wrk -t2 -c64 on GET /..."
# As built: workstation GC, gen0 budget at most 4 MiB (GC variables are hexadecimal).
memory_rounds web_memory \
  "web-jit|JIT (as built)|" \
  "web-aot|AOT (as built)|" \
  "web-aot|AOT, gen0 budget at most 8 MiB|DOTNET_GCGen0MaxBudget=800000" \
  "web-aot|AOT, no gen0 cap|DOTNET_GCGen0MaxBudget=0"
fi

# --- 4. the sidecar's memory, shipping to s3rver ----------------------------------------------------
if step sidecar; then
echo "the sidecar's RSS: ~10 MiB database, backups every second, a visit a second, s3rver remote, ${sidecar_seconds} s each..."
node "$s3rver" --directory "$work/s3" --address 127.0.0.1 --port "$store_port" --silent --configure-bucket backups >/dev/null &
pids+=("$!")
sidecar_memory() { # sidecar-variant label environment...; the web app as shipped beside it
  local web=web-aot variant=$1 label=$2 id db sidecar peak threads
  shift 2
  id=$(tr -c '[:alnum:]\n' - <<<"$label" | tr '[:upper:]' '[:lower:]')
  ((round == 1)) || id=$id-$round
  db=$work/$id/visits.db
  mkdir -p "$work/$id"
  database=$db
  start "$web"
  wait_for "http://127.0.0.1:$port/readyz" >/dev/null
  curl -fs -o /dev/null "http://127.0.0.1:$port/"
  stop "$pid"
  sqlite3 "$db" >/dev/null <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 385000)
INSERT OR IGNORE INTO visit_hours (hour, visits)
  SELECT strftime('%Y-%m-%d %H:00', '1980-01-01', '+' || i || ' hours'), 1 + abs(random()) % 5000 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  start "$web"
  wait_for "http://127.0.0.1:$port/readyz" >/dev/null
  # shellcheck disable=SC2086
  env "$@" ${command[$variant]} --urls "http://127.0.0.1:$sidecar_port" --Backup:DatabasePath="$db" --Backup:Directory="$work/$id/backups" \
    --Backup:Interval=00:00:01 --Backup:Retain=5 --AWS_ACCESS_KEY_ID=S3RVER --AWS_SECRET_ACCESS_KEY=bench \
    "--Backup:Remote:Url=s3://backups/$id" "--Backup:Remote:Endpoint=http://127.0.0.1:$store_port" \
    --Backup:Remote:PodName=moscow-time-0 "${quiet[@]}" &
  sidecar=$!
  pids+=("$sidecar")
  wait_for "http://127.0.0.1:$sidecar_port/livez" >/dev/null
  (for _ in $(seq 1 "$sidecar_seconds"); do curl -fs -o /dev/null "http://127.0.0.1:$port/"; sleep 1; done) &
  peak=$(rss_peak_mib "$sidecar" "$sidecar_seconds")
  wait $!
  threads=$(awk '/Threads/ { print $2 }' "/proc/$sidecar/status")
  printf '  sidecar %-36s peak %4s MiB (database %s KiB), %s threads\n' "$label" "$peak" $(($(stat -c %s "$db") / 1024)) "$threads" |
    tee -a "$work/memory"
  printf '%s\t%s\t-\t%s\t-\n' sidecar "$label" "$peak" >>"$work/rounds"
  stop "$sidecar"
  stop "$pid"
}
memory_rounds sidecar_memory \
  "sidecar-jit|JIT (workstation GC)|" \
  "sidecar-aot|AOT as built|" \
  "sidecar-aot|AOT, no gen0 cap|DOTNET_GCGen0MaxBudget=0"
# The init container's worst case: a new volume, the whole chain from the store.
for variant in sidecar-jit sidecar-aot; do
  jit_variant "$variant" || continue
  mkdir -p "$work/restore-$variant"
  # shellcheck disable=SC2086
  /usr/bin/time -f '%e %M' -o "$work/time" ${command[$variant]} restore --Backup:DatabasePath="$work/restore-$variant/visits.db" \
    --Backup:Directory="$work/restore-$variant/backups" --AWS_ACCESS_KEY_ID=S3RVER --AWS_SECRET_ACCESS_KEY=bench \
    "--Backup:Remote:Url=s3://backups/aot-as-built" "--Backup:Remote:Endpoint=http://127.0.0.1:$store_port" \
    --Backup:Remote:PodName=moscow-time-0 "${quiet[@]}" >/dev/null
  read -r elapsed max_kib <"$work/time"
  printf '  restore %-36s peak %4s MiB, %s s (from the store onto a new volume)\n' "${variant#sidecar-}" $((max_kib / 1024)) "$elapsed" | tee -a "$work/memory"
done
fi

hello=$(start_ms hello)
[ -n "$hello" ] || hello=1
printf '\n%s\n' "command: JIT=$jit ROUNDS=$rounds bench/aot.sh $wrk_seconds $sidecar_seconds \"$steps\"   (load average: $load_start at start, $(cut -d' ' -f1-3 /proc/loadavg) at end)"
if step start; then
printf '%-44s %8s %8s\n' "median of 5, ms" JIT AOT
printf '%-44s %8s %8s   (AOT goal <= 0.3x hello)\n' "web: start to first 200 from /readyz" "$(start_ms web-jit)" "$(start_ms web-aot)"
printf '%-44s %8s %8s   (AOT goal <= 0.4x hello)\n' "restore, intact database, whole process" "$(start_ms restore-jit)" "$(start_ms restore-aot)"
printf '%-44s %8s\n' "plain JIT Kestrel hello: start to first 200" "$hello"
printf '%-44s %8s %8s\n' "  web start / hello" "$(ratio "$(start_ms web-jit)" "$hello")" "$(ratio "$(start_ms web-aot)" "$hello")"
printf '%-44s %8s %8s\n' "  restore / hello" "$(ratio "$(start_ms restore-jit)" "$hello")" "$(ratio "$(start_ms restore-aot)" "$hello")"
fi
printf '\nmemory (goals: web peak <= 48 MiB, sidecar peak <= 48 MiB)\n'
cat "$work/memory"
if ((rounds > 1)); then
  printf '\nmedians of %s rounds\n' "$rounds"
  cut -f1,2 "$work/rounds" | awk '!seen[$0]++' | while IFS=$'\t' read -r app label; do
    column() { awk -F'\t' -v a="$app" -v l="$label" -v c="$1" '$1 == a && $2 == l { print $c }' "$work/rounds" | median; }
    if [ "$app" = web ]; then
      printf '  %-44s idle %4s MiB, peak %4s MiB, %6s req/s\n' "$label" "$(column 3)" "$(column 4)" "$(column 5)"
    else
      printf '  sidecar %-36s peak %4s MiB\n' "$label" "$(column 4)"
    fi
  done
fi
printf '\n%-44s %s (web), %s (sidecar)\n' "executable size, AOT (MiB)" \
  $(($(stat -c %s "$work/aot/Web/MoscowTime.Web") / 1048576)) $(($(stat -c %s "$work/aot/Sidecar/MoscowTime.Sidecar") / 1048576))
