#!/usr/bin/env bash
# Waits until cloud-init has prepared this node. If preparation failed, fails with cloud-init's own
# summary and the output of its final stage (where the preparation scripts run), so `pulumi up` shows
# what went wrong on the node.
set -euo pipefail

readonly OUTPUT_LOG=/var/log/cloud-init-output.log

# The final stage's output, from its start to cloud-init's closing line. The end of the log is not
# enough: SSH host key fingerprints are printed after the scripts.
final_stage_output() {
  sed -n "/running 'modules:final'/,/ finished at /p" "$OUTPUT_LOG" | tail -n 40
}

main() {
  local status=0
  cloud-init status --wait >/dev/null || status=$?
  # 0: done; 2: done with recoverable errors (e.g. deprecated keys), still a prepared node.
  if ((status == 0 || status == 2)); then
    echo "cloud-init finished on $(hostname)"
    return 0
  fi
  {
    echo "cloud-init failed on $(hostname) (status $status):"
    cloud-init status --long || true
    echo "output of the preparation scripts ($OUTPUT_LOG):"
    final_stage_output || true
  } >&2
  return 1
}

main "$@"
