#!/usr/bin/env bash
# Joins this node to the cluster. The JoinConfiguration, which holds the bootstrap token and pins the
# cluster CA, arrives on standard input.
#
# Whether the node has joined is decided by the cluster's identity: a node whose kubelet trusts the
# pinned CA and whose Node object the cluster knows is left as it is; a node of another CA, or one the
# cluster no longer knows (it was rebuilt without a snapshot, or removed the node), is reset and joins
# again. A join that fails in every attempt resets the node, so the next pulumi up retries cleanly.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${ATTEMPTS:?how many times to try}"
: "${KUBELET_KUBECONFIG:?kubeconfig kubeadm join writes for the kubelet}"
# Named here so that a replaced instance or a rebuilt cluster runs this step again.
: "${NODE_INSTANCE_ID:?EC2 instance of this node}"
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"

readonly CONFIG_FILE=/etc/kubeadm-aws/join-config.yaml
readonly LOG_FILE="${LOG_FILE:-/var/log/kubeadm-aws/join.log}"
readonly API_WAIT_SECONDS="${API_WAIT_SECONDS:-300}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/redact-tokens.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-reset.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/join.sh"

main() {
  install -d -m 0700 "$(dirname "$CONFIG_FILE")" "$(dirname "$LOG_FILE")"
  install -m 0600 /dev/null "$CONFIG_FILE"
  trap 'rm -f "$CONFIG_FILE"' EXIT
  cat >"$CONFIG_FILE"
  local state
  state=$(join_state "$KUBELET_KUBECONFIG" "$CONFIG_FILE") || return 1
  case "$state" in
    joined)
      echo "$NODE_NAME has already joined this cluster"
      return 0
      ;;
    stale)
      echo "$NODE_NAME belongs to another cluster or was removed from this one; resetting it to join again"
      reset_node
      ;;
  esac
  join_with_retries
}

main "$@"
