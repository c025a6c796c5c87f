#!/usr/bin/env bash
# Installs containerd from Docker's apt repository and configures it for the kubelet. Only the
# containerd.io package: a Docker engine beside it would give kubeadm two CRI endpoints to refuse.
set -euo pipefail

: "${CONTAINERD_LINE:?major version line of containerd.io to install, e.g. 2}"
: "${DOCKER_KEY_FINGERPRINT:?fingerprint of the key Docker signs its apt repository with}"

readonly KEYRING=/etc/apt/keyrings/docker.asc
readonly KEY_URL=https://download.docker.com/linux/ubuntu/gpg
readonly SOURCE_LIST=/etc/apt/sources.list.d/docker.list
readonly PIN_FILE=/etc/apt/preferences.d/containerd
readonly CONFIG_FILE=/etc/containerd/config.toml

source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/verify.sh"

add_docker_repository() {
  local codename arch
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  arch=$(dpkg --print-architecture)
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL --retry 5 "$KEY_URL" -o "$KEYRING.download"
  verify_key_fingerprint "$KEYRING.download" "$DOCKER_KEY_FINGERPRINT" "$KEY_URL" || {
    rm -f "$KEYRING.download"
    return 1
  }
  mv "$KEYRING.download" "$KEYRING"
  chmod a+r "$KEYRING"
  echo "deb [arch=$arch signed-by=$KEYRING] https://download.docker.com/linux/ubuntu $codename stable" >"$SOURCE_LIST"
  printf 'Package: containerd.io\nPin: version %s.*\nPin-Priority: 1001\n' "$CONTAINERD_LINE" >"$PIN_FILE"
}

install_containerd() {
  apt_update
  apt_get install -y -q containerd.io
  apt_mark hold containerd.io >/dev/null
  require_version_line "$(dpkg-query -W -f='${Version}' containerd.io)"
}

# Fails when apt found no release of the pinned line and installed another.
require_version_line() {
  local installed="$1"
  if [[ "$installed" != "$CONTAINERD_LINE".* ]]; then
    echo "containerd.io $installed is installed, but the $CONTAINERD_LINE.x line is required" >&2
    return 1
  fi
}

# Sets the runc runtime to the systemd cgroup driver, as the kubelet uses. Some containerd 2.x
# releases leave the SystemdCgroup key out of their default config, so it is added when missing.
use_systemd_cgroup_driver() {
  local config="$1"
  if grep -Eq '^[[:space:]]*SystemdCgroup[[:space:]]*=' "$config"; then
    sed -E -i 's/^([[:space:]]*)SystemdCgroup[[:space:]]*=.*/\1SystemdCgroup = true/' "$config"
  else
    sed -E -i '/^[[:space:]]*\[plugins\..*\.runtimes\.runc\.options\][[:space:]]*$/a\            SystemdCgroup = true' "$config"
  fi
  grep -Eq '^[[:space:]]*SystemdCgroup = true$' "$config"
}

configure_containerd() {
  # The package ships a config that disables the CRI plugin; the default config enables it.
  if ! grep -Eq '^[[:space:]]*SystemdCgroup = true$' "$CONFIG_FILE" 2>/dev/null; then
    containerd config default >"$CONFIG_FILE"
    use_systemd_cgroup_driver "$CONFIG_FILE"
    systemctl restart containerd
  fi
  systemctl enable --now containerd
}

main() {
  add_docker_repository
  install_containerd
  configure_containerd
}

main "$@"
