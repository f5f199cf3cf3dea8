#!/usr/bin/env bash
# Backup sidecar benchmark in the pod's shape: the web app and the sidecar as two containers of one
# podman pod, each with the CPU shares (from its request), CPU quota and memory limit that the
# rendered manifests give it, sharing one volume for /data as the PVC does.
#  1. fills the database to about 10 MiB (bench/backup.sh's synthetic hour rows);
#  2. drives GET / with wrk from the host on 127.0.0.1 in rounds that rotate the order of: no
#     sidecar running, and each sidecar image backing up every second (Backup__Interval=00:00:01);
#  3. prints requests/s, p99, the ratios of the medians against no sidecar and the median of each
#     round's ratio (paired, against the drift within a run), the largest -wal file,
#     backups taken, their duration, the sidecar's CPU per pass (its threads' user and system time
#     over the run, divided by the backups taken) and its memory (peak RSS and its cgroup's peak).
# Usage: [NETWORK=host|slirp4netns] [UPLOAD=1] bench/pod.sh [seconds per wrk run, default 10] [rounds, default 3] [git revision, optional]
#   NETWORK=host (the default) puts the pod in the host's network namespace, every app listening on
#   127.0.0.1 only: wrk, the apps and s3rver then talk through the kernel, as a Kubernetes pod's veth
#   does. NETWORK=slirp4netns gives the pod its own namespace behind slirp4netns, ports published on
#   127.0.0.1: every request and upload then passes one single-threaded userspace process outside
#   the pod's cgroups, which measures slirp4netns as much as the pod.
#   UPLOAD=1 adds a treatment "backup + shipping": the same sidecar with the manifests' settings
#   (base/backup.env, a local backup every 5 minutes, and kustomize/components/remote-backup's
#   remote.env and memory limit), shipping the WAL's new frames every Backup__Remote__SyncInterval
#   (1 s; continuous shipping, docs/design.md) to an s3rver on the host's 127.0.0.1 (a free port, a
#   scratch directory), which the pod reaches on 127.0.0.1 (host) or through slirp4netns'
#   host-loopback gateway 10.0.2.2. Each round waits for that sidecar's first local backup and
#   snapshot to be in place before wrk starts, as in a pod that stays up. It then also prints the objects shipped (snapshots and
#   segments), the largest shipping lag, the objects s3rver holds, and s3rver's CPU per object.
#   s3rver stands in for a store on other machines: it runs at nice 19 (S3RVER_NICE=0 to run it as
#   the pod's equal) and keeps its objects in /dev/shm, so that neither its CPU nor its disk writes
#   are charged to the pod.
#   The sidecar is built from the working tree; with a revision, also from that commit (git archive),
#   and both are measured in the same rounds. Needs podman (see docs/testing.md, "Podman on a machine
#   without a registry"), kubectl and python3-yaml; where others use podman too, under their lock:
#   flock /tmp/moscowtime-e2e.lock bench/pod.sh 10 7 <revision>
# Everything it creates (pod, containers, volume, images, build stages) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
rounds=${2:-3}
compare=${3:-}
connections=64
web_port=18185
sidecar_port=18186
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup moscowtime-pod-bench
need wrk sqlite3
upload=${UPLOAD:-0}
s3rver_nice=${S3RVER_NICE:-19}
[[ "$s3rver_nice" =~ ^-?[0-9]+$ ]] || { echo "S3RVER_NICE must be a nice value (19 by default), not '$s3rver_nice'" >&2; exit 1; }
case $upload in 0 | 1) ;; *) echo "UPLOAD is 0 or 1, not $upload" >&2; exit 2 ;; esac
network=${NETWORK:-host}
case $network in host | slirp4netns) ;; *) echo "NETWORK is host or slirp4netns, not $network" >&2; exit 2 ;; esac
s3rver=.tools/node_modules/s3rver/bin/s3rver.js
if [ "$upload" = 1 ] && [ ! -s "$s3rver" ]; then
  echo "UPLOAD=1 needs s3rver: npm install --prefix .tools --no-audit --no-fund s3rver@3.7.1" >&2
  exit 1
fi

