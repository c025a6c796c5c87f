# shellcheck shell=bash
# Takes this node out of any Kubernetes cluster: kubeadm reset and what the pod networks leave behind,
# so that a later kubeadm init or join starts clean. Harmless on a node that never joined, or twice.
# NODE_ROOT, empty on a node, lets a test point the file removals at a folder of its own.
reset_node() {
  local root="${NODE_ROOT:-}" link
  if command -v kubeadm >/dev/null; then
    kubeadm reset --force >/dev/null 2>&1 || kubeadm reset --force
  fi
  # /var/lib/etcd too: kubeadm reset finds etcd's data only through a manifest a failed init may lack.
  rm -rf "$root/etc/cni/net.d" "$root/var/lib/cni" "$root/var/lib/calico" "$root/run/flannel" "$root/var/lib/etcd"
  for link in cni0 flannel.1 vxlan.calico tunl0; do
    ip link delete "$link" >/dev/null 2>&1 || true
  done
}
