# shellcheck shell=bash
# Snapshots of kubeadm's stacked etcd, taken with its client certificate, and restored into a fresh
# data directory for one member. Needs ETCD_ENDPOINT and KUBERNETES_PKI_DIR set by the script that
# sources this.
take_snapshot() {
  local file="$1"
  # Without a command timeout, etcdctl waits forever for an etcd that does not answer.
  etcdctl --endpoints="$ETCD_ENDPOINT" --dial-timeout=10s --command-timeout="${SNAPSHOT_TIMEOUT_SECONDS:-300}s" \
    --cacert="$KUBERNETES_PKI_DIR/etcd/ca.crt" \
    --cert="$KUBERNETES_PKI_DIR/etcd/healthcheck-client.crt" \
    --key="$KUBERNETES_PKI_DIR/etcd/healthcheck-client.key" \
    snapshot save "$file" >/dev/null
  # A snapshot that etcdutl cannot read is no backup.
  etcdutl snapshot status "$file" >/dev/null
}

# The restored revision is raised well past any the cluster's clients have seen, and marked compacted:
# a watch that survives the restore (the kubelets and controllers of the nodes that stay) is told to
# list again instead of seeing revisions go backwards (etcd's disaster-recovery guide; etcd-io/etcd#16028).
readonly RESTORE_REVISION_BUMP=1000000000

restore_snapshot() {
  local file="$1" data_dir="$2" name="$3" peer_url="$4"
  etcdutl snapshot restore "$file" --data-dir "$data_dir" --name "$name" \
    --initial-cluster "$name=$peer_url" --initial-advertise-peer-urls "$peer_url" \
    --bump-revision "$RESTORE_REVISION_BUMP" --mark-compacted >/dev/null
}
