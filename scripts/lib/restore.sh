# shellcheck shell=bash
# A new first control plane and the stack's snapshot bucket: whether it holds a snapshot of the cluster,
# the restore of etcd's data directory from the newest one, and, after kubeadm init on it, the Node
# registered anew for this machine. Needs the init script's variables (BUCKET, PREFIX, NODE_NAME,
# NODE_IP, ETCD_*, TOOLS_BIN_DIR, ADMIN_KUBECONFIG, CONFIG_FILE) and libraries (s3, node tools, etcd
# snapshots, wait.sh, api-server-policies for API_READY_TIMEOUT_SECONDS).

readonly SNAPSHOT_CHECK_ATTEMPTS="${SNAPSHOT_CHECK_ATTEMPTS:-8}"
readonly SNAPSHOT_RETRY_SECONDS="${SNAPSHOT_RETRY_SECONDS:-15}"

# Sets snapshot_state to present or none; fails when the bucket cannot be asked (a new instance's
# role can take a minute to work), rather than build a new cluster over one a snapshot would save.
find_newest_snapshot() {
  local attempt status
  for ((attempt = 1; attempt <= SNAPSHOT_CHECK_ATTEMPTS; attempt++)); do
    status=0
    s3_has_object "$BUCKET" "$PREFIX/latest.db" || status=$?
    case "$status" in
      0) snapshot_state=present && return 0 ;;
      3) snapshot_state=none && return 0 ;;
    esac
    echo "could not ask s3://$BUCKET for snapshots (attempt $attempt of $SNAPSHOT_CHECK_ATTEMPTS)" >&2
    if ((attempt < SNAPSHOT_CHECK_ATTEMPTS)); then
      sleep "$SNAPSHOT_RETRY_SECONDS"
    fi
  done
  echo "could not tell whether s3://$BUCKET/$PREFIX/latest.db exists; not building a new cluster" >&2
  return 1
}

# present or none: whether the bucket holds a snapshot of this cluster. Fails when it cannot be asked.
snapshot_in_bucket() {
  ensure_aws_cli "$AWS_CLI_CHANNEL" >&2 || return 1
  find_newest_snapshot || return 1
  echo "$snapshot_state"
}

# Restores etcd's data directory from the newest snapshot, for this node as its only member; the
# snapshot is downloaded into WORK_DIR (private).
restore_newest_snapshot() {
  local work="$1"
  ensure_etcd_tools "$ETCD_TOOLS_IMAGE" "$ETCD_TOOLS_VERSION" "$TOOLS_BIN_DIR"
  s3_download "s3://$BUCKET/$PREFIX/latest.db" "$work/latest.db"
  rm -rf "$ETCD_DATA_DIR"
  restore_snapshot "$work/latest.db" "$ETCD_DATA_DIR" "$NODE_NAME" "https://$NODE_IP:$ETCD_PEER_PORT"
  echo "restored etcd from s3://$BUCKET/$PREFIX/latest.db" >&2
}

# After a restore for a new machine the Node object is the old machine's: its provider id (which cannot
# change) and its addresses name the old instance, and neither this kubelet nor the cloud controller
# rewrites them, so the API server would reach the old address and the cloud controller delete the Node
# once the old instance is gone. The Node goes; the kubelet, restarted, registers this machine, which
# gets the old Node's control-plane labels and taints (kubeadm init skipped marking it).
node_registered() {
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" get node "$NODE_NAME" -o name >/dev/null 2>&1
}

# "key=value:effect" of each taint the Node has that its controllers did not set (a single control plane
# that runs workloads has none: the step that allowed it must not be undone).
node_taints() {
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" get node "$NODE_NAME" \
    -o jsonpath='{range .spec.taints[*]}{.key}={.value}:{.effect}{"\n"}{end}' 2>/dev/null |
    grep -vE '^node\.(kubernetes\.io|cloudprovider\.kubernetes\.io)/' || true
}

register_this_machine_anew() {
  local taints taint
  taints=$(node_taints)
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" delete node "$NODE_NAME" --ignore-not-found >&2
  systemctl restart kubelet
  wait_until "$API_READY_TIMEOUT_SECONDS" 5 "the kubelet of $NODE_NAME did not register it again" node_registered
  # What kubeadm's mark-control-plane gives a control plane (app/phases/markcontrolplane: its role, and
  # out of external load balancers), and the old Node's taints as they were.
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" label node "$NODE_NAME" node-role.kubernetes.io/control-plane= \
    node.kubernetes.io/exclude-from-external-load-balancers= --overwrite >&2
  while read -r taint; do
    [[ -z "$taint" ]] || kubectl --kubeconfig "$ADMIN_KUBECONFIG" taint node "$NODE_NAME" "$taint" --overwrite >&2
  done <<<"$taints"
  echo "registered $NODE_NAME anew: its restored Node named the machine it replaced" >&2
}
