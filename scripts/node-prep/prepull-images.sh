#!/usr/bin/env bash
# Pulls the control-plane images while the node boots, so that kubeadm init does not wait for them.
set -euo pipefail

: "${CRI_SOCKET:?container runtime socket}"

main() {
  kubeadm config images pull --cri-socket "$CRI_SOCKET" --kubernetes-version "$(kubeadm version -o short)"
}

main "$@"
