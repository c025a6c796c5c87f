#!/usr/bin/env bash
# On the control plane, before a worker is upgraded: drains it, honouring PodDisruptionBudgets, within
# a bounded wait, and marks it as drained for this upgrade. A worker already at the target minor is
# left alone. A drain a PodDisruptionBudget holds up fails before anything on the worker changes.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?worker to drain}"
: "${TARGET_MINOR:?Kubernetes minor the worker is upgraded to}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

readonly DRAIN_TIMEOUT_SECONDS="${DRAIN_TIMEOUT_SECONDS:-300}"
readonly DRAINED_ANNOTATION=kubeadm-aws/drained-for-upgrade

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/kubernetes-packages.sh"

main() {
  local version
  version=$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}')
  if [[ "$(minor_of "$version")" == "$TARGET_MINOR" ]]; then
    echo "$NODE_NAME already runs Kubernetes $TARGET_MINOR"
    return 0
  fi
  kubectl annotate node "$NODE_NAME" --overwrite "$DRAINED_ANNOTATION=$TARGET_MINOR" >/dev/null
  if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT_SECONDS}s"; then
    echo "draining $NODE_NAME did not finish within ${DRAIN_TIMEOUT_SECONDS}s; a PodDisruptionBudget may not" \
      "allow it (kubectl get pdb -A). Nothing on $NODE_NAME was upgraded; it stays cordoned until pulumi up" \
      "is run again." >&2
    return 1
  fi
}

main "$@"
