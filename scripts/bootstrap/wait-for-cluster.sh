#!/usr/bin/env bash
# The readiness gate: waits until every node of the cluster is Ready, etcd has exactly its control
# planes as members and each answers healthy, and CoreDNS is available. On timeout it fails with the
# nodes and the latest events, which is where the reason usually is.
set -euo pipefail

: "${NODE_NAMES:?space-separated names of every node that must be Ready}"
: "${TIMEOUT_SECONDS:?how long to wait in all}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${ETCD_MEMBERS:?space-separated names of the control planes, each an etcd member}"
: "${ETCD_ENDPOINT:?client endpoint of the local etcd}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the etcd client certificate}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-members.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"

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

etcd_is_whole_and_healthy() {
  [[ "$(etcd_member_names)" == "$(tr ' ' '\n' <<<"$ETCD_MEMBERS" | sed '/^$/d' | sort)" ]] &&
    etcd endpoint health --cluster >/dev/null 2>&1
}

wait_for_etcd() {
  wait_until "$(remaining_seconds)" 5 "etcd did not have every control plane as a healthy member" \
    etcd_is_whole_and_healthy || {
    echo "etcd members: $(etcd_member_names 2>&1 | paste -sd' ' -), expected: $ETCD_MEMBERS" >&2
    etcd endpoint health --cluster >&2 || true
    report_and_fail "etcd does not have every control plane as a healthy member"
  }
}

main() {
  local node
  readonly DEADLINE=$((SECONDS + TIMEOUT_SECONDS))
  for node in $NODE_NAMES; do
    kubectl wait --for=condition=Ready "node/$node" --timeout="$(remaining_seconds)s" >/dev/null ||
      report_and_fail "node $node is not Ready"
  done
  wait_for_etcd
  kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout="$(remaining_seconds)s" >/dev/null ||
    report_and_fail "CoreDNS is not available"
  kubectl get nodes -o wide
}

main "$@"
