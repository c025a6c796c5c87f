# shellcheck shell=bash
# kubeadm join, for workers and control planes alike: whether this node has joined (decided by the
# cluster's identity, not by a file existing) and the join itself, retried, with a reset after each
# failure. Needs NODE_NAME, ATTEMPTS, CONFIG_FILE, LOG_FILE and API_WAIT_SECONDS set by the script
# that sources this, and redact-tokens.sh and node-reset.sh sourced. The script may define
# before_join_attempt (puts back before each attempt what a reset takes away: kubeadm reset empties the
# certificate directory) and after_failed_join (removes what the script itself wrote, so that a node
# whose join failed is as it was).

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

# joined, stale (reset it, then join) or fresh. Fails, having changed nothing, while the API server
# does not answer: a joined node is never taken for a stale one. Callers must stop on that failure
# (state=$(join_state …) || return 1): a `case "$(join_state …)"` would go on.
join_state() {
  local kubeconfig="$1" join_config="$2" waited=0 known
  if [[ ! -f "$kubeconfig" ]]; then
    echo fresh
    return 0
  fi
  if [[ "$(kubelet_ca_pin "$kubeconfig")" != "$(pinned_ca "$join_config")" ]]; then
    echo stale
    return 0
  fi
  # Time is counted by the waits, not the clock, so that a test's sleep can stand in for them.
  while known=$(cluster_knows_node "$kubeconfig") && [[ "$known" == unknown ]]; do
    if ((waited >= API_WAIT_SECONDS)); then
      echo "the API server did not answer within ${API_WAIT_SECONDS}s; leaving $NODE_NAME as it is" >&2
      return 1
    fi
    sleep 10
    waited=$((waited + 10))
  done
  if [[ "$known" == yes ]]; then echo joined; else echo stale; fi
}

JOIN_RETRY_SECONDS="${JOIN_RETRY_SECONDS:-60}"

# Runs the hook NAME if the script defines it.
run_hook() {
  if declare -F "$1" >/dev/null; then "$1"; fi
}

join_with_retries() {
  local attempt
  install -d -m 0700 "$(dirname "$LOG_FILE")"
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    run_hook before_join_attempt
    if kubeadm join --config "$CONFIG_FILE" >"$LOG_FILE" 2>&1; then
      echo "$NODE_NAME joined the cluster (attempt $attempt)"
      return 0
    fi
    echo "kubeadm join of $NODE_NAME failed (attempt $attempt of $ATTEMPTS):" >&2
    tail -n 20 "$LOG_FILE" | redact_tokens >&2
    reset_node
    if ((attempt < ATTEMPTS)); then
      # kubeadm join refuses a name whose Node is still Ready, which the Node stays for the controller
      # manager's grace period (40 s, 50 s from 1.32) after the reset stopped its kubelet.
      sleep $((attempt * JOIN_RETRY_SECONDS))
    fi
  done
  run_hook after_failed_join
  echo "$NODE_NAME was reset so that the next pulumi up retries the join" >&2
  return 1
}
