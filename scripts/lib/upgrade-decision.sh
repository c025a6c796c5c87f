# shellcheck shell=bash
# What an upgrade step does, from the minor the cluster runs, the minor of the node's kubelet and the
# minor asked for: done, kubelet (the cluster is there, this node is not yet), or upgrade (one minor
# up). Anything else (skipping a minor, going down) is refused with what to do, before any change.
upgrade_decision() {
  local cluster="$1" kubelet="$2" target="$3"
  if [[ "$cluster" == "$target" ]]; then
    if [[ "$kubelet" == "$target" ]]; then echo "done"; else echo kubelet; fi
    return 0
  fi
  if [[ "$(next_minor "$cluster")" == "$target" ]]; then
    echo upgrade
    return 0
  fi
  if [[ "$(sort -V <<<"$cluster"$'\n'"$target" | head -n 1)" == "$target" ]]; then
    echo "the cluster runs Kubernetes $cluster; kubernetesVersion $target would go down, which kubeadm cannot" \
      "do. Set kubernetesVersion back to $cluster." >&2
  else
    echo "the cluster runs Kubernetes $cluster; kubernetesVersion $target skips $(next_minor "$cluster")," \
      "and kubeadm upgrades one minor at a time. Set kubernetesVersion to $(next_minor "$cluster")," \
      "run pulumi up, then $target." >&2
  fi
  return 1
}

next_minor() {
  local major="${1%%.*}" minor="${1#*.}"
  echo "$major.$((minor + 1))"
}
