#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses (deb.debian.org where it has none configured).
set -euo pipefail

readonly SOURCES=/etc/apt/sources.list.d/debian.sources

main() {
  local uri=""
  if [[ -r "$SOURCES" ]]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' "$SOURCES")
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

main "$@"
