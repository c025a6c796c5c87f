#!/usr/bin/env bash
# Sets up, on the control plane, the approver of kubelet serving certificates (approve-kubelet-serving.sh)
# and a systemd timer that runs it every minute; runs it once. Running it again rewrites both in place.
set -euo pipefail

: "${APPROVER_SCRIPT:?approve-kubelet-serving.sh, rendered}"
: "${UNIT:?name of the systemd service and timer}"
: "${TOOLS_DIR:?where the approver is installed}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/systemd-timer.sh"

write_units() {
  local unit_dir="$1" script="$2"
  write_timer_units "$unit_dir" "$UNIT" "Approve the kubelets' serving certificates" "$script" 1min 1min 5s
}

main() {
  local script="$TOOLS_DIR/approve-kubelet-serving.sh"
  install_job_script "$script" "$APPROVER_SCRIPT"
  write_units /etc/systemd/system "$script"
  start_timer_and_run_once "$UNIT"
  echo "kubelet serving certificates are approved every minute ($UNIT.timer)"
}

main "$@"
