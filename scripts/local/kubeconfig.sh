#!/usr/bin/env bash
# Writes the stack's admin kubeconfig to a file only you can read (mode 600) and prints the line that
# points kubectl at it: eval "$(make -s kubeconfig)".
# Usage: kubeconfig.sh STACK [FILE]   (FILE defaults to ./kubeconfig)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/pulumi-stack.sh"

main() {
  local stack="${1:?usage: kubeconfig.sh STACK [FILE]}" file="${2:-$PWD/kubeconfig}" tmp
  umask 077
  tmp=$(mktemp "$file.XXXXXX")
  if ! stack_output "$stack" kubeconfig --show-secrets >"$tmp"; then
    rm -f "$tmp"
    return 1
  fi
  if [[ ! -s "$tmp" ]]; then
    rm -f "$tmp"
    echo "stack $stack has no kubeconfig yet: run make up STACK=$stack (it appears once every node is Ready)" >&2
    return 1
  fi
  chmod 600 "$tmp"
  mv "$tmp" "$file"
  echo "wrote $file (mode 600)" >&2
  echo "export KUBECONFIG=$file"
}

main "$@"
