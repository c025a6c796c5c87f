#!/usr/bin/env bash
# Takes this node out of Kubernetes before its instance goes: kubeadm reset and the CNI's leftovers.
# Running it on a node that was never joined, or twice, is harmless.
set -euo pipefail

main() {
  if command -v kubeadm >/dev/null; then
    kubeadm reset --force
  fi
  rm -rf /etc/cni/net.d
  echo "$(hostname) reset"
}

main "$@"
