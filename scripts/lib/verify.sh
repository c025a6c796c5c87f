# shellcheck shell=bash
# Refuses a downloaded file whose bytes are not the pinned ones, naming what changed.
# Usage: verify_sha256 FILE EXPECTED_SHA256 WHERE_IT_CAME_FROM
verify_sha256() {
  local file="$1" expected="$2" source="$3" actual
  actual=$(sha256sum "$file" | cut -d' ' -f1)
  if [[ "$actual" != "$expected" ]]; then
    echo "refusing $source: its sha256 is $actual, not the pinned $expected (it changed upstream," \
      "or the download was tampered with); nothing was applied" >&2
    return 1
  fi
}
