#!/usr/bin/env bash
# Initialises the control plane with the cluster CA the program generated and a kubeadm
# configuration file. The CA private key arrives on standard input, never on the command line.
# On a node already initialised with the same configuration it changes nothing.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${LOGIN_USER:?OS user that gets a kubeconfig for kubectl}"
: "${KUBEADM_CONFIG:?kubeadm configuration (YAML)}"
: "${CA_CERT:?cluster CA certificate (PEM)}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig kubeadm init writes}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the cluster certificates}"

readonly STATE_DIR=/etc/kubeadm-aws
readonly CONFIG_FILE="$STATE_DIR/kubeadm-config.yaml"
readonly FINGERPRINT_FILE="$STATE_DIR/init.sha256"
readonly LOG_FILE=/var/log/kubeadm-aws/init.log

source "$(dirname "${BASH_SOURCE[0]}")/../lib/redact-tokens.sh"

desired_fingerprint() {
  printf '%s\n%s\n' "$KUBEADM_CONFIG" "$CA_CERT" | sha256sum | cut -d' ' -f1
}

install_cluster_ca() {
  local ca_key="$1"
  install -d -m 0755 "$KUBERNETES_PKI_DIR"
  printf '%s\n' "$CA_CERT" >"$KUBERNETES_PKI_DIR/ca.crt"
  install -m 0600 /dev/null "$KUBERNETES_PKI_DIR/ca.key"
  printf '%s\n' "$ca_key" >"$KUBERNETES_PKI_DIR/ca.key"
}

# Writes the configuration pinned to the exact version of the kubeadm installed on this node, so the
# control plane never runs a newer patch than its kubelet.
write_config() {
  local file="$1"
  install -d -m 0700 "$(dirname "$file")"
  printf '%s\n' "$KUBEADM_CONFIG" |
    sed -E "s/^kubernetesVersion: .*/kubernetesVersion: $(kubeadm version -o short)/" >"$file"
}

run_kubeadm_init() {
  install -d -m 0700 "$(dirname "$LOG_FILE")"
  if ! kubeadm init --config "$CONFIG_FILE" >"$LOG_FILE" 2>&1; then
    echo "kubeadm init failed on $NODE_NAME; the end of $LOG_FILE:" >&2
    tail -n 40 "$LOG_FILE" | redact_tokens >&2
    return 1
  fi
  desired_fingerprint >"$FINGERPRINT_FILE"
  echo "kubeadm init finished on $NODE_NAME"
}

refuse_changed_configuration() {
  local fingerprint_file="$1"
  if [[ "$(cat "$fingerprint_file" 2>/dev/null)" != "$(desired_fingerprint)" ]]; then
    echo "$NODE_NAME was initialised with another kubeadm configuration or CA, which kubeadm cannot" \
      "change in place. Replace the control plane instead (pulumi up --replace on its instance)." >&2
    return 1
  fi
  echo "$NODE_NAME is already initialised with this configuration"
}

give_kubectl_to() {
  local user="$1" home
  home=$(getent passwd "$user" | cut -d: -f6)
  install -d -m 0700 -o "$user" -g "$user" "$home/.kube"
  install -m 0600 -o "$user" -g "$user" "$ADMIN_KUBECONFIG" "$home/.kube/config"
}

main() {
  local ca_key
  ca_key=$(cat)
  if [[ -f "$ADMIN_KUBECONFIG" ]]; then
    refuse_changed_configuration "$FINGERPRINT_FILE"
  else
    install_cluster_ca "$ca_key"
    write_config "$CONFIG_FILE"
    run_kubeadm_init
  fi
  give_kubectl_to "$LOGIN_USER"
}

main "$@"
