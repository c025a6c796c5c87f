#!/usr/bin/env bash
# Upgrades the cluster's control plane by one Kubernetes minor, in place: an etcd snapshot first, then
# kubeadm from the new minor's repository, `kubeadm upgrade apply` to its newest patch, then this node's
# kubelet and kubectl between a drain and an uncordon. Skipping a minor or going down is refused before
# anything changes; at the target minor it changes nothing; a half-done upgrade is finished.
set -euo pipefail
# A failure inside $(…) fails the script too, not just the substitution.
shopt -s inherit_errexit

: "${NODE_NAME:?Kubernetes name of this control plane}"
: "${TARGET_MINOR:?Kubernetes minor the cluster must run, e.g. 1.37}"
: "${BACKUP_UNIT:?systemd unit that snapshots etcd}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${KUBERNETES_KEY_FINGERPRINT:?fingerprint of the key pkgs.k8s.io signs its repositories with}"

readonly DRAIN_TIMEOUT_SECONDS=300
readonly LOG_FILE="${LOG_FILE:-/var/log/kubeadm-aws/upgrade.log}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/verify.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kubernetes-packages.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/upgrade-decision.sh"

cluster_minor() {
  local config
  config=$(kubectl -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}')
  minor_of "$(sed -nE 's/^kubernetesVersion:[[:space:]]*(.+)$/\1/p' <<<"$config")"
}

kubelet_minor() {
  local version
  version=$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}')
  minor_of "$version"
}

upgrade_control_plane_components() {
  local version
  echo "taking an etcd snapshot before the upgrade" >&2
  systemctl start "$BACKUP_UNIT.service"
  use_kubernetes_repository "$TARGET_MINOR"
  install_held kubeadm
  version=$(kubeadm version -o short)
  install -d -m 0700 "$(dirname "$LOG_FILE")"
  kubeadm upgrade plan "$version" >"$LOG_FILE" 2>&1 || {
    tail -n 30 "$LOG_FILE" >&2
    return 1
  }
  if ! kubeadm upgrade apply --yes "$version" >>"$LOG_FILE" 2>&1; then
    echo "kubeadm upgrade apply $version failed on $NODE_NAME; the end of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2
    return 1
  fi
  echo "the control plane runs $version" >&2
}

# drain, or cordon when this is the only control plane: the pods bound to control planes (the EBS CSI
# controller, whose PodDisruptionBudget lets one replica of two be away) have nowhere else to go, so a
# drain could never finish. A kubelet restart leaves the running containers running.
kubelet_upgrade_mode() {
  local control_planes="$1"
  if ((control_planes > 1)); then echo drain; else echo cordon; fi
}

# How many control planes the cluster has; a failed lookup fails the step (it is no count).
control_plane_count() {
  local names
  names=$(kubectl get nodes -l node-role.kubernetes.io/control-plane -o name)
  grep -c . <<<"$names" || true
}

upgrade_this_kubelet() {
  local count
  count=$(control_plane_count)
  if [[ "$(kubelet_upgrade_mode "$count")" == drain ]]; then
    kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT_SECONDS}s" >&2
  else
    kubectl cordon "$NODE_NAME" >&2
  fi
  use_kubernetes_repository "$TARGET_MINOR"
  install_held kubelet kubectl
  systemctl daemon-reload
  systemctl restart kubelet
  kubectl uncordon "$NODE_NAME" >&2
  kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=300s >/dev/null
}

main() {
  local cluster kubelet decision
  cluster=$(cluster_minor)
  kubelet=$(kubelet_minor)
  decision=$(upgrade_decision "$cluster" "$kubelet" "$TARGET_MINOR")
  case "$decision" in
    done)
      echo "the control plane already runs Kubernetes $TARGET_MINOR"
      ;;
    kubelet)
      upgrade_this_kubelet
      echo "$NODE_NAME's kubelet now runs Kubernetes $TARGET_MINOR"
      ;;
    upgrade)
      upgrade_control_plane_components
      upgrade_this_kubelet
      echo "the control plane was upgraded to Kubernetes $TARGET_MINOR"
      ;;
  esac
}

main "$@"
