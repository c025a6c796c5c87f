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
source "$(dirname "${BASH_SOURCE[0]}")/../lib/systemd-timer.sh"

write_units() {
  local unit_dir="$1" script="$2"
  write_timer_units "$unit_dir" "$UNIT" "Snapshot etcd into the cluster's S3 bucket" "$script" 15min "${INTERVAL_HOURS}h" 5min
}

main() {
  local script="$TOOLS_DIR/etcd-backup.sh"
  ensure_aws_cli "$AWS_CLI_CHANNEL"
  ensure_etcd_tools "$ETCD_TOOLS_IMAGE" "$ETCD_TOOLS_VERSION" /usr/local/bin
  install_job_script "$script" "$BACKUP_SCRIPT"
  write_units /etc/systemd/system "$script"
  start_timer_and_run_once "$UNIT"
  echo "etcd snapshots every ${INTERVAL_HOURS}h ($UNIT.timer); the first one is taken"
}

main "$@"
