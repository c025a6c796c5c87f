#!/usr/bin/env bash
# Mints a short-lived bootstrap token for one worker and prints only the token.
set -euo pipefail

: "${NODE_NAME:?worker the token is for}"
: "${TOKEN_TTL:?lifetime, e.g. 4h}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

main() {
  kubeadm token create --ttl "$TOKEN_TTL" --description "kubeadm-aws join of $NODE_NAME" \
    --kubeconfig "$ADMIN_KUBECONFIG"
}

main "$@"