# With the local stand-ins for the base images (docs/testing.md, "Podman on a machine without a registry"),
# their configuration and never a pull; otherwise podman's own configuration and registry.
standins=/tmp/moscowtime-standins/containers.conf
[ -z "${CONTAINERS_CONF:-}" ] && [ -s "$standins" ] && export CONTAINERS_CONF=$standins
pull=missing
if [ -n "${CONTAINERS_CONF:-}" ]; then
  [ -s "$CONTAINERS_CONF" ] || { echo "no $CONTAINERS_CONF: run ../shared/containers/make-dotnet-base-images.sh first" >&2; exit 1; }
  pull=never
fi
command -v kubectl >/dev/null || { echo "kubectl is needed to render the manifests (kubectl kustomize)" >&2; exit 1; }
python3 -c "import yaml" 2>/dev/null || { echo "python3 with PyYAML is needed to read the manifests (apt-get install python3-yaml)" >&2; exit 1; }

pod=moscowtime-bench-$$
volume=$pod-data
tag=bench-$$
images=()
watchdog=
s3_dir=
podman_cleanup() {
  podman pod rm -f -t 5 "$pod" >/dev/null 2>&1 || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
  for image in "${images[@]}"; do podman rmi -f "$image" >/dev/null 2>&1 || true; done
  podman image prune -f >/dev/null 2>&1 || true # the untagged build stages
  pkill -P "$watchdog" 2>/dev/null || true
  kill "$watchdog" 2>/dev/null || true
  [ -z "$s3_dir" ] || rm -rf "$s3_dir" || true
  bench_cleanup
}
trap podman_cleanup EXIT
trap 'exit 143' TERM INT
# A bound on the whole run, whatever hangs (each step has its own too).
variant_count=$((${#compare} > 0 ? 3 : 2 + upload))
deadline_s=$((1200 + rounds * variant_count * (duration + 40)))
# Its own stderr goes nowhere: ending it at exit would print "Terminated" for its sleep.
(sleep "$deadline_s" && echo "bench/pod.sh: over ${deadline_s}s, giving up" >&3 && kill -TERM $$) 3>&2 2>/dev/null &
watchdog=$!

# --- the pod's resources, from the rendered manifests ----------------------------------------
# Kubernetes turns a CPU request into CPU shares (milli-CPUs * 1024 / 1000, at least 2) and a CPU
# limit into a CFS quota: podman's --cpu-shares and --cpus. The memory limit is --memory.
kubectl kustomize kustomize/overlays/parallel >"$work/rendered.yaml"
resources() { # container [rendered file] -> "cpu-shares cpus memory" as podman takes them
  python3 - "$1" "${2:-$work/rendered.yaml}" <<'PY'
import sys, yaml
def milli(q): return float(q[:-1]) if q.endswith("m") else float(q) * 1000
def mib(q): return int(q[:-2]) * {"Mi": 1, "Gi": 1024}[q[-2:]]
docs = yaml.safe_load_all(open(sys.argv[2]))
pod = next(d for d in docs if d and d["kind"] == "StatefulSet")["spec"]["template"]["spec"]
r = next(c for c in pod["containers"] if c["name"] == sys.argv[1])["resources"]
print(max(2, int(milli(r["requests"]["cpu"]) * 1024 / 1000)), milli(r["limits"]["cpu"]) / 1000, f'{mib(r["limits"]["memory"])}m')
PY
}
read -r web_shares web_cpus web_memory < <(resources web)
read -r backup_shares backup_cpus backup_memory < <(resources backup)
echo "from kustomize/overlays/parallel: web --cpu-shares $web_shares --cpus $web_cpus --memory $web_memory;" \
  "backup --cpu-shares $backup_shares --cpus $backup_cpus --memory $backup_memory"
if [ "$upload" = 1 ]; then
  # The same overlay with the remote-backup component, as a site overlay adds it: the component
  # raises the backup container's memory limit for the AWS SDK.
  mkdir "$work/remote"
  root=$(realpath --relative-to="$work/remote" .)
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s]\ncomponents: [%s]\n' \
    "$root/kustomize/overlays/parallel" "$root/kustomize/components/remote-backup" >"$work/remote/kustomization.yaml"
  kubectl kustomize --load-restrictor LoadRestrictionsNone "$work/remote" >"$work/rendered-remote.yaml"
  read -r upload_shares upload_cpus upload_memory < <(resources backup "$work/rendered-remote.yaml")
  echo "with kustomize/components/remote-backup: backup --cpu-shares $upload_shares --cpus $upload_cpus --memory $upload_memory"
fi

# --- images ------------------------------------------------------------------------------------
build() { # dockerfile tag context
  timeout 900 podman build -q --pull="$pull" --network host -f "$3/$1" -t "$2" "$3" >/dev/null
  images+=("$2")
}
sloc() { # the sidecar's C# lines, leaving out what builds generate under obj/
  find "$1/src/MoscowTime.Sidecar" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -print0 | xargs -0 wc -l | tail -1 | awk '{ print $1 }'
}
echo "building images (web, sidecar from the working tree${compare:+, sidecar at $compare})..."
build Dockerfile.web "localhost/moscow-time-web:$tag" .
build Dockerfile.sidecar "localhost/moscow-time-sidecar:$tag-tree" .
variants=(none tree)
declare -A label=([none]="no sidecar" [tree]="working tree")
declare -A lines=([tree]=$(sloc .))
if [ "$upload" = 1 ]; then
  variants+=(upload)
  label=([none]="no sidecar" [tree]="backup only" [upload]="backup + shipping")
  lines[upload]=${lines[tree]}
fi
if [ -n "$compare" ]; then
  revision=$(git rev-parse --short "$compare")
  mkdir "$work/$revision"
  git archive "$revision" | tar -x -C "$work/$revision"
  build Dockerfile.sidecar "localhost/moscow-time-sidecar:$tag-$revision" "$work/$revision"
  variants+=("$revision")
  label[$revision]="at $revision"
  lines[$revision]=$(sloc "$work/$revision")
fi

# --- the pod -----------------------------------------------------------------------------------
logging=(-e Logging__LogLevel__Default=Warning -e Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning)
if [ "$network" = host ]; then
  # The host's namespace: nothing may listen beyond 127.0.0.1, so each app binds there, on the
  # ports the slirp4netns mode publishes (ASPNETCORE_URLS, with the images' HTTP_PORTS emptied so
  # that Kestrel does not warn that it overrides them).
  pod_network=(--network host)
  web_listen=(-e ASPNETCORE_HTTP_PORTS= -e "ASPNETCORE_URLS=http://127.0.0.1:$web_port")
  sidecar_listen=(-e ASPNETCORE_HTTP_PORTS= -e "ASPNETCORE_URLS=http://127.0.0.1:$sidecar_port")
  host_from_pod=127.0.0.1
else
  # Named, not left to containers.conf: a bridge would put the pod on a private network. The
  # host-loopback gateway 10.0.2.2 is for reaching s3rver, and for nothing else.
  pod_network=(--network "slirp4netns$([ "$upload" = 1 ] && echo :allow_host_loopback=true)"
    -p "127.0.0.1:$web_port:8080" -p "127.0.0.1:$sidecar_port:8081")
  web_listen=()
  sidecar_listen=()
  host_from_pod=10.0.2.2
fi
if [ "$upload" = 1 ]; then
  # s3rver on the host's loopback (from a slirp4netns pod: 10.0.2.2, allow_host_loopback); a free
  # port and a scratch directory of its own. The EXIT trap kills it (pids) and removes its directory.
  s3_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Its objects in memory (/dev/shm): a store's disks are not the node's, and s3rver writing 10 MiB a
  # second here would queue the web app's fsyncs behind its writeback on the one VM disk.
  s3_dir=$(mktemp -d /dev/shm/moscowtime-pod-bench-s3rver.XXXXXX)
  # In a cluster the object store runs on other machines; here it shares the two cores with the pod
  # and with wrk. At nice 19 it takes what the pod leaves, and so does not charge the store's own
  # work (parsing, hashing and writing each upload) to GET /; S3RVER_NICE=0 charges it. That holds
  # where this shell is in the root CPU cgroup (cgroup v1, as on the development VM), whose tasks
  # compete with podman's cgroups: in a cgroup of its own a nice value weighs s3rver against its
  # neighbours there only.
  nice -n "$s3rver_nice" node "$s3rver" -d "$s3_dir" -a 127.0.0.1 -p "$s3_port" --silent --configure-bucket backups >"$work/s3rver.log" 2>&1 &
  s3rver_pid=$!
  pids+=("$s3rver_pid")
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3_port/")" != 000 ] && break
    sleep 0.1
  done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3_port/")" != 000 ] ||
    { echo "s3rver did not listen on 127.0.0.1:$s3_port" >&2; cat "$work/s3rver.log" >&2; exit 1; }
  echo "s3rver on 127.0.0.1:$s3_port (from the pod: http://$host_from_pod:$s3_port), bucket backups"
