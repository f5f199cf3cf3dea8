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

# need TOOL...: installs missing tools from Debian's packages (the package is named like the tool).
need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
  done
}

now_ms() { date +%s%3N; }

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
