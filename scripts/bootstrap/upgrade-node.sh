#!/usr/bin/env bash
# On a worker, once it is drained: kubeadm, then `kubeadm upgrade node`, then the kubelet and kubectl
# of the target minor's newest patch, and a kubelet restart. At the target minor it changes nothing;
# skipping a minor or going down is refused before anything changes.
set -euo pipefail
shopt -s inherit_errexit

: "${NODE_NAME:?Kubernetes name of this node}"
: "${TARGET_MINOR:?Kubernetes minor this node must run}"
: "${KUBERNETES_KEY_FINGERPRINT:?fingerprint of the key pkgs.k8s.io signs its repositories with}"

readonly LOG_FILE="${LOG_FILE:-/var/log/kubeadm-aws/upgrade.log}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/verify.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kubernetes-packages.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/upgrade-decision.sh"

kubelet_minor() {
  local version
  version=$(kubelet --version)
  minor_of "${version##* }"
}

upgrade_this_node() {
  use_kubernetes_repository "$TARGET_MINOR"
  install_held kubeadm
  install -d -m 0700 "$(dirname "$LOG_FILE")"
  if ! kubeadm upgrade node >"$LOG_FILE" 2>&1; then
    echo "kubeadm upgrade node failed on $NODE_NAME; the end of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2
    return 1
  fi
  install_held kubelet kubectl
  systemctl daemon-reload
  systemctl restart kubelet
}

main() {
  local minor decision
  minor=$(kubelet_minor)
  decision=$(upgrade_decision "$minor" "$minor" "$TARGET_MINOR")
  if [[ "$decision" == "done" ]]; then
    echo "$NODE_NAME already runs Kubernetes $TARGET_MINOR"
    return 0
  fi
  upgrade_this_node
  echo "$NODE_NAME now runs Kubernetes $TARGET_MINOR"
}

main "$@"
