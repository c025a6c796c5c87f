#!/usr/bin/env bash
# Opens a shell on one node with the stack's SSH key, kept in .cache/ssh/ with mode 600; a worker through
# the control plane. The node's host key is accepted the first time and checked every time after (a
# per-stack known_hosts file).
# Usage: ssh-node.sh STACK NODE [ssh arguments...]
set -euo pipefail

readonly SSH_DIR="${SSH_DIR:-.cache/ssh}"

# "name user@address jump" for every node, from the stack's sshCommands output; jump is the
# user@address a worker is reached through (the control plane), or - .
node_logins() {
  local stack="$1"
  pulumi stack output sshCommands --json --stack "$stack" | python3 -c '
import json, shlex, sys
for name, command in json.load(sys.stdin).items():
    words = shlex.split(command)
    proxy = [w for w in words if w.startswith("ProxyCommand=")]
    print(name, words[-1], proxy[0].split()[-1] if proxy else "-")
'
}

main() {
  local stack="${1:?usage: ssh-node.sh STACK NODE}" node="${2:-}" nodes login jump key options
  shift 2 || shift $#
  if ! nodes=$(node_logins "$stack") || [[ -z "$nodes" ]]; then
    echo "stack $stack has no nodes in its outputs yet: run make up" >&2
    return 1
  fi
  login=$(awk -v node="$node" '$1 == node {print $2}' <<<"$nodes")
  jump=$(awk -v node="$node" '$1 == node {print $3}' <<<"$nodes")
  if [[ -z "$node" || -z "$login" ]]; then
    echo "name a node of stack $stack: make ssh NODE=<name>, one of: $(cut -d' ' -f1 <<<"$nodes" | tr '\n' ' ')" >&2
    return 1
  fi
  install -d -m 0700 "$SSH_DIR"
  key="$SSH_DIR/$stack.pem"
  (umask 077 && pulumi stack output sshPrivateKey --show-secrets --stack "$stack" >"$key")
  chmod 600 "$key"
  options=(-i "$key" -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new
    -o UserKnownHostsFile="$SSH_DIR/known_hosts-$stack")
  if [[ "$jump" != - ]]; then
    options+=(-o "ProxyCommand=ssh ${options[*]} -W %h:%p $jump")
  fi
  exec ssh "${options[@]}" "$login" "$@"
}

main "$@"
