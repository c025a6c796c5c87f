#!/usr/bin/env bash
# On the control plane, after a worker was upgraded: uncordons it if the upgrade drained it (a node
# cordoned by hand stays cordoned), then waits until it is Ready.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?worker to bring back}"
: "${TARGET_MINOR:?Kubernetes minor the worker was upgraded to}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

readonly DRAINED_ANNOTATION=kubeadm-aws/drained-for-upgrade
readonly READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-300}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

main() {
  local drained_for
  drained_for=$(kubectl get node "$NODE_NAME" -o jsonpath="{.metadata.annotations.kubeadm-aws/drained-for-upgrade}")
  if [[ -n "$drained_for" ]]; then
    kubectl uncordon "$NODE_NAME"
    kubectl annotate node "$NODE_NAME" "$DRAINED_ANNOTATION-" >/dev/null
  fi
  if ! kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="${READY_TIMEOUT_SECONDS}s" >/dev/null; then
    echo "$NODE_NAME was not Ready within ${READY_TIMEOUT_SECONDS}s after its upgrade to $TARGET_MINOR:" >&2
    kubectl describe node "$NODE_NAME" | tail -n 20 >&2 || true
    return 1
  fi
  echo "$NODE_NAME is Ready on Kubernetes $TARGET_MINOR"
}

main "$@"
