#!/usr/bin/env bash
# Removes the control plane's NoSchedule taint (a single-node cluster runs workloads there) or puts it
# back (once workers exist). Either action is a no-op when the taint is already as asked.
set -euo pipefail

: "${NODE_NAME:?control-plane node}"
: "${TAINT_ACTION:?remove or restore}"
# Named here so that a rebuilt cluster runs this step again.
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

readonly TAINT=node-role.kubernetes.io/control-plane:NoSchedule
export KUBECONFIG="$ADMIN_KUBECONFIG"

main() {
  case "$TAINT_ACTION" in
    remove) kubectl taint node "$NODE_NAME" "$TAINT-" 2>/dev/null || echo "$NODE_NAME has no $TAINT taint" ;;
    restore) kubectl taint node "$NODE_NAME" "$TAINT" --overwrite ;;
    *)
      echo "TAINT_ACTION must be remove or restore, not $TAINT_ACTION" >&2
      return 1
      ;;
  esac
}

main "$@"
