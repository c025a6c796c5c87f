#!/usr/bin/env bash
# Applies a manifest the program renders (it holds no secret), on the control plane.
set -euo pipefail

: "${NAME:?what the manifest is, for messages}"
: "${MANIFEST:?the manifest (YAML)}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

main() {
  printf '%s\n' "$MANIFEST" | kubectl apply -f -
  echo "$NAME is applied"
}

main "$@"
