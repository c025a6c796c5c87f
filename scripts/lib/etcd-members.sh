# shellcheck shell=bash
# The members of kubeadm's stacked etcd, asked on the first control plane with etcd's health-check
# client certificate. Needs ETCD_ENDPOINT and KUBERNETES_PKI_DIR.

etcd() {
  etcdctl --endpoints="$ETCD_ENDPOINT" --dial-timeout=10s --command-timeout=30s \
    --cacert="$KUBERNETES_PKI_DIR/etcd/ca.crt" \
    --cert="$KUBERNETES_PKI_DIR/etcd/healthcheck-client.crt" \
    --key="$KUBERNETES_PKI_DIR/etcd/healthcheck-client.key" "$@"
}

# The members' names, sorted, one per line.
etcd_member_names() {
  etcd member list -w simple | awk -F', ' '{ print $3 }' | sort
}

# Removes the member called NAME unless its peer URL names KEEP_ADDRESS (a machine that is staying).
remove_etcd_member() {
  local name="$1" keep_address="${2:-}" id peer
  read -r id peer < <(etcd member list -w simple | awk -F', ' -v name="$name" '$3 == name { print $1, $4 }') || true
  if [[ -z "${id:-}" ]]; then
    echo "etcd has no member $name (any more)" >&2
    return 0
  fi
  if [[ -n "$keep_address" && "$peer" == *"//$keep_address:"* ]]; then
    return 0
  fi
  etcd member remove "$id" >/dev/null
  echo "removed etcd member $name ($id)" >&2
}
