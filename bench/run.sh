#!/usr/bin/env bash
# Web benchmark, in rounds that rotate the order of three servers on 127.0.0.1, each driven by wrk
# with 64 connections:
#   plaintext    Kestrel answering a constant string (bench/MoscowTime.Bench.Plaintext);
#   web          the web app (Release, published as the image is: Native AOT): every GET / a visit committed with synchronous=FULL;
#   web-jit      the same app published for the JIT (ReadyToRun), to show what Native AOT costs or gains;
#   web-tmpfs    the same, its database in /dev/shm, where an fsync returns at once: what the
#                commit costs in CPU (hand-off, SQLite), apart from waiting for this disk.
#   web@REV      with a git revision: the web app built from that commit (git archive), in the
#                same rounds, for a paired comparison with the working tree.
# Prints the medians, the ratios web/plaintext and web/web-tmpfs, the visits lost (2xx responses wrk
# received, warm-up included, against the visits in the file, every round), the web app's peak RSS under load, its time from process start to /readyz, and this disk's latency
# for a 4 KiB synchronous write (the commit waits for one), which moves the figures between runs.
# Usage: bench/run.sh [seconds per run, default 15] [rounds, default 3] [git revision, optional]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-15}
rounds=${2:-3}
compare=${3:-}
connections=64
port=18091
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-bench
need wrk sqlite3

# Published as Dockerfile.web publishes the image's app (a native executable), so that start-up is
# measured as it ships.
publish() { # project output-directory [properties...]
  dotnet publish -c Release --use-current-runtime -v quiet -nologo -o "$2" "${@:3}" "$1" >/dev/null
}
echo "publishing Release..."
publish src/MoscowTime.Web "$work/web"
publish src/MoscowTime.Web "$work/web-jit" -p:PublishAot=false -p:PublishReadyToRun=true -p:UseAppHost=false
publish bench/MoscowTime.Bench.Plaintext "$work/plaintext" -p:UseAppHost=false
# What each variant runs: a native executable, or a dll for the dotnet host.
declare -A dll=(
  [plaintext]=$work/plaintext/MoscowTime.Bench.Plaintext.dll
  [web]=$work/web/MoscowTime.Web
  [web-tmpfs]=$work/web/MoscowTime.Web
  [web-jit]=$work/web-jit/MoscowTime.Web.dll
)
variants=(plaintext web-tmpfs web web-jit)
shm=$(mktemp -d /dev/shm/moscowtime-bench.XXXXXX)
trap 'rm -rf "$shm"; bench_cleanup' EXIT
if [ -n "$compare" ]; then
  revision=$(git rev-parse --short "$compare")
  echo "publishing Release at $revision..."
  mkdir "$work/$revision"
  git archive "$revision" | tar -x -C "$work/$revision"
  publish "$work/$revision/src/MoscowTime.Web" "$work/web@$revision"
  dll[web@$revision]=$(find "$work/web@$revision" -maxdepth 1 \( -name MoscowTime.Web.dll -o -name MoscowTime.Web -type f -executable \) | sort | head -1)
  variants+=("web@$revision")
