# shellcheck shell=bash
# kubelet, kubeadm and kubectl from pkgs.k8s.io, which keeps one apt repository per Kubernetes minor,
# each signed with the key KUBERNETES_KEY_FINGERPRINT names. Packages stay held, so no unattended
# upgrade moves a node to another version. Needs lib/apt.sh and lib/verify.sh.
readonly KUBERNETES_KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
readonly KUBERNETES_SOURCE_LIST=/etc/apt/sources.list.d/kubernetes.list

kubernetes_repository() {
  local minor="$1"
  echo "https://pkgs.k8s.io/core:/stable:/v$minor/deb/"
}

use_kubernetes_repository() {
  local minor="$1" repository
  repository=$(kubernetes_repository "$minor")
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL --retry 5 "${repository}Release.key" -o "$KUBERNETES_KEYRING.download"
  verify_key_fingerprint "$KUBERNETES_KEYRING.download" "$KUBERNETES_KEY_FINGERPRINT" "${repository}Release.key" || {
    rm -f "$KUBERNETES_KEYRING.download"
    return 1
  }
  gpg --dearmor --yes -o "$KUBERNETES_KEYRING" "$KUBERNETES_KEYRING.download"
  rm -f "$KUBERNETES_KEYRING.download"
  chmod a+r "$KUBERNETES_KEYRING"
  echo "deb [signed-by=$KUBERNETES_KEYRING] $repository /" >"$KUBERNETES_SOURCE_LIST"
  apt_update
}

# The newest patch the repository has of each package, held again afterwards.
install_held() {
  apt_mark unhold "$@" >/dev/null
  apt_get install -y -q "$@"
  apt_mark hold "$@" >/dev/null
}

# 1.36 of v1.36.4 (kubeadm, kubectl) or of 1.36.4-1.1 (a package version).
minor_of() {
  sed -E 's/^v?([0-9]+\.[0-9]+).*/\1/' <<<"$1"
}
