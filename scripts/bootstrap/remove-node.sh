#!/usr/bin/env bash
# Removes a node from the cluster before its instance goes, on the first control plane: drains it
# (bounded), deletes its Node object, then resets the machine over SSH if it answers within a short
# wait. A machine that is already gone is skipped with a message; the SSH key arrives on standard
# input. A control plane's reset removes its etcd member; when the machine did not answer, the member
# is removed here, so that etcd's majority counts only members that exist.
set -euo pipefail

: "${NODE_NAME:?node to remove}"
: "${NODE_IP:?private address of the machine of the node}"
: "${NODE_HOST_KEY:?the SSH host key the machine serves (ssh-ed25519 …), from the stack}"
: "${LOGIN_USER:?user to log in to the node as}"
: "${RESET_SCRIPT:?script that resets a node}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${ETCD_MEMBER:?the etcd member of the node (a control plane), or none}"
: "${ETCD_ENDPOINT:?client endpoint of the local etcd}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the etcd client certificate}"

readonly DRAIN_TIMEOUT_SECONDS=120
readonly RESET_TIMEOUT_SECONDS="${RESET_TIMEOUT_SECONDS:-60}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-members.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-ssh.sh"

remove_from_cluster() {
  if ! kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
    echo "$NODE_NAME is not in the cluster"
    return 0
  fi
  kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force \
    --timeout="${DRAIN_TIMEOUT_SECONDS}s" || echo "draining $NODE_NAME did not finish; deleting it anyway" >&2
  kubectl delete node "$NODE_NAME" --ignore-not-found
}

remove_member_of_a_control_plane() {
  [[ "$ETCD_MEMBER" == none ]] || remove_etcd_member "$ETCD_MEMBER"
}

main() {
  # Not local: the EXIT trap runs after main has returned.
  key_file=$(mktemp)
  known_hosts=$(mktemp)
  trap 'rm -f "$key_file" "$known_hosts"' EXIT
  chmod 0600 "$key_file"
  cat >"$key_file"
  remove_from_cluster
  if ! run_on_node "$key_file" "$known_hosts" "$NODE_IP" "$RESET_SCRIPT"; then
    echo "skipped resetting $NODE_NAME at $NODE_IP: it did not answer within ${RESET_TIMEOUT_SECONDS}s" \
      "(its instance is being removed anyway)"
  fi
  remove_member_of_a_control_plane
}

main "$@"
