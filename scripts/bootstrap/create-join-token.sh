#!/usr/bin/env bash
# Mints a short-lived bootstrap token for one node and prints only the token. A Node object of the same
# name left by a replaced machine (another address) is drained and deleted first, so the new machine can
# join under its name; for a control plane, so is the old machine's etcd member.
set -euo pipefail

: "${NODE_NAME:?worker the token is for}"
: "${NODE_IP:?private address of the current machine of the worker}"
: "${TOKEN_TTL:?lifetime, e.g. 4h}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${ETCD_MEMBER:?the etcd member of the node (a control plane), or none}"
: "${ETCD_ENDPOINT:?client endpoint of the local etcd}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the etcd client certificate}"
: "${JOIN_TOKEN_DESCRIPTION:?description the token carries, by which it is deleted once the node is registered}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-members.sh"

registered_address() {
  kubectl get node "$NODE_NAME" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}' 2>/dev/null
}

remove_node_of_a_replaced_machine() {
  local address
  address=$(registered_address) || return 0
  if [[ -n "$address" && "$address" != "$NODE_IP" ]]; then
    echo "$NODE_NAME is registered at $address, a machine that was replaced; removing that Node" >&2
    kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout=120s >&2 ||
      echo "draining the old $NODE_NAME did not finish; deleting it anyway" >&2
    kubectl delete node "$NODE_NAME" --ignore-not-found >&2
  fi
}

main() {
  remove_node_of_a_replaced_machine
  [[ "$ETCD_MEMBER" == none ]] || remove_etcd_member "$ETCD_MEMBER" "$NODE_IP"
  kubeadm token create --ttl "$TOKEN_TTL" --description "$JOIN_TOKEN_DESCRIPTION"
}

main "$@"
