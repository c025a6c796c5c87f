#!/usr/bin/env bash
# Waits, on the control plane, until a joined node has registered itself, then deletes the node's join
# token: a registered node needs it no more (its kubelet has a client certificate of its own).
set -euo pipefail

: "${NODE_NAME:?node to wait for}"
: "${TIMEOUT_SECONDS:?how long to wait}"
# Named here so that a replaced instance or a rebuilt cluster runs this step again.
: "${NODE_INSTANCE_ID:?EC2 instance of the node}"
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${JOIN_TOKEN_DESCRIPTION:?description of the join token of this node}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/bootstrap-tokens.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"

registered() {
  kubectl get node "$NODE_NAME" >/dev/null 2>&1
}

main() {
  wait_until "$TIMEOUT_SECONDS" 5 "$NODE_NAME did not register" registered || {
    echo "nodes now:" >&2
    kubectl get nodes -o wide >&2 || true
    return 1
  }
  echo "$NODE_NAME is registered"
  delete_bootstrap_tokens_described "$JOIN_TOKEN_DESCRIPTION"
}

main "$@"
