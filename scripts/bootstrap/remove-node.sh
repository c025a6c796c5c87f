#!/usr/bin/env bash
# Drains a worker and deletes it from the cluster, on the control plane, before the worker goes.
# A node that is already gone is fine.
set -euo pipefail

: "${NODE_NAME:?node to remove}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

main() {
  if ! kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
    echo "$NODE_NAME is not in the cluster"
    return 0
  fi
  kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout=300s ||
    echo "draining $NODE_NAME did not finish; deleting it anyway" >&2
  kubectl delete node "$NODE_NAME" --ignore-not-found
}

main "$@"
