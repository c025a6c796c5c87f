#!/usr/bin/env bash
# Checks what `make up`, `make preview` and `make destroy` need on this machine before they do
# anything: Python 3.10 or newer with venv, and a Pulumi CLI recent enough for the program's SDK.
# Says what is missing and how to get it; exits 1 if anything is.
set -euo pipefail

# The pulumi SDK line of requirements.txt; the CLI must be at least as new.
readonly MIN_PULUMI_VERSION=3.200.0
readonly PYTHON="${PYTHON:-python3}"

missing=0

report() {
  echo "missing: $1" >&2
  missing=1
}

check_python() {
  if ! command -v "$PYTHON" >/dev/null; then
    report "$PYTHON (Python 3.10 or newer): install it from your package manager (apt install python3) or python.org"
  elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    report "Python 3.10 or newer; $PYTHON is $("$PYTHON" -V 2>&1). Install a newer one, or run make PYTHON=python3.12 up"
  elif ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    report "Python's venv module for $PYTHON: install it (Debian and Ubuntu: apt install python3-venv)"
  fi
}

version_at_least() {
  local have="$1" need="$2"
  [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" == "$need" ]]
}

check_pulumi() {
  local version
  if ! command -v pulumi >/dev/null; then
    report "the Pulumi CLI, $MIN_PULUMI_VERSION or newer: curl -fsSL https://get.pulumi.com | sh (or https://www.pulumi.com/docs/install/)"
    return
  fi
  version=$(pulumi version 2>/dev/null | tr -d 'v[:space:]')
  if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || ! version_at_least "${BASH_REMATCH[0]}" "$MIN_PULUMI_VERSION"; then
    report "a Pulumi CLI $MIN_PULUMI_VERSION or newer; this one is '${version:-unknown}': pulumi self-update (or reinstall from https://www.pulumi.com/docs/install/)"
  fi
}

main() {
  check_python
  check_pulumi
  if ((missing)); then
    echo "Nothing was created. Install what is missing, then run make again." >&2
    return 1
  fi
}

main "$@"
