#!/usr/bin/env bash
# Takes a snapshot of etcd on the control plane and puts it in the stack's S3 bucket, as
# <prefix>/snapshots/<UTC time>-<node>.db and as <prefix>/latest.db, the one a replaced control plane
# restores. Installed by install-etcd-backups.sh and run by its systemd timer, and by the upgrade
# before it changes anything. A failed upload is retried; the snapshot never stays on the node.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this control plane}"
: "${BUCKET:?S3 bucket of the snapshots}"
: "${PREFIX:?key prefix of the snapshots in the bucket}"
: "${AWS_REGION:?region of the bucket}"
: "${ETCD_ENDPOINT:?client URL of the local etcd}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the cluster certificates}"

readonly UPLOAD_ATTEMPTS="${UPLOAD_ATTEMPTS:-5}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-snapshot.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/s3.sh"

upload_with_retries() {
  local file="$1" url="$2" attempt
  for ((attempt = 1; attempt <= UPLOAD_ATTEMPTS; attempt++)); do
    if s3_upload "$file" "$url"; then
      return 0
    fi
    echo "uploading the snapshot failed (attempt $attempt of $UPLOAD_ATTEMPTS)" >&2
    if ((attempt < UPLOAD_ATTEMPTS)); then
      sleep $((attempt * 10))
    fi
  done
  return 1
}

main() {
  local name url
  # Not local: the EXIT trap runs after main has returned.
  snapshot_dir=$(mktemp -d)
  trap 'rm -rf "$snapshot_dir"' EXIT
  take_snapshot "$snapshot_dir/snapshot.db"
  name="$(date -u +%Y%m%dT%H%M%SZ)-$NODE_NAME.db"
  url="s3://$BUCKET/$PREFIX/snapshots/$name"
  upload_with_retries "$snapshot_dir/snapshot.db" "$url"
  s3_copy "$url" "s3://$BUCKET/$PREFIX/latest.db"
  echo "etcd snapshot $url is also $PREFIX/latest.db"
}

main "$@"
