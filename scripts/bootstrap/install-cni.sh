#!/usr/bin/env bash
# Applies the pod network from a pinned manifest, configured for the cluster's pod CIDR.
set -euo pipefail

: "${CNI:?calico or flannel}"
: "${MANIFEST_URL:?URL of the pinned manifest}"
: "${MANIFEST_SHA256:?sha256 the manifest must have}"
: "${POD_CIDR:?pod network CIDR}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/verify.sh"

# Calico's manifest carries its pool CIDR commented out; this enables it with the pod CIDR.
set_calico_pool() {
  local manifest="$1"
  sed -E -i \
    -e 's|^([[:space:]]*)# - name: CALICO_IPV4POOL_CIDR$|\1- name: CALICO_IPV4POOL_CIDR|' \
    -e "s|^([[:space:]]*)#   value: \"192\\.168\\.0\\.0/16\"$|\\1  value: \"$POD_CIDR\"|" \
    "$manifest"
  grep -A1 -E '^[[:space:]]*- name: CALICO_IPV4POOL_CIDR$' "$manifest" | grep -qF "value: \"$POD_CIDR\""
}

# Flannel's manifest names its network in net-conf.json.
set_flannel_network() {
  local manifest="$1"
  sed -E -i "s|\"Network\": \"[0-9./]+\"|\"Network\": \"$POD_CIDR\"|" "$manifest"
  grep -qF "\"Network\": \"$POD_CIDR\"" "$manifest"
}

configure_manifest() {
  local manifest="$1"
  case "$CNI" in
    calico) set_calico_pool "$manifest" ;;
    flannel) set_flannel_network "$manifest" ;;
    *)
      echo "unknown CNI $CNI" >&2
      return 1
      ;;
  esac || {
    echo "the $CNI manifest at $MANIFEST_URL no longer has the pod CIDR setting this script edits" >&2
    return 1
  }
}

# The DaemonSet each pod network runs on every node, as "namespace/name".
other_cni_daemonset() {
  case "$CNI" in
    calico) echo kube-flannel/kube-flannel-ds ;;
    flannel) echo kube-system/calico-node ;;
  esac
}

# Swapping the pod network of a live cluster would leave both half-configured on every node.
refuse_another_pod_network() {
  local other
  other=$(other_cni_daemonset)
  if kubectl -n "${other%/*}" get daemonset "${other#*/}" >/dev/null 2>&1; then
    echo "this cluster already runs another pod network (daemonset $other); it cannot be swapped for $CNI" \
      "in place. Set cni back, or build a new cluster (another stack)." >&2
    return 1
  fi
}

main() {
  refuse_another_pod_network
  # Not local: the EXIT trap runs after main has returned.
  manifest_file=$(mktemp --suffix=.yaml)
  trap 'rm -f "$manifest_file"' EXIT
  curl -fsSL --retry 5 "$MANIFEST_URL" -o "$manifest_file"
  verify_sha256 "$manifest_file" "$MANIFEST_SHA256" "$MANIFEST_URL"
  configure_manifest "$manifest_file"
  kubectl apply -f "$manifest_file"
}

main "$@"
