#!/usr/bin/env bash
# Mints a short-lived bootstrap token for one node and prints only the token. A Node object of the same
# name left by a replaced machine (another address) is drained first, then that machine is reset over
# SSH if it answers (its kubelet stops, and with its credentials gone it cannot come back under the
# name the new machine joins with; Pulumi terminates it only after the new one has joined), then the
# Node is deleted; for a control plane, so is the old machine's etcd member. The SSH key arrives on
# standard input.
set -euo pipefail

: "${NODE_NAME:?worker the token is for}"
: "${NODE_IP:?private address of the current machine of the worker}"
: "${TOKEN_TTL:?lifetime, e.g. 4h}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${ETCD_MEMBER:?the etcd member of the node (a control plane), or none}"
: "${ETCD_ENDPOINT:?client endpoint of the local etcd}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the etcd client certificate}"
: "${JOIN_TOKEN_DESCRIPTION:?description the token carries, by which it is deleted once the node is registered}"
: "${NODE_HOST_KEY:?the SSH host key the node serves (ssh-ed25519 …), from the stack}"
: "${LOGIN_USER:?user to log in to the node as}"
: "${RESET_SCRIPT:?script that resets a node}"

readonly RESET_TIMEOUT_SECONDS="${RESET_TIMEOUT_SECONDS:-60}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-members.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-ssh.sh"

registered_address() {
  kubectl get node "$NODE_NAME" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}' 2>/dev/null
}

remove_node_of_a_replaced_machine() {
  local key="$1" address known_hosts output
  address=$(registered_address) || return 0
  if [[ -n "$address" && "$address" != "$NODE_IP" ]]; then
    echo "$NODE_NAME is registered at $address, a machine that was replaced; removing that Node" >&2
    kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout=120s >&2 ||
      echo "draining the old $NODE_NAME did not finish; deleting it anyway" >&2
    known_hosts=$(mktemp)
    if ! output=$(run_on_node "$key" "$known_hosts" "$address" "$RESET_SCRIPT" 2>&1); then
      if [[ "$output" == *"Host key verification failed"* ]]; then
        echo "skipped resetting the old $NODE_NAME at $address: it does not serve the node's host key (a machine" \
          "built before nodes got their host keys from the stack); its kubelet may run under the name until" \
          "Pulumi terminates it at the end of this update" >&2
      else
        echo "skipped resetting the old $NODE_NAME at $address: it did not answer within ${RESET_TIMEOUT_SECONDS}s" \
          "(a machine that is gone runs no kubelet)" >&2
      fi
    fi
    echo "$output" >&2
    rm -f "$known_hosts"
    kubectl delete node "$NODE_NAME" --ignore-not-found >&2
  fi
}

main() {
  # Not local: the EXIT trap runs after main has returned.
  key_file=$(mktemp)
  trap 'rm -f "$key_file"' EXIT
  chmod 0600 "$key_file"
  cat >"$key_file"
  remove_node_of_a_replaced_machine "$key_file"
  [[ "$ETCD_MEMBER" == none ]] || remove_etcd_member "$ETCD_MEMBER" "$NODE_IP"
  kubeadm token create --ttl "$TOKEN_TTL" --description "$JOIN_TOKEN_DESCRIPTION"
}

main "$@"
