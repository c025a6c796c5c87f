#!/usr/bin/env bash
# Opens SSH, the API server and NodePorts to this machine only: sets allowedCidrs[0] of the stack to
# this machine's public IPv4 address (/32). Without --replace it leaves a value already set alone.
# If the address cannot be found, it says so and stops, so a broken value is never written.
# Usage: allowed-cidrs.sh STACK [--replace]
set -euo pipefail

readonly ADDRESS_SERVICE="${ADDRESS_SERVICE:-https://checkip.amazonaws.com}"

is_ipv4() {
  local octet
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  for octet in "${BASH_REMATCH[@]:1}"; do
    ((10#$octet <= 255)) || return 1
  done
}

public_address() {
  local answer
  if ! answer=$(curl -fsS --max-time 10 "$ADDRESS_SERVICE" 2>&1); then
    echo "could not ask $ADDRESS_SERVICE for this machine's public address (no route, or a proxy in the way): $answer" >&2
    return 1
  fi
  answer="${answer//[[:space:]]/}"
  if ! is_ipv4 "$answer"; then
    echo "$ADDRESS_SERVICE answered '${answer:0:60}', which is not an IPv4 address (a proxy's page?)" >&2
    return 1
  fi
  echo "$answer"
}

already_set() {
  local stack_file="$1"
  grep -Eq '^[[:space:]]+kubeadm-aws:allowedCidrs:' "$stack_file" 2>/dev/null
}

main() {
  local stack="${1:?usage: allowed-cidrs.sh STACK [--replace]}" replace="${2:-}" address
  if [[ "$replace" != --replace ]] && already_set "Pulumi.$stack.yaml"; then
    return 0
  fi
  if ! address=$(public_address); then
    echo "Stopping; nothing was changed. Set the address yourself:" \
      "pulumi config set --path 'allowedCidrs[0]' <your-address>/32 --stack $stack" >&2
    return 1
  fi
  pulumi config set --path 'allowedCidrs[0]' "$address/32" --stack "$stack"
  echo "allowedCidrs[0] is now $address/32: SSH, the API server and NodePorts answer this machine only"
}

main "$@"