fi
count=${#variants[@]}

# The disk's latency for one 4 KiB write with O_DSYNC, in ms (the median of 5 readings of 200).
sync_ms() {
  local i
  for i in 1 2 3 4 5; do
    dd if=/dev/zero of="$work/dsync" bs=4k count=200 oflag=dsync 2>&1 | awk '/copied/ { printf "%.3f\n", $(NF-3) * 1000 / 200 }'
  done | sort -g | sed -n 3p
  rm -f "$work/dsync"
}
sync_before=$(sync_ms)

drive() { # seconds output-file
  wrk -t2 -c"$connections" -d"$1s" --timeout 5s --latency "http://127.0.0.1:$port/" >"$2"
}

# the variants that commit visits (and so count them)
counts_visits() { [ "$1" != plaintext ]; }

results=()
lost_total=0
run() { # variant round
  local variant=$1 round=$2 db="$work/visits-$1-$2.db" pid sampler start ready_ms rps p99 non2xx rss=- lost=- served stored
  [ "$variant" = web-tmpfs ] && db="$shm/visits-$2.db"
  start=$(now_ms)
  # The same arguments for all: the references ignore what they do not use.
  local program=("${dll[$variant]}")
  [[ ${program[0]} == *.dll ]] && program=(dotnet "${program[0]}")
  "${program[@]}" --urls "http://127.0.0.1:$port" --Visits:DatabasePath="$db" \
    --POD_NAME=bench --Logging:LogLevel:Default=Warning >"$work/$variant-$round.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  if [ "$variant" = plaintext ]; then wait_for "http://127.0.0.1:$port/" >/dev/null; else wait_for "http://127.0.0.1:$port/readyz" >/dev/null; fi
  ready_ms=$(($(now_ms) - start))
  drive 3 "$work/warm-up" # JIT tiers; its visits count too
  rss_peak_mib "$pid" "$duration" >"$work/rss" &
  sampler=$!
  drive "$duration" "$work/wrk"
  wait "$sampler"
  read -r rps p99 non2xx < <(wrk_figures <"$work/wrk")
  kill -TERM "$pid"
  wait "$pid" || true
  if counts_visits "$variant"; then
    rss=$(cat "$work/rss")
    # Every 2xx wrk received is a visit acknowledged, and must be in the file. The file may hold
    # more: a visit committed but not answered before wrk's run ended is not lost.
    served=$(($(wrk_2xx <"$work/warm-up") + $(wrk_2xx <"$work/wrk")))
    stored=$(sqlite3 "$db" 'SELECT COALESCE(SUM(visits), 0) FROM visit_hours;')
    lost=$((served > stored ? served - stored : 0))
    lost_total=$((lost_total + lost))
  fi
  results+=("$variant $round $rps $p99 $non2xx $rss $ready_ms")
  printf '  round %s, %-14s %7s req/s, p99 %6s ms, non-2xx %s' "$round" "$variant:" "$rps" "$p99" "$non2xx"
  counts_visits "$variant" && printf ', RSS peak %s MiB, ready in %s ms, %s served, %s stored' "$rss" "$ready_ms" "$served" "$stored"
  echo
}

echo "GET / with wrk -t2 -c$connections -d${duration}s, $rounds rounds, rotating: ${variants[*]}"
for round in $(seq 1 "$rounds"); do
  for i in $(seq 0 $((count - 1))); do run "${variants[$(((round - 1 + i) % count))]}" "$round"; done
done

median() { median_of "$1" "$2" "${results[@]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
worst() { printf '%s\n' "${results[@]}" | awk -v key="$1" -v col="$2" '$1 == key && $col > m { m = $col } END { print m + 0 }'; }
web_rps=$(median web 3)
web_p99=$(median web 4)

printf '\n%s\n' "command: bench/run.sh $duration $rounds${compare:+ $compare}   (load average now $(cut -d' ' -f1-3 /proc/loadavg); 4 KiB O_DSYNC write: $sync_before ms before, $(sync_ms) ms after)"
printf '%-34s %12s %12s %12s\n' "median of $rounds rounds" plaintext web-tmpfs "web GET /"
printf '%-34s %12s %12s %12s\n' "requests/s" "$(median plaintext 3)" "$(median web-tmpfs 3)" "$web_rps"
printf '%-34s %12s %12s %12s\n' "p99 latency (ms)" "$(median plaintext 4)" "$(median web-tmpfs 4)" "$web_p99"
printf '\n%-34s %s   (guard >= 0.40)\n' "throughput web/plaintext" "$(ratio "$web_rps" "$(median plaintext 3)")"
printf '%-34s %s\n' "throughput web-tmpfs/plaintext" "$(ratio "$(median web-tmpfs 3)" "$(median plaintext 3)")"
printf '%-34s %s\n' "throughput web/web-tmpfs" "$(ratio "$web_rps" "$(median web-tmpfs 3)")"
printf '%-34s %s   (goal <= 5 ms)\n' "web p99 (ms)" "$web_p99"
printf '%-34s %s\n' "non-2xx responses to GET /" "$(printf '%s\n' "${results[@]}" | awk '{ s += $5 } END { print s + 0 }')"
printf '%-34s %s   (goal 0)\n' "lost visits (2xx not stored), all" "$lost_total"
printf '%-34s %s   (goal <= 120)\n' "web RSS peak under load (MiB)" "$(worst web 6)"
printf '%-34s %s   (goal <= 500)\n' "web start to /readyz 200 (ms)" "$(median web 7)"
printf '\n%-34s %12s %12s\n' "Native AOT against JIT" "web (AOT)" "web-jit"
printf '%-34s %12s %12s\n' "requests/s" "$web_rps" "$(median web-jit 3)"
printf '%-34s %12s %12s\n' "p99 latency (ms)" "$web_p99" "$(median web-jit 4)"
printf '%-34s %12s %12s\n' "throughput /plaintext" "$(ratio "$web_rps" "$(median plaintext 3)")" "$(ratio "$(median web-jit 3)" "$(median plaintext 3)")"
printf '%-34s %12s %12s\n' "RSS peak (MiB), start (ms)" "$(worst web 6), $(median web 7)" "$(worst web-jit 6), $(median web-jit 7)"
if [ -n "$compare" ]; then
  old=web@$revision
  printf '\n%-34s %12s %12s\n' "paired with $revision" "working tree" "at $revision"
  printf '%-34s %12s %12s\n' "requests/s" "$web_rps" "$(median "$old" 3)"
  printf '%-34s %12s %12s\n' "p99 latency (ms)" "$web_p99" "$(median "$old" 4)"
  printf '%-34s %s\n' "throughput working tree/$revision" "$(ratio "$web_rps" "$(median "$old" 3)")"
  printf '%-34s %12s %12s\n' "RSS peak (MiB), start (ms)" "$(worst web 6), $(median web 7)" "$(worst "$old" 6), $(median "$old" 7)"
fi
