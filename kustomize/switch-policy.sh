#!/usr/bin/env bash
# Switches the live StatefulSet moscow-time to the other podManagementPolicy.
#
# The field is immutable, so `kubectl apply -k` of the other overlay is rejected. This deletes the
# StatefulSet object only (--cascade=orphan: its pods keep running and serving, its PVCs stay), then
# applies the chosen overlay; the new StatefulSet adopts the running pods, and since the pod template
# is the same, no pod restarts.
set -euo pipefail

readonly statefulset=moscow-time

usage() {
  cat <<EOF
usage: $(basename "$0") <ordered|parallel> [--namespace NS] [--dry-run]

  ordered     podManagementPolicy OrderedReady (kustomize/overlays/ordered)
  parallel    podManagementPolicy Parallel (kustomize/overlays/parallel)
  --namespace the StatefulSet's namespace (default: kubectl's current one)
  --dry-run   print the kubectl commands instead of running them; needs no cluster
EOF
}

fail() {
  echo "$(basename "$0"): $*" >&2
  echo >&2
  usage >&2
  exit 2
}

overlay_name=""
namespace=""
dry_run=false
while (($#)); do
  case "$1" in
    ordered | parallel)
      [[ -z "$overlay_name" ]] || fail "give one policy, not two"
      overlay_name="$1"
      ;;
    -n | --namespace)
      (($# >= 2)) || fail "$1 needs a namespace"
      namespace="$2"
      shift
      ;;
    --namespace=*) namespace="${1#--namespace=}" ;;
    --dry-run) dry_run=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) fail "unknown argument: $1" ;;
  esac
  shift
done
[[ -n "$overlay_name" ]] || fail "say which policy: ordered or parallel"

case "$overlay_name" in
  ordered) policy=OrderedReady previous_name=parallel ;;
  parallel) policy=Parallel previous_name=ordered ;;
esac
overlay="$(dirname "${BASH_SOURCE[0]}")/overlays/$overlay_name"
# What the StatefulSet had before the switch (the switch only runs from the other policy).
previous="$(dirname "${BASH_SOURCE[0]}")/overlays/$previous_name"
[[ -f "$overlay/kustomization.yaml" ]] || fail "no overlay at $overlay"
# Nothing is deleted unless the overlay renders.
kubectl kustomize "$overlay" >/dev/null

kubectl_ns=(kubectl)
[[ -z "$namespace" ]] || kubectl_ns+=(--namespace "$namespace")

# The command in a form that can be pasted back into a shell.
quoted() {
  local line
  printf -v line '%q ' "$@"
  echo "${line% }"
}

# Prints the command, then runs it unless dry.
run() {
  quoted "$@"
  "$dry_run" || "$@"
}

if "$dry_run"; then
  echo "# dry run: the StatefulSet is assumed to exist with the other policy" >&2
else
  current="$("${kubectl_ns[@]}" get statefulset "$statefulset" --ignore-not-found \
    -o jsonpath='{.spec.podManagementPolicy}')"
  if [[ "$current" == "$policy" ]]; then
    echo "statefulset/$statefulset already has podManagementPolicy $policy; applying $overlay" >&2
    run "${kubectl_ns[@]}" apply -k "$overlay"
    exit 0
  fi
  if [[ -z "$current" ]]; then
    echo "no statefulset/$statefulset yet; applying $overlay" >&2
    run "${kubectl_ns[@]}" apply -k "$overlay"
    run "${kubectl_ns[@]}" rollout status "statefulset/$statefulset" --timeout=5m
    exit 0
  fi
  echo "switching statefulset/$statefulset from $current to $policy; pods and PVCs stay" >&2
fi

# --wait: returns once the object is gone, so the apply below creates a new one.
run "${kubectl_ns[@]}" delete statefulset "$statefulset" --cascade=orphan --wait=true
if ! run "${kubectl_ns[@]}" apply -k "$overlay"; then
  cat >&2 <<EOF
$(basename "$0"): the apply failed after statefulset/$statefulset was deleted. Its pods keep
running and serving and its PVCs stay, but nothing recreates a pod that dies. Fix the cause and
run this script again, or put back the StatefulSet as it was ($previous_name), which adopts the pods:
  $(quoted "${kubectl_ns[@]}" apply -k "$previous")
EOF
  exit 1
fi
run "${kubectl_ns[@]}" rollout status "statefulset/$statefulset" --timeout=5m
