#!/usr/bin/env bash
# Installs kubelet, kubeadm and kubectl from pkgs.k8s.io, the repository of one Kubernetes minor,
# and holds them so an unattended upgrade never moves the cluster to another version.
set -euo pipefail

: "${KUBERNETES_MINOR:?Kubernetes minor version, e.g. 1.36}"
: "${KUBERNETES_KEY_FINGERPRINT:?fingerprint of the key pkgs.k8s.io signs its repositories with}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/verify.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kubernetes-packages.sh"

main() {
  apt_update
  apt_get install -y -q apt-transport-https ca-certificates curl gpg
  use_kubernetes_repository "$KUBERNETES_MINOR"
  install_held kubelet kubeadm kubectl
  # The kubelet restarts in a loop until kubeadm init or join gives it a configuration.
  systemctl enable kubelet
}

main "$@"
