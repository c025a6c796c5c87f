#!/usr/bin/env bash
# Joins this node to the cluster. The JoinConfiguration, which holds the bootstrap token and pins the
# cluster CA, arrives on standard input.
#
# Whether the node has joined is decided by the cluster's identity: a node whose kubelet trusts the
# pinned CA and whose Node object the cluster knows is left as it is; a node of another CA, or one the
# cluster no longer knows (it was rebuilt without a snapshot, or removed the node), is reset and joins
# again. A join that fails in every attempt resets the node, so the next pulumi up retries cleanly.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${ATTEMPTS:?how many times to try}"
: "${KUBELET_KUBECONFIG:?kubeconfig kubeadm join writes for the kubelet}"
# Named here so that a replaced instance or a rebuilt cluster runs this step again.
: "${NODE_INSTANCE_ID:?EC2 instance of this node}"
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"

readonly CONFIG_FILE=/etc/kubeadm-aws/join-config.yaml
readonly LOG_FILE="${LOG_FILE:-/var/log/kubeadm-aws/join.log}"
readonly API_WAIT_SECONDS="${API_WAIT_SECONDS:-300}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/redact-tokens.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-reset.sh"

# sha256:<hex> of the public key of a PEM certificate, as kubeadm pins a CA.
ca_pin() {
  openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | sed -E 's/^([0-9a-f]+).*/sha256:\1/'
}

kubelet_ca_pin() {
  local kubeconfig="$1"
  sed -nE 's/^[[:space:]]*certificate-authority-data:[[:space:]]*(.+)$/\1/p' "$kubeconfig" | base64 -d | ca_pin
}

pinned_ca() {
  local join_config="$1"
  grep -oE 'sha256:[0-9a-f]{64}' "$join_config" | head -n 1
}

# Whether the cluster knows this node: yes, no, or unknown while its API server does not answer.
cluster_knows_node() {
  local kubeconfig="$1" output
  if output=$(kubectl --kubeconfig "$kubeconfig" get node "$NODE_NAME" -o name 2>&1); then
    echo yes
  elif [[ "$output" == *NotFound* || "$output" == *Unauthorized* ]]; then
    echo no
  else
    echo unknown
  fi
}

# joined, stale (reset it, then join) or fresh.
join_state() {
  local kubeconfig="$1" join_config="$2" deadline=$((SECONDS + API_WAIT_SECONDS)) known
  if [[ ! -f "$kubeconfig" ]]; then
    echo fresh
    return 0
  fi
  if [[ "$(kubelet_ca_pin "$kubeconfig")" != "$(pinned_ca "$join_config")" ]]; then
    echo stale
    return 0
  fi
  while known=$(cluster_knows_node "$kubeconfig") && [[ "$known" == unknown ]]; do
    if ((SECONDS >= deadline)); then
      echo "the API server did not answer within ${API_WAIT_SECONDS}s; leaving $NODE_NAME as it is" >&2
      return 1
    fi
    sleep 10
  done
  if [[ "$known" == yes ]]; then echo joined; else echo stale; fi
}

join_with_retries() {
  local attempt
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    if kubeadm join --config "$CONFIG_FILE" >"$LOG_FILE" 2>&1; then
      echo "$NODE_NAME joined the cluster (attempt $attempt)"
      return 0
    fi
    echo "kubeadm join of $NODE_NAME failed (attempt $attempt of $ATTEMPTS):" >&2
    tail -n 20 "$LOG_FILE" | redact_tokens >&2
    reset_node
    if ((attempt < ATTEMPTS)); then
      sleep $((attempt * 15))
    fi
  done
  echo "$NODE_NAME was reset so that the next pulumi up retries the join" >&2
  return 1
}

main() {
  install -d -m 0700 "$(dirname "$CONFIG_FILE")" "$(dirname "$LOG_FILE")"
  install -m 0600 /dev/null "$CONFIG_FILE"
  trap 'rm -f "$CONFIG_FILE"' EXIT
  cat >"$CONFIG_FILE"
  case "$(join_state "$KUBELET_KUBECONFIG" "$CONFIG_FILE")" in
    joined)
      echo "$NODE_NAME has already joined this cluster"
      return 0
      ;;
    stale)
      echo "$NODE_NAME belongs to another cluster or was removed from this one; resetting it to join again"
      reset_node
      ;;
  esac
  join_with_retries
}

main "$@"
