# shellcheck shell=bash
# The control plane's periodic jobs: a oneshot service that runs one script, and a timer that starts it.

# Writes UNIT.service and UNIT.timer into UNIT_DIR: the script runs FIRST after boot, then EVERY (systemd
# time spans, e.g. 15min and 6h), each start delayed by up to JITTER.
write_timer_units() {
  local unit_dir="$1" unit="$2" description="$3" script="$4" first="$5" every="$6" jitter="$7"
  cat >"$unit_dir/$unit.service" <<UNIT
[Unit]
Description=$description
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
Type=oneshot
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
ExecStart=$script
UNIT
  cat >"$unit_dir/$unit.timer" <<UNIT
[Unit]
Description=$description, every $every

[Timer]
OnBootSec=$first
OnUnitActiveSec=$every
RandomizedDelaySec=$jitter

[Install]
WantedBy=timers.target
UNIT
}

# Installs SCRIPT_TEXT as an executable only root may read, at PATH.
install_job_script() {
  local path="$1" text="$2"
  install -d -m 0755 "$(dirname "$path")"
  install -m 0700 /dev/null "$path"
  printf '%s\n' "$text" >"$path"
}

# Starts the timer and runs the job once now; on failure shows the job's log.
start_timer_and_run_once() {
  local unit="$1"
  systemctl daemon-reload
  systemctl enable --now "$unit.timer" >/dev/null
  if ! systemctl start "$unit.service"; then
    echo "the first run of $unit failed; its log:" >&2
    journalctl -u "$unit.service" -n 30 --no-pager >&2 || true
    return 1
  fi
}
