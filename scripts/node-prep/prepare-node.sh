#!/usr/bin/env bash
# Prepares the kernel for Kubernetes: no swap, the overlay and br_netfilter modules, bridged traffic
# seen by iptables and IP forwarding. The module and sysctl files come from cloud-init's write_files.
set -euo pipefail

readonly FSTAB="${FSTAB:-/etc/fstab}"
readonly MODULES_FILE=/etc/modules-load.d/kubernetes.conf

# Comments out every active swap entry. Lines already commented stay as they are, so a second run
# changes nothing.
comment_out_swap_entries() {
  local fstab="$1"
  sed -E -i '/^[[:space:]]*#/! { /^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]/ s/^/# disabled for kubelet: / }' "$fstab"
}

disable_swap() {
  swapoff -a
  comment_out_swap_entries "$FSTAB"
}

load_kernel_modules() {
  local module
  while read -r module; do
    if [[ -n "$module" && "$module" != \#* ]]; then
      modprobe "$module"
    fi
  done <"$MODULES_FILE"
}

main() {
  disable_swap
  load_kernel_modules
  sysctl --system >/dev/null
}

main "$@"