fi
podman volume create "$volume" >/dev/null
podman pod create --name "$pod" "${pod_network[@]}" >/dev/null
# --read-only as readOnlyRootFilesystem; podman then mounts a tmpfs on /tmp (the manifests' emptyDir).
podman run -d --pod "$pod" --name "$pod-web" --read-only -v "$volume:/data" \
  --cpu-shares "$web_shares" --cpus "$web_cpus" --memory "$web_memory" \
  -e POD_NAME=moscow-time-0 "${web_listen[@]}" "${logging[@]}" "localhost/moscow-time-web:$tag" >/dev/null
for variant in "${variants[@]:1}"; do
  [ "$variant" = upload ] && continue
  image=localhost/moscow-time-sidecar:$tag-$variant
  podman create --pod "$pod" --name "$pod-$variant" --read-only -v "$volume:/data" \
    --cpu-shares "$backup_shares" --cpus "$backup_cpus" --memory "$backup_memory" \
    -e Backup__Interval=00:00:01 -e Backup__Retain=5 -e Backup__FinalBackupQuietPeriod=00:00:00 \
    "${sidecar_listen[@]}" "${logging[@]}" "$image" >/dev/null
done
if [ "$upload" = 1 ]; then
  # The working tree's sidecar with the manifests' settings (base/backup.env: a local backup every
  # 5 minutes; the component's remote.env: shipping every second), then this run's store: GET / with
  # shipping as deployed, against no sidecar.
  podman create --pod "$pod" --name "$pod-upload" --read-only -v "$volume:/data" \
    --cpu-shares "$upload_shares" --cpus "$upload_cpus" --memory "$upload_memory" \
    --env-file kustomize/base/backup.env --env-file kustomize/components/remote-backup/remote.env \
    -e Backup__FinalBackupQuietPeriod=00:00:00 \
    -e Backup__Remote__Url=s3://backups/bench -e "Backup__Remote__Endpoint=http://$host_from_pod:$s3_port" \
    -e AWS_REGION=us-east-1 -e AWS_ACCESS_KEY_ID=S3RVER -e AWS_SECRET_ACCESS_KEY=S3RVER -e POD_NAME=moscow-time-0 \
    "${sidecar_listen[@]}" "${logging[@]}" "localhost/moscow-time-sidecar:$tag-tree" >/dev/null
