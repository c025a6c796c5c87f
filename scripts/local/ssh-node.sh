#!/usr/bin/env bash
# Opens a shell on one node with the stack's SSH key, kept in .cache/ssh/ with mode 600; a worker through
# the control plane. Each node's host key is the one the stack gave it (a per-stack known_hosts file);
# a node whose key the stack's outputs do not hold yet (outputs written by an earlier version) is
# accepted the first time and checked after that.
# Usage: ssh-node.sh STACK NODE [ssh arguments...]
set -euo pipefail

readonly SSH_DIR="${SSH_DIR:-.cache/ssh}"

source "$(dirname "${BASH_SOURCE[0]}")/pulumi-stack.sh"

# "name user@address jump" for every node, from the stack's sshCommands output (COMMANDS); jump is the
# user@address a worker is reached through (the control plane), or - .
node_logins() {
  COMMANDS="$1" python3 -c '
import json, os, shlex
for name, command in json.loads(os.environ["COMMANDS"]).items():
    words = shlex.split(command)
    proxy = [w for w in words if w.startswith("ProxyCommand=")]
    print(name, words[-1], proxy[0].split()[-1] if proxy else "-")
'
}

# Writes the host keys the stack gave its nodes into the known_hosts file, in place of any other key
# for those addresses; a node whose key the outputs lack is accepted the first time.
pin_host_keys() {
  local stack="$1" known_hosts="$2" commands="$3" keys
  keys=$(pulumi stack output sshHostKeys --json --stack "$stack" 2>/dev/null || echo '{}')
  COMMANDS="$commands" KEYS="$keys" KNOWN_HOSTS="$known_hosts" python3 -c '
import json, os, shlex
commands, keys = json.loads(os.environ["COMMANDS"]), json.loads(os.environ["KEYS"] or "{}")
pinned = {shlex.split(command)[-1].split("@")[-1]: keys[name] for name, command in commands.items() if keys.get(name)}
path = os.environ["KNOWN_HOSTS"]
kept = []
if os.path.exists(path):
    kept = [line for line in open(path) if line.split(" ", 1)[0] not in pinned]
with open(path, "w") as known_hosts:
    known_hosts.writelines(kept + [f"{address} {key}\n" for address, key in pinned.items()])
'
}

main() {
  local stack="${1:?usage: ssh-node.sh STACK NODE}" node="${2:-}" commands nodes login jump key options
  shift 2 || shift $#
  commands=$(stack_output "$stack" sshCommands --json) || return 1
  nodes=$(node_logins "$commands")
  if [[ -z "$nodes" ]]; then
    echo "stack $stack has no nodes in its outputs yet: run make up STACK=$stack" >&2
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
  (umask 077 && stack_output "$stack" sshPrivateKey --show-secrets >"$key")
  chmod 600 "$key"
  pin_host_keys "$stack" "$SSH_DIR/known_hosts-$stack" "$commands"
  options=(-i "$key" -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new
    -o UserKnownHostsFile="$SSH_DIR/known_hosts-$stack")
  if [[ "$jump" != - ]]; then
    options+=(-o "ProxyCommand=ssh ${options[*]} -W %h:%p $jump")
  fi
  exec ssh "${options[@]}" "$login" "$@"
}

main "$@"
