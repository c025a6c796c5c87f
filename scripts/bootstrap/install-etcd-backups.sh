#!/usr/bin/env bash
# Sets up etcd backups on the control plane: the AWS CLI, etcdctl and etcdutl, the backup script and a
# systemd timer that runs it every INTERVAL_HOURS; then takes a first snapshot, so that a control
# plane replaced from now on has one to restore. Running it again rewrites the timer in place.
set -euo pipefail

: "${BACKUP_SCRIPT:?etcd-backup.sh, rendered}"
: "${INTERVAL_HOURS:?hours between snapshots}"
: "${UNIT:?name of the systemd service and timer}"
: "${TOOLS_DIR:?where the backup script is installed}"
: "${ETCD_TOOLS_IMAGE:?image etcdctl and etcdutl are copied from}"
: "${ETCD_TOOLS_VERSION:?version they must report}"
: "${AWS_CLI_CHANNEL:?snap channel of the AWS CLI}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-tools.sh"

write_units() {
  local unit_dir="$1" script="$2"
  cat >"$unit_dir/$UNIT.service" <<UNIT
[Unit]
Description=Snapshot etcd into the cluster's S3 bucket
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
Type=oneshot
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=$script
UNIT
  cat >"$unit_dir/$UNIT.timer" <<UNIT
[Unit]
Description=Snapshot etcd every $INTERVAL_HOURS hours

[Timer]
OnBootSec=15min
OnUnitActiveSec=${INTERVAL_HOURS}h
RandomizedDelaySec=5min

[Install]
WantedBy=timers.target
UNIT
}

main() {
  local script="$TOOLS_DIR/etcd-backup.sh"
  ensure_aws_cli "$AWS_CLI_CHANNEL"
  ensure_etcd_tools "$ETCD_TOOLS_IMAGE" "$ETCD_TOOLS_VERSION" /usr/local/bin
  install -d -m 0755 "$TOOLS_DIR"
  install -m 0700 /dev/null "$script"
  printf '%s\n' "$BACKUP_SCRIPT" >"$script"
  write_units /etc/systemd/system "$script"
  systemctl daemon-reload
  systemctl enable --now "$UNIT.timer" >/dev/null
  if ! systemctl start "$UNIT.service"; then
    echo "the first etcd snapshot failed; its log:" >&2
    journalctl -u "$UNIT.service" -n 30 --no-pager >&2 || true
    return 1
  fi
  echo "etcd snapshots every ${INTERVAL_HOURS}h ($UNIT.timer); the first one is taken"
}

main "$@"
