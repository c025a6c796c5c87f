#!/usr/bin/env bash
# Approves the kubelets' requests for serving certificates (signer kubernetes.io/kubelet-serving), which
# Kubernetes leaves to the cluster's owner, and nothing it cannot vouch for: the request must come from
# the node it names (user system:node:<name>, subject O=system:nodes, CN=system:node:<name>), the node
# must be registered, and every name and address it asks for must be one of that node's addresses and
# no other node's. The request is read with a DER parser (lib/csr.sh), which refuses what a kubelet
# never sends: control characters, a second extension request, names other than DNS and IP, names
# inside the cluster and addresses in its service or pod range.
# With --watch (how the control plane's systemd service runs it) it approves again each time the
# requests change, within seconds of a node asking, renewals included, until the API server ends the
# watch (systemd then starts it again).
set -euo pipefail

: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${SERVICE_CIDR:?the cluster service range: no node asks for an address in it}"
: "${POD_CIDR:?the cluster pod range: no node asks for an address in it}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/csr.sh"

export KUBECONFIG="$ADMIN_KUBECONFIG"

# "<name> <requesting user>" of each pending kubelet-serving request (no condition yet).
pending_requests() {
  kubectl get csr -o jsonpath='{range .items[?(@.spec.signerName=="kubernetes.io/kubelet-serving")]}{.metadata.name}{" "}{.spec.username}{" "}{.status.conditions[*].type}{"\n"}{end}' |
    awk 'NF == 2 { print $1, $2 }'
}

node_addresses() {
  kubectl get node "$1" -o jsonpath='{range .status.addresses[*]}{.address}{"\n"}{end}'
}

# The addresses of every node but NODE, one per line.
other_nodes_addresses() {
  kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{range .status.addresses[*]}{.address}{" "}{end}{"\n"}{end}' |
    awk -v node="$1" '$1 != node { for (i = 2; i <= NF; i++) print $i }'
}

# Why the request of USER in REQUEST may not be approved; nothing when it may.
refusal() {
  local request="$1" user="$2" node read subject addresses others name
  if [[ "$user" != system:node:* ]]; then
    echo "requested by $user, not by a node"
    return 0
  fi
  node=${user#system:node:}
  if ! read=$(csr_names "$request" 2>&1); then
    echo "$read"
    return 0
  fi
  subject=$(sed -n 's/^subject //p' <<<"$read")
  if [[ "$subject" != "O=system:nodes,CN=system:node:$node" ]]; then
    echo "its subject is $subject, not that of node $node"
    return 0
  fi
  if ! addresses=$(node_addresses "$node" 2>/dev/null) || [[ -z "$addresses" ]]; then
    echo "node $node is not registered"
    return 0
  fi
  # refusal runs in a command substitution, where set -e does not hold: a failed read refuses.
  if ! others=$(other_nodes_addresses "$node"); then
    echo "the other nodes' addresses cannot be read"
    return 0
  fi
  while IFS= read -r name; do
    if ! grep -qxF "$name" <<<"$addresses"; then
      echo "it asks for $name, which is not an address of node $node"
      return 0
    fi
    if grep -qxF "$name" <<<"$others"; then
      echo "it asks for $name, an address of another node"
      return 0
    fi
  done < <(sed -n 's/^name //p' <<<"$read")
}

approve_pending() {
  local name user reason
  while read -r name user; do
    kubectl get csr "$name" -o jsonpath='{.spec.request}' | base64 -d >"$file"
    reason=$(refusal "$file" "$user")
    if [[ -z "$reason" ]]; then
      kubectl certificate approve "$name" >/dev/null
      echo "approved $name of $user"
    else
      echo "left $name pending: $reason" >&2
    fi
  done < <(pending_requests)
}

# The watch lists the requests there are, then prints a line for each change; a burst of lines (several
# nodes asking at once, or the first listing) is one pass.
approve_on_every_change() {
  while read -r _; do
    while read -r -t 1 _; do :; done
    approve_pending
  done < <(kubectl get csr --watch -o name)
}

main() {
  # Not local: the EXIT trap runs after main has returned.
  file=$(mktemp)
  trap 'rm -f "$file"' EXIT
  if [[ "${1:-}" == --watch ]]; then
    approve_on_every_change
  else
    approve_pending
  fi
}

main "$@"
