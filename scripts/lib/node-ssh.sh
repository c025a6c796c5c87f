# shellcheck shell=bash
# Runs a script as root on another node of the cluster over SSH from the first control plane, bounded
# in time, checking the host key the node got from the stack. For a machine that may be gone: the
# caller says what it skipped when this fails. Needs NODE_HOST_KEY, LOGIN_USER and RESET_TIMEOUT_SECONDS.

# The machine's host key pinned in a known_hosts file of its own; never reached without the check (a
# machine that does not serve the stack's key fails it, and the caller says it skipped the machine).
host_key_options() {
  local address="$1" trusted="$2"
  printf '%s %s\n' "$address" "$NODE_HOST_KEY" >"$trusted"
  echo "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$trusted"
}

# run_on_node KEY_FILE KNOWN_HOSTS_FILE ADDRESS SCRIPT
run_on_node() {
  local key="$1" trusted="$2" address="$3" script="$4" options
  options=$(host_key_options "$address" "$trusted")
  # shellcheck disable=SC2086 # the options are separate words
  timeout "$RESET_TIMEOUT_SECONDS" ssh -i "$key" -o BatchMode=yes -o ConnectTimeout=10 $options -o LogLevel=ERROR \
    "$LOGIN_USER@$address" 'sudo bash -s' <<<"$script"
}
