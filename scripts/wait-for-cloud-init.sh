#!/usr/bin/env bash
# Waits until cloud-init has prepared this node. If preparation failed, fails with the end of
# cloud-init's output log, so `pulumi up` shows what went wrong on the node.
set -euo pipefail

readonly OUTPUT_LOG=/var/log/cloud-init-output.log

main() {
  local status=0
  cloud-init status --wait >/dev/null || status=$?
  # 0: done; 2: done with recoverable errors (e.g. deprecated keys), still a prepared node.
  if ((status == 0 || status == 2)); then
    echo "cloud-init finished on $(hostname)"
    return 0
  fi
  echo "cloud-init failed on $(hostname) (status $status); the end of $OUTPUT_LOG:" >&2
  tail -n 40 "$OUTPUT_LOG" >&2 || true
  return 1
}

main "$@"
