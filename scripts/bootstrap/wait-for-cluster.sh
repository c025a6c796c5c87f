#!/usr/bin/env bash
# The readiness gate: waits until every node of the cluster is Ready and CoreDNS is available. On
# timeout it fails with the nodes and the latest events, which is where the reason usually is.
set -euo pipefail

: "${NODE_NAMES:?space-separated names of every node that must be Ready}"
: "${TIMEOUT_SECONDS:?how long to wait in all}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

report_and_fail() {
  echo "the cluster was not ready within ${TIMEOUT_SECONDS}s: $1" >&2
  kubectl get nodes -o wide >&2 || true
  echo "recent events:" >&2
  kubectl get events --all-namespaces --sort-by=.lastTimestamp 2>&1 | tail -n 25 >&2 || true
  return 1
}

remaining_seconds() {
  local left=$((DEADLINE - SECONDS))
  echo $((left > 1 ? left : 1))
}

main() {
  local node
  readonly DEADLINE=$((SECONDS + TIMEOUT_SECONDS))
  for node in $NODE_NAMES; do
    kubectl wait --for=condition=Ready "node/$node" --timeout="$(remaining_seconds)s" >/dev/null ||
      report_and_fail "node $node is not Ready"
  done
  kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout="$(remaining_seconds)s" >/dev/null ||
    report_and_fail "CoreDNS is not available"
  kubectl get nodes -o wide
}

main "$@"
