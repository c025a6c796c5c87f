#!/usr/bin/env bash
# Joins this node to the cluster. The JoinConfiguration, which holds the bootstrap token, arrives on
# standard input. A node that has already joined is left as it is.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${ATTEMPTS:?how many times to try}"
: "${KUBELET_KUBECONFIG:?kubeconfig kubeadm join writes for the kubelet}"

readonly CONFIG_FILE=/etc/kubeadm-aws/join-config.yaml
readonly LOG_FILE=/var/log/kubeadm-aws/join.log

source "$(dirname "${BASH_SOURCE[0]}")/../lib/redact-tokens.sh"

join_with_retries() {
  local attempt
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    if kubeadm join --config "$CONFIG_FILE" >"$LOG_FILE" 2>&1; then
      echo "$NODE_NAME joined the cluster (attempt $attempt)"
      return 0
    fi
    echo "kubeadm join of $NODE_NAME failed (attempt $attempt of $ATTEMPTS):" >&2
    tail -n 20 "$LOG_FILE" | redact_tokens >&2
    kubeadm reset --force >/dev/null 2>&1 || true
    sleep $((attempt * 15))
  done
  return 1
}

main() {
  install -d -m 0700 "$(dirname "$CONFIG_FILE")" "$(dirname "$LOG_FILE")"
  install -m 0600 /dev/null "$CONFIG_FILE"
  cat >"$CONFIG_FILE"
  trap 'rm -f "$CONFIG_FILE"' EXIT
  if [[ -f "$KUBELET_KUBECONFIG" ]]; then
    echo "$NODE_NAME has already joined the cluster"
    return 0
  fi
  join_with_retries
}

main "$@"
