#!/usr/bin/env bash
# The credentials a consumer stack deploys with: a namespace, a ServiceAccount that may manage the
# workloads in it and nothing else, and a long-lived token for it, which it prints (the step keeps its
# output secret and logs nothing). Deleting the token's Secret revokes it; running the step again
# (make rerun) makes a new one.
set -euo pipefail

: "${NAMESPACE:?namespace the workloads of consumer stacks go to}"
: "${SERVICE_ACCOUNT:?ServiceAccount they deploy as}"
: "${MANIFEST:?the namespace, ServiceAccount, Role, RoleBinding and token Secret (YAML)}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

readonly TOKEN_WAIT_SECONDS="${TOKEN_WAIT_SECONDS:-60}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

# The token Kubernetes wrote into the Secret, or nothing yet.
token() {
  kubectl -n "$NAMESPACE" get secret "$SERVICE_ACCOUNT-token" -o jsonpath='{.data.token}' 2>/dev/null | base64 -d
}

main() {
  printf '%s\n' "$MANIFEST" | kubectl apply -f - >/dev/null
  local waited=0 value
  until value=$(token) && [[ -n "$value" ]]; do
    if ((waited >= TOKEN_WAIT_SECONDS)); then
      echo "Kubernetes did not write the token of $NAMESPACE/$SERVICE_ACCOUNT within ${TOKEN_WAIT_SECONDS}s" >&2
      return 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
  printf '%s' "$value"
}

main "$@"
