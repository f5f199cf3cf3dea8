# shellcheck shell=bash
# Shared by the benchmarks: a scratch directory and child processes that go away on exit, tools
# installed on demand, and waiting for an endpoint. Source it after `cd` to the repository root.

pids=()

# bench_setup NAME: makes $work, and removes it and every pid in $pids on exit.
bench_setup() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

# need TOOL...: stops with the command that installs what is missing (Debian's package is named like
# the tool); a benchmark does not change the machine behind the user's back.
need() {
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "bench: ${missing[*]} missing; install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

now_ms() { date +%s%3N; }

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

# wait_for URL: polls until it answers 2xx (10 s at most); prints the milliseconds it took.
wait_for() {
  local start
  start=$(now_ms)
  for _ in $(seq 1 2000); do
    if curl -fs -o /dev/null "$1"; then echo $(($(now_ms) - start)); return 0; fi
    sleep 0.005
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# metric NAME METRICS-TEXT: the value of an unlabelled sample in Prometheus text.
metric() {
  awk -v name="$1" '$1 == name { print $2 }' <<<"$2"
}

# wrk_figures: `wrk --latency` output on stdin -> "requests/s p99_ms non2xx"
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { non2xx = $5 }
    END { printf "%.0f %.2f %d\n", rps, p99, non2xx + 0 }
  '
}

# wrk_2xx: `wrk` output on stdin -> how many of its responses were 2xx.
wrk_2xx() {
  awk '/ requests in / { n = $1 } /Non-2xx/ { bad = $5 } END { print n - bad }'
}

# median_of KEY COLUMN ROW...: the median of COLUMN over the rows (space-separated fields) whose
# first field is KEY.
median_of() {
  local key=$1 column=$2
  shift 2
  # Only numbers count: a "-" (no value in that run) must not average into a 0.
  printf '%s\n' "$@" | awk -v key="$key" -v col="$column" '$1 == key && $col ~ /^-?[0-9.]+$/ { print $col }' | sort -g |
    awk '{ v[NR] = $1 } END { if (!NR) { printf "-"; exit } printf "%s", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# backups_verdict DIR: fails unless every backup in DIR passes integrity_check; prints how many
# there are and how many temporary files are left beside them.
backups_verdict() {
  local backup kept temporaries
  for backup in "$1"/visits-*.db; do
    [ "$(sqlite3 -readonly "$backup" 'PRAGMA integrity_check;')" = ok ] || { echo "$backup fails integrity_check" >&2; return 1; }
  done
  kept=$(find "$1" -name 'visits-*.db' | wc -l)
  temporaries=$(find "$1" -name '*.tmp*' | wc -l)
  echo "$kept kept, $temporaries temporary files, all pass integrity_check"
}
