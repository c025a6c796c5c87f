#!/usr/bin/env bash
# Builds the root file system of the node-preparation test VM: Debian's current release with its
# kernel, systemd and cloud-init, the closest to an EC2 Ubuntu node that Debian's archive gives.
# Needs root and debootstrap. Usage: tests/vm/build-rootfs.sh DEST
set -euo pipefail

readonly SUITE=trixie
readonly PACKAGES=linux-image-amd64,systemd-sysv,udev,kmod,procps,iproute2,cloud-init,python3-cffi-backend,curl,ca-certificates,gpg,openssh-server
dest="${1:?usage: $0 DEST}"

main() {
  # sshd: cloud-init installs the host key the stack gives the node, and the probe asks sshd for it.
  if compgen -G "$dest/boot/vmlinuz-*" >/dev/null && [[ -x "$dest/usr/sbin/sshd" ]]; then
    echo "VM root file system already in $dest"
    return 0
  fi
  rm -rf "$dest" "$dest.partial"
  mkdir -p "$(dirname "$dest")"
  # python3-cffi-backend provides a virtual package cloud-init needs, which debootstrap cannot resolve.
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$dest.partial" "$(bash "$(dirname "$0")/../../.ci/debian-mirror.sh")" >"$dest.log" 2>&1 ||
    { tail -n 20 "$dest.log" >&2; return 1; }
  mv "$dest.partial" "$dest"
  echo "built the VM root file system in $dest"
}

main
