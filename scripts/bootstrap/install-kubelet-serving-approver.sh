#!/usr/bin/env bash
# Sets up, on the control plane, the approver of kubelet serving certificates (approve-kubelet-serving.sh)
# as a systemd service that watches the requests and approves within seconds of a node asking, after one
# pass run here; a timer an earlier version of this program left goes. Running it again rewrites both
# in place and restarts it.
set -euo pipefail

: "${APPROVER_SCRIPT:?approve-kubelet-serving.sh, rendered}"
: "${UNIT:?name of the systemd service}"
: "${TOOLS_DIR:?where the approver is installed}"

readonly UNIT_DIR=/etc/systemd/system

source "$(dirname "${BASH_SOURCE[0]}")/../lib/systemd-timer.sh"

write_unit() {
  local unit_dir="$1" script="$2"
  cat >"$unit_dir/$UNIT.service" <<UNIT
[Unit]
Description=Approve the kubelets' serving certificates as they are asked for
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
Type=simple
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=$script --watch
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
UNIT
}

remove_old_timer() {
  [[ -f "$UNIT_DIR/$UNIT.timer" ]] || return 0
  systemctl disable --now "$UNIT.timer" >/dev/null 2>&1 || true
  rm -f "$UNIT_DIR/$UNIT.timer"
  echo "removed the approver's timer of an earlier version ($UNIT.timer)" >&2
}

main() {
  local script="$TOOLS_DIR/approve-kubelet-serving.sh"
  install_job_script "$script" "$APPROVER_SCRIPT"
  write_unit "$UNIT_DIR" "$script"
  remove_old_timer
  # One pass now, so that an approver that cannot work (no kubeconfig, no access) fails this step
  # instead of restarting every few seconds behind a service that started.
  if ! "$script" >&2; then
    echo "the approver's first pass failed (above); the service is not started" >&2
    return 1
  fi
  systemctl daemon-reload
  systemctl enable "$UNIT.service" >/dev/null
  if ! systemctl restart "$UNIT.service"; then
    echo "the approver ($UNIT.service) did not start; its log:" >&2
    journalctl -u "$UNIT.service" -n 30 --no-pager >&2 || true
    return 1
  fi
  echo "kubelet serving certificates are approved as they are asked for ($UNIT.service)"
}

main "$@"