fi
wait_for "http://127.0.0.1:$web_port/readyz" >/dev/null
data=$(podman volume inspect -f '{{.Mountpoint}}' "$volume")

# --- 1. a database of about 10 MiB -------------------------------------------------------------
echo "filling /data/visits.db to about 10 MiB..."
curl -fs -o /dev/null "http://127.0.0.1:$web_port/" # the web app creates the schema itself
# Synthetic past hours, one row each, as years of traffic would leave them (as in bench/backup.sh).
timeout 120 podman exec -i "$pod-web" sqlite3 /data/visits.db >/dev/null <<'SQL'
.timeout 5000
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 385000)
INSERT OR IGNORE INTO visit_hours (hour, visits)
  SELECT strftime('%Y-%m-%d %H:00', '1980-01-01', '+' || i || ' hours'), 1 + abs(random()) % 5000 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
db_bytes=$(stat -c %s "$data/visits.db")

# --- 2. GET / without and with each sidecar ----------------------------------------------------
# wrk -> "rps p99_ms non2xx"
drive() {
  local out
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 5s --latency "http://127.0.0.1:$web_port/")
  wrk_figures <<<"$out"
}

# seconds [pid] [remote] -> "largest -wal KiB, largest RSS of pid MiB, largest shipping lag in ms",
# sampled every 100 ms (the lag, with a remote, once a second, from /metrics)
sample() {
  local end wal=0 rss=0 age=- size kib seconds i=0
  end=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$end" ]; do
    size=$(stat -c %s "$data/visits.db-wal" 2>/dev/null || echo 0)
    [ "$size" -gt "$wal" ] && wal=$size
    if [ -n "${2:-}" ]; then
      kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$2/status" 2>/dev/null || echo 0)
      [ "${kib:-0}" -gt "$rss" ] && rss=$kib
    fi
    if [ -n "${3:-}" ] && [ $((i % 10)) = 0 ]; then
      seconds=$(metric moscowtime_backup_remote_lag_seconds "$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")")
      age=$(awk -v s="$seconds" -v a="$age" 'BEGIN { m = s * 1000; if (s !~ /^[0-9.]+$/) m = -1; if (a != "-" && a + 0 > m) m = a; print (m < 0 ? "-" : sprintf("%.0f", m)) }')
    fi
    i=$((i + 1))
    sleep 0.1
  done
  echo $((wal / 1024)) $((rss / 1024)) "$age"
}

