# shellcheck shell=bash
# The files a hardened API server reads when it starts, written on every control plane before kubeadm
# starts its API server: the audit policy and the admission configuration; and restarting it for them.
# Needs AUDIT_POLICY, ADMISSION_CONFIG (their text), AUDIT_POLICY_FILE, ADMISSION_CONFIG_FILE,
# AUDIT_LOG_DIR and CRI_SOCKET, for the waits NODE_NAME, ADMIN_KUBECONFIG and wait.sh sourced, and for
# the flags HARDENING_FLAGS.

API_READY_TIMEOUT_SECONDS="${API_READY_TIMEOUT_SECONDS:-300}"
API_SERVER_MANIFEST="${NODE_ROOT:-}/etc/kubernetes/manifests/kube-apiserver.yaml"

# Puts standard input at FILE with MODE unless the file holds it already; prints changed or unchanged.
# The new content waits beside FILE, never in /tmp (it may be a key), and is gone whatever fails.
install_content() {
  local file="$1" mode="$2" new result status=0
  mkdir -p "$(dirname "$file")"
  new=$(mktemp "$(dirname "$file")/.new.XXXXXX")
  if ! cat >"$new"; then
    status=1
  elif cmp -s "$new" "$file"; then
    result=unchanged
  elif chmod "$mode" "$new" && mv -f "$new" "$file"; then
    # A rename: a reader (the API server reloads its encryption configuration) sees the old file or
    # the new one, never none or half of one.
    result=changed
  else
    status=1
  fi
  rm -f "$new"
  ((status != 0)) || echo "$result"
  return "$status"
}

# The audit policy and the admission configuration; prints changed when either was new or different.
write_api_server_policies() {
  local audit admission
  install -d -m 0700 "$AUDIT_LOG_DIR"
  audit=$(printf '%s\n' "$AUDIT_POLICY" | install_content "$AUDIT_POLICY_FILE" 0600)
  admission=$(printf '%s\n' "$ADMISSION_CONFIG" | install_content "$ADMISSION_CONFIG_FILE" 0600)
  if [[ "$audit" == changed || "$admission" == changed ]]; then echo changed; else echo unchanged; fi
}

api_server_pid() {
  pgrep -o -x kube-apiserver || true
}

# The API server reads its policies only when it starts: stopping its container makes the kubelet
# start it again.
restart_api_server() {
  crictl --runtime-endpoint "$CRI_SOCKET" stop "$(crictl --runtime-endpoint "$CRI_SOCKET" ps -q --name '^kube-apiserver$')" >/dev/null
}

api_server_answers() {
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" get --raw=/readyz >/dev/null 2>&1
}

# Whether a kube-apiserver other than process BEFORE runs.
api_server_restarted() {
  local before="$1" now
  now=$(api_server_pid)
  [[ -n "$now" && "$now" != "$before" ]]
}

wait_for_api_server() {
  wait_until "$API_READY_TIMEOUT_SECONDS" 5 "the API server on $NODE_NAME did not answer" api_server_answers
}

# Waits until an API server other than process BEFORE answers.
wait_for_new_api_server() {
  local before="$1"
  wait_until "$API_READY_TIMEOUT_SECONDS" 5 "the API server on $NODE_NAME did not restart" api_server_restarted "$before"
  wait_for_api_server
}

# Whether the API server's manifest lacks one of HARDENING_FLAGS (NAME=VALUE words), or runs it with
# another value (kubeadm's default --enable-admission-plugins=NodeRestriction, say).
api_server_lacks_hardening() {
  local flag running
  running=$(sed -nE 's/^[[:space:]]*- (--[a-z0-9-]+=.*)$/\1/p' "$API_SERVER_MANIFEST")
  for flag in $HARDENING_FLAGS; do
    grep -qxF -- "--$flag" <<<"$running" || return 0
  done
  return 1
}
