#!/usr/bin/env bash
# Refuses to destroy a paused cluster with AWS integration: the destroy's first step removes the
# cluster's load balancers and volumes from the running control plane, which a paused cluster lacks.
# Usage: before-destroy.sh STACK
set -euo pipefail

# A setting's value in the stack, or its default.
setting() {
  local stack="$1" key="$2" default="$3"
  pulumi config get "$key" --stack "$stack" 2>/dev/null || echo "$default"
}

main() {
  local stack="${1:?usage: before-destroy.sh STACK}"
  if [[ "$(setting "$stack" paused false)" == true && "$(setting "$stack" awsIntegration true)" == true ]]; then
    echo "stack $stack is paused: the destroy first removes the cluster's load balancers and volumes from" \
      "AWS through the running control plane. Run make resume, then make destroy." >&2
    return 1
  fi
}

main "$@"
