# shellcheck shell=bash
# kubectl for the login user on a control plane: the admin kubeconfig, readable by that user only.
# Needs ADMIN_KUBECONFIG.

give_kubectl_to() {
  local user="$1" home
  home=$(getent passwd "$user" | cut -d: -f6)
  install -d -m 0700 -o "$user" -g "$user" "$home/.kube"
  install -m 0600 -o "$user" -g "$user" "$ADMIN_KUBECONFIG" "$home/.kube/config"
}
