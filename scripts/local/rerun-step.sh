#!/usr/bin/env bash
# Runs one remote step of the bootstrap chain again: replaces that step's resource (and so re-runs its
# script, and the steps that depend on it) with pulumi up --replace.
# Usage: rerun-step.sh STACK STEP   (STEP as pulumi up shows it, e.g. kubeadm-lab-worker-1-join)
set -euo pipefail

# The URNs of the stack's remote steps, one per line.
step_urns() {
  local stack="$1"
  pulumi stack export --stack "$stack" | python3 -c '
import json, sys
for resource in json.load(sys.stdin)["deployment"].get("resources") or []:
    if resource["type"] == "command:remote:Command":
        print(resource["urn"])
'
}

main() {
  local stack="${1:?usage: rerun-step.sh STACK STEP}" step="${2:-}" urns urn
  urns=$(step_urns "$stack")
  urn=$(grep -E -- "::${step//./\\.}\$" <<<"$urns" || true)
  if [[ -z "$step" || -z "$urn" ]]; then
    echo "name a step of stack $stack: make rerun STEP=<name>, one of:" >&2
    sed 's/.*:://' <<<"$urns" | sort >&2
    return 1
  fi
  pulumi up --stack "$stack" --replace "$urn"
}

main "$@"