cpu_ms() { # pid -> CPU time its threads have used, user and system, in ms (0 once it is gone)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
per() { # total count -> total / count, or - for no count
  awk -v t="$1" -v n="$2" 'BEGIN { if (n + 0 > 0) printf "%.0f", t / n; else printf "-" }'
}

ms() { # seconds (Prometheus text, maybe NaN) -> whole milliseconds, or - when there is no value
  awk -v s="$1" 'BEGIN { if (s ~ /^[0-9.eE+-]+$/ && s !~ /^[Nn]/) printf "%.0f", s * 1000; else printf "-" }'
}

cgroup_peak_mib() { # pid -> the peak memory of its memory cgroup (v1 or v2), page cache included
  local path file
  path=$(awk -F: '$2 == "memory" || $2 == "" { print $3; exit }' "/proc/$1/cgroup")
  for file in "/sys/fs/cgroup/memory$path/memory.max_usage_in_bytes" "/sys/fs/cgroup$path/memory.peak"; do
    [ -r "$file" ] && { awk '{ printf "%d", $1 / 1048576 }' "$file"; return; }
  done
  echo -
}

echo "GET / with wrk -t2 -c$connections -d${duration}s, $rounds rounds, rotating: ${variants[*]}..."
wrk -t2 -c"$connections" -d15s "http://127.0.0.1:$web_port/" >/dev/null # warm-up (JIT tiers, page cache); after 5 s the first round still ran cold
results=()
run() { # variant round
  local pid="" before=0 metrics sampler taken=- backup_ms=- health=- hwm=- cgroup=- stats=- rps p99 non2xx wal rss
  local remote="" uploads=- failures=- age=- before_uploads=0 before_failures=0
  local cpu_before=0 s3_before=0 cpu_pass=- s3_upload=-
  [ "$1" = upload ] && remote=1
  if [ "$1" != none ]; then
    podman start "$pod-$1" >/dev/null
    wait_for "http://127.0.0.1:$sidecar_port/livez" >/dev/null
    pid=$(podman inspect -f '{{.State.Pid}}' "$pod-$1")
    if [ -n "$remote" ]; then
      # Shipping measured as it runs in a pod that stays up: past its start's local backup and the
      # chain's whole snapshot (a new one each round, the WAL having restarted meanwhile).
      for _ in $(seq 1 600); do
        metrics=$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")
        [ "$(metric moscowtime_backups_taken_total "$metrics")" != 0 ] && [ "$(metric moscowtime_backup_remote_uploads_total "$metrics")" != 0 ] &&
          [ "$(metric moscowtime_backup_remote_lag_seconds "$metrics")" = 0 ] && break
        sleep 0.2
      done
    fi
    metrics=$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")
    before=$(metric moscowtime_backups_taken_total "$metrics")
    if [ -n "$remote" ]; then
      before_uploads=$(metric moscowtime_backup_remote_uploads_total "$metrics")
      before_failures=$(metric moscowtime_backup_remote_upload_failures_total "$metrics")
      s3_before=$(cpu_ms "$s3rver_pid")
    fi
    cpu_before=$(cpu_ms "$pid")
  fi
  sample "$duration" "$pid" "$remote" >"$work/sample" &
  sampler=$!
  read -r rps p99 non2xx < <(drive)
  wait "$sampler" || true
  read -r wal rss age <"$work/sample"
  if [ "$1" != none ]; then
    metrics=$(curl -fs "http://127.0.0.1:$sidecar_port/metrics")
    taken=$(($(metric moscowtime_backups_taken_total "$metrics") - before))
    cpu_pass=$(per $(($(cpu_ms "$pid") - cpu_before)) "$taken")
    backup_ms=$(ms "$(metric moscowtime_backup_last_duration_seconds "$metrics")")
    if [ -n "$remote" ]; then
      uploads=$(awk -v a="$(metric moscowtime_backup_remote_uploads_total "$metrics")" -v b="$before_uploads" 'BEGIN { print a - b }')
      failures=$(awk -v a="$(metric moscowtime_backup_remote_upload_failures_total "$metrics")" -v b="$before_failures" 'BEGIN { print a - b }')
      s3_upload=$(per $(($(cpu_ms "$s3rver_pid") - s3_before)) "$uploads")
    fi
    health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$sidecar_port/healthz")
    hwm=$(awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")
    cgroup=$(cgroup_peak_mib "$pid")
    stats=$(podman stats --no-stream --format '{{.MemUsage}}' "$pod-$1" | awk '{ print $1 }')
    timeout 60 podman stop -t 30 "$pod-$1" >/dev/null
  else
    rss=-
  fi
  results+=("$1 $2 $rps $p99 $non2xx $wal $taken $backup_ms $hwm $cgroup $uploads - $failures $age $cpu_pass $s3_upload")
  printf '  round %s, %-16s %6s req/s, p99 %6s ms, WAL <= %5s KiB' "$2" "${label[$1]}:" "$rps" "$p99" "$wal"
  [ "$1" = none ] && { echo; return; }
  printf ', %3s backups (last %s ms, %s ms CPU each), /healthz %s, RSS %s MiB (peak %s), cgroup peak %s MiB, podman stats %s' \
    "$taken" "$backup_ms" "$cpu_pass" "$health" "$rss" "$hwm" "$cgroup" "$stats"
  [ -n "$remote" ] && printf ', %s objects shipped (s3rver %s ms CPU each), %s failed, shipping lag <= %s ms' \
    "$uploads" "$s3_upload" "$failures" "$age"
  echo
}

count=${#variants[@]}
for round in $(seq 1 "$rounds"); do
  for i in $(seq 0 $((count - 1))); do run "${variants[$(((round - 1 + i) % count))]}" "$round"; done
done
timeout 60 podman stop -t 30 "$pod-web" >/dev/null

verdict=$(backups_verdict "$data/backups")

median() { # variant column -> median of that column over the variant's rounds
  median_of "$1" "$2" "${results[@]}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
non2xx=$(printf '%s\n' "${results[@]}" | awk '{ s += $5 } END { print s + 0 }')

printf '\n%s\n' "command: NETWORK=$network UPLOAD=$upload$([ "$upload" = 1 ] && echo " S3RVER_NICE=$s3rver_nice") bench/pod.sh $duration $rounds${compare:+ $compare}   (network $network, database $db_bytes bytes, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-28s' "median of $rounds rounds"; for v in "${variants[@]}"; do printf '%16s' "${label[$v]}"; done; echo
row() { # title column [ratio]
  printf '%-28s' "$1"
  for v in "${variants[@]}"; do
    if [ -n "${3:-}" ] && [ "$v" != none ]; then
      printf '%16s' "$(median "$v" "$2") ($(ratio "$(median "$v" "$2")" "$(median none "$2")")x)"
    else
      printf '%16s' "$(median "$v" "$2")"
    fi
  done
  echo
}
row "GET / requests/s" 3 ratio
row "GET / p99 (ms)" 4 ratio
# The machine's speed drifts within a run (the VM's disk; no-sidecar rounds went from 18k to 47k
# requests/s in one run): each round's ratio to that round's no-sidecar run cancels the drift.
paired() { # variant column -> median over the rounds of (variant / no sidecar, in the same round)
  printf '%s\n' "${results[@]}" | awk -v v="$1" -v col="$2" '
    $1 == "none" { base[$2] = $col } $1 == v { mine[$2] = $col }
    END { for (r in mine) if (base[r] > 0) printf "%.4f\n", mine[r] / base[r] }' |
    sort -g | awk '{ x[NR] = $1 } END { if (NR) printf "%.2fx", (NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2) }'
}
for column in 3 4; do
  if [ "$column" = 3 ]; then printf '%-28s' "  paired, requests/s"; else printf '%-28s' "  paired, p99"; fi
  for v in "${variants[@]}"; do
    if [ "$v" = none ]; then printf '%16s' -; else printf '%16s' "$(paired "$v" "$column")"; fi
  done
  echo
done
row "largest -wal (KiB)" 6
row "backups per run" 7
row "last backup (ms)" 8
row "sidecar CPU per pass (ms)" 15
row "sidecar peak RSS (MiB)" 9
row "sidecar cgroup peak (MiB)" 10
if [ "$upload" = 1 ]; then
  row "objects shipped per run" 11
  row "failed passes per run" 13
  row "largest shipping lag (ms)" 14
  row "s3rver CPU per object (ms)" 16
fi
printf '%-28s' "sidecar lines of C#"; for v in "${variants[@]}"; do printf '%16s' "${lines[$v]:--}"; done; echo
printf '\n%-28s %s   (goals: p99 <= 1.20x, throughput >= 0.90x)\n' "non-2xx responses" "$non2xx"
printf '%-28s %s\n' "backups after the runs" "$verdict"
if [ "$upload" = 1 ]; then
  printf '%-28s %s\n' "sidecar memory limits" "backup only $backup_memory; backup + shipping $upload_memory (kustomize/components/remote-backup)"
  # Every object s3rver holds for this pod: its body against the SHA-256 the sidecar put in its
  # metadata, and integrity_check for the snapshots (a segment is WAL frames, not a database).
  # s3rver writes a body in place and its metadata after it, so a PUT cut short leaves a partial
  # body there, where S3 would keep nothing; the sidecar never confirmed such an object.
  printf '%-28s %s\n' "objects in s3rver" "$(python3 - "$s3_dir/backups/bench/moscow-time-0" <<'PY'
import glob, hashlib, json, os, sqlite3, sys
def intact(path):
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try: return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally: db.close()
    except sqlite3.DatabaseError:
        return False
objects = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*._S3rver_object"), recursive=True))
good, bad = 0, []
for o in objects:
    meta = o[:-len("_S3rver_object")] + "_S3rver_metadata.json"  # s3rver writes it after the body
    sha256 = json.load(open(meta)).get("x-amz-meta-sha256", "") if os.path.exists(meta) else ""
    if sha256.lower() == hashlib.sha256(open(o, "rb").read()).hexdigest() and (o.endswith(".wal._S3rver_object") or intact(o)):
        good += 1
    else:
        bad.append(f"{os.path.basename(o)[:-len('._S3rver_object')]} ({os.path.getsize(o)} bytes, "
                   f"{'metadata, SHA-256 differs or damaged' if sha256 else 'no metadata: a PUT cut short'})")
snapshots = sum(1 for o in objects if not o.endswith(".wal._S3rver_object"))
print(f"{len(objects)} under backups/bench/moscow-time-0/ ({snapshots} snapshots, {len(objects) - snapshots} segments): "
      f"{good} match their x-amz-meta-sha256, the snapshots pass integrity_check" + "".join(f"; {b}" for b in bad))
PY
)"
  # What the sidecar logged about the store (warnings and errors only: the log level is Warning).
  podman logs "$pod-upload" 2>&1 | grep -iE 'upload|remote|s3' | sed -E 's/^[^a-zA-Z]*//' | cut -c1-160 | sort | uniq -c |
    sed 's/^/  sidecar log: /' | head -8 || true
fi
