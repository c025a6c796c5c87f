#!/usr/bin/env bash
# Takes this node out of Kubernetes before its instance goes: kubeadm reset and the CNI's leftovers.
# Running it on a node that was never joined, or twice, is harmless.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-reset.sh"

main() {
  reset_node
  echo "$(hostname) reset"
}

main "$@"
