# shellcheck shell=bash
# Brings the control plane's tools for etcd backups: the AWS CLI from its publisher's snap, and etcdctl
# and etcdutl copied out of the etcd project's image (kubeadm's etcd image has no etcdutl). Each is
# fetched only when the pinned version is not already there.
ensure_aws_cli() {
  local channel="$1"
  if ! command -v aws >/dev/null; then
    snap install aws-cli --classic --channel="$channel" >/dev/null
  fi
}

ensure_etcd_tools() {
  local image="$1" version="$2" bin_dir="$3" mount
  if "$bin_dir/etcdutl" version 2>/dev/null | grep -qx "etcdutl version: $version"; then
    return 0
  fi
  ctr -n k8s.io images pull "$image" >/dev/null
  mount=$(mktemp -d)
  ctr -n k8s.io images mount "$image" "$mount" >/dev/null
  install -m 0755 "$mount/usr/local/bin/etcdctl" "$mount/usr/local/bin/etcdutl" "$bin_dir/"
  ctr -n k8s.io images unmount --rm "$mount" >/dev/null  # --rm: the lease and the snapshot too
  rmdir "$mount"
  if ! "$bin_dir/etcdutl" version | grep -qx "etcdutl version: $version"; then
    echo "$image holds no etcdutl $version" >&2
    return 1
  fi
}
