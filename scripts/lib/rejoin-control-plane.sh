# shellcheck shell=bash
# A first control plane replaced in a highly available cluster: the other control planes keep the
# cluster, so the new machine joins them instead of starting one (which would be a second etcd). With
# the stack's CAs, already in its PKI directory, it makes itself a short-lived admin credential and an
# etcd client certificate, removes its old machine's Node and etcd member, mints a token and joins as a
# control plane. Needs the init script's variables and libraries (pki, etcd members, tokens, reset).

readonly REJOIN_TOKEN_PLACEHOLDER=REJOIN-TOKEN

# Whether other control planes of this cluster answer behind the load balancers.
other_control_planes_answer() {
  [[ "$SHARED_ENDPOINT" != none ]] &&
    curl --silent --insecure --fail --max-time 5 --output /dev/null "https://$SHARED_ENDPOINT/readyz"
}

rejoin_other_control_planes() {
  local work="$1" token first_other="${OTHER_CONTROL_PLANE_IPS%% *}"
  echo "other control planes answer at $SHARED_ENDPOINT: $NODE_NAME joins them" >&2
  install -d -m 0700 "$work"
  write_config "$CONFIG_FILE"
  kubeadm init phase kubeconfig admin --config "$CONFIG_FILE" --kubeconfig-dir "$work" >&2
  kubeadm init phase certs etcd-healthcheck-client --config "$CONFIG_FILE" >&2
  ensure_etcd_tools "$ETCD_TOOLS_IMAGE" "$ETCD_TOOLS_VERSION" "$TOOLS_BIN_DIR"
  KUBECONFIG="$work/admin.conf" kubectl delete node "$NODE_NAME" --ignore-not-found >&2
  ETCD_ENDPOINT="https://$first_other:$ETCD_CLIENT_PORT" remove_etcd_member "$NODE_NAME" "$NODE_IP"
  token=$(kubeadm token create --kubeconfig "$work/admin.conf" --ttl 15m --description "$REJOIN_TOKEN_DESCRIPTION")
  install -m 0600 /dev/null "$work/join.yaml"
  printf '%s\n' "$REJOIN_CONFIG" | sed "s/$REJOIN_TOKEN_PLACEHOLDER/$token/" >"$work/join.yaml"
  if ! kubeadm join --config "$work/join.yaml" >"$LOG_FILE" 2>&1; then
    {
      echo "kubeadm join of $NODE_NAME to the other control planes failed; the node was reset so that the next" \
        "pulumi up retries. The end of $LOG_FILE:"
      tail -n 40 "$LOG_FILE" | redact_tokens
    } >&2
    reset_node
    return 1
  fi
  KUBECONFIG="$work/admin.conf" delete_bootstrap_tokens_described "$REJOIN_TOKEN_DESCRIPTION"
  echo "$NODE_NAME joined the other control planes" >&2
}
