#!/usr/bin/env bash
# Installs kubelet, kubeadm and kubectl from pkgs.k8s.io, the repository of one Kubernetes minor,
# and holds them so an unattended upgrade never moves the cluster to another version.
set -euo pipefail

: "${KUBERNETES_MINOR:?Kubernetes minor version, e.g. 1.36}"

readonly KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
readonly SOURCE_LIST=/etc/apt/sources.list.d/kubernetes.list
readonly REPOSITORY="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

add_kubernetes_repository() {
  apt_update
  apt_get install -y -q apt-transport-https ca-certificates curl gpg
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL --retry 5 "${REPOSITORY}Release.key" | gpg --dearmor --yes -o "$KEYRING"
  chmod a+r "$KEYRING"
  echo "deb [signed-by=$KEYRING] $REPOSITORY /" >"$SOURCE_LIST"
}

install_kubernetes_packages() {
  apt_update
  apt_get install -y -q kubelet kubeadm kubectl
  apt-mark hold kubelet kubeadm kubectl >/dev/null
}

main() {
  add_kubernetes_repository
  install_kubernetes_packages
  # The kubelet restarts in a loop until kubeadm init or join gives it a configuration.
  systemctl enable kubelet
}

main "$@"
