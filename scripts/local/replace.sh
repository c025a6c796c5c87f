#!/usr/bin/env bash
# Replaces one resource of the stack by name, with pulumi up --replace: a remote step (it runs again,
# and the steps after it too) or a node (a new instance with the current image and user data; its
# steps follow it).
# Usage: replace.sh STACK step|node NAME   (NAME as pulumi up shows it, e.g. kubeadm-lab-worker-1)
set -euo pipefail

# The URNs of the stack's resources of one type, one per line.
urns_of_type() {
  local stack="$1" type="$2"
  pulumi stack export --stack "$stack" | TYPE="$type" python3 -c '
import json, os, sys
for resource in json.load(sys.stdin)["deployment"].get("resources") or []:
    if resource["type"] == os.environ["TYPE"]:
        print(resource["urn"])
'
}

main() {
  local stack="${1:?usage: replace.sh STACK step|node NAME}" kind="${2:-}" name="${3:-}" type variable urns urn
  case "$kind" in
    step) type=command:remote:Command variable=STEP ;;
    node) type=aws:ec2/instance:Instance variable=NODE ;;
    *)
      echo "usage: replace.sh STACK step|node NAME" >&2
      return 2
      ;;
  esac
  urns=$(urns_of_type "$stack" "$type")
  urn=$(grep -E -- "::${name//./\\.}\$" <<<"$urns" || true)
  if [[ -z "$name" || -z "$urn" ]]; then
    echo "name a $kind of stack $stack: $variable=<name>, one of:" >&2
    sed 's/.*:://' <<<"$urns" | sort >&2
    return 1
  fi
  pulumi up --stack "$stack" --replace "$urn"
}

main "$@"
