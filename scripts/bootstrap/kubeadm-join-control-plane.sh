#!/usr/bin/env bash
# Joins this node to the cluster as one more control plane (stacked etcd: it adds one etcd member). The
# cluster's keys and the JoinConfiguration (which holds the bootstrap token) arrive on standard input as
# one key bundle; the keys land in the PKI directory before kubeadm join, so no --upload-certs
# certificate key is needed, and a control plane added a year later joins the same way. The API
# server's policies are written before it starts.
#
# Joined or not is decided as for a worker (lib/join.sh); a join that fails in every attempt resets the
# node, which also removes the etcd member it may have added.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${ATTEMPTS:?how many times to try}"
: "${LOGIN_USER:?OS user that gets a kubeconfig for kubectl}"
: "${KUBELET_KUBECONFIG:?kubeconfig kubeadm join writes for the kubelet}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig kubeadm join writes on a control plane}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the cluster certificates}"
: "${AUDIT_POLICY:?audit policy of the API server (YAML)}"
: "${ADMISSION_CONFIG:?admission configuration of the API server (YAML)}"
: "${AUDIT_POLICY_FILE:?where the API server reads its audit policy}"
: "${ADMISSION_CONFIG_FILE:?where the API server reads its admission configuration}"
: "${AUDIT_LOG_DIR:?where the API server writes its audit log}"
: "${ENCRYPTION_CONFIG_FILE:?EncryptionConfiguration of Secrets, in the PKI directory}"
: "${CRI_SOCKET:?socket of containerd, for crictl}"
: "${SECRETS_WRITE_KEY_FILE:?where this control plane records the key its API server writes Secrets with}"
: "${HARDENING_FLAGS:?NAME=VALUE of each API server flag a hardened control plane runs with, space-separated}"
# Named here so that a replaced instance or a rebuilt cluster runs this step again.
: "${NODE_INSTANCE_ID:?EC2 instance of this node}"
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"

readonly CONFIG_FILE="${CONFIG_FILE:-/etc/kubeadm-aws/join-config.yaml}"
readonly LOG_FILE="${LOG_FILE:-/var/log/kubeadm-aws/join.log}"
readonly API_WAIT_SECONDS="${API_WAIT_SECONDS:-300}"
readonly JOIN_CONFIG_ENTRY=kubeadm-join.yaml
readonly ETCD_MANIFEST="${ETCD_MANIFEST:-/etc/kubernetes/manifests/etcd.yaml}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/redact-tokens.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-reset.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/pki-bundle.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/api-server-policies.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/secrets-encryption.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/join.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kubectl-access.sh"

# The JoinConfiguration leaves the bundle, so that only keys are installed into the PKI directory.
take_join_config() {
  local unpacked="$1"
  if [[ ! -s "$unpacked/$JOIN_CONFIG_ENTRY" ]]; then
    echo "the key bundle on standard input holds no $JOIN_CONFIG_ENTRY" >&2
    return 1
  fi
  install -d -m 0700 "$(dirname "$CONFIG_FILE")"
  install -m 0600 "$unpacked/$JOIN_CONFIG_ENTRY" "$CONFIG_FILE"
  rm -f "$unpacked/$JOIN_CONFIG_ENTRY"
}

# A control plane that has joined takes changed policies and, during a rotation, the configuration that
# reads the new key (lib/secrets-encryption.sh); its API server restarts for them and runs with them
# before the step ends.
refresh_api_server_files() {
  local unpacked="$1" encryption policies before
  encryption=$(install_encryption_config "$unpacked" auto)
  policies=$(write_api_server_policies)
  if [[ "$policies" == changed || "$encryption" == changed ]]; then
    before=$(api_server_pid)
    restart_api_server
    wait_for_new_api_server "$before"
    echo "restarted the API server of $NODE_NAME for its new policies or encryption configuration"
  fi
}

# Before each join attempt: kubeadm reset empties the certificate directory, and a control plane joins
# only with the shared keys in place (kubeadm's preflight: SharedCertificateExists).
before_join_attempt() {
  install_pki "$keys_dir" "$KUBERNETES_PKI_DIR"
  install_encryption_config "$keys_dir" auto >/dev/null
  write_api_server_policies >/dev/null
}

# A control plane that joined before the API server's flags changed: kubeadm writes its static pod
# manifests again from the ClusterConfiguration the first control plane stored (its init step runs
# first and stores the new flags), keeping its certificates and etcd as they are.
take_stored_hardening() {
  api_server_lacks_hardening || return 0
  kubeadm upgrade node phase control-plane --certificate-renewal=false --etcd-upgrade=false >&2
  if api_server_lacks_hardening; then
    echo "the cluster's stored configuration lacks the API server flags $NODE_NAME must run with; the" \
      "first control plane's step stores them" >&2
    return 1
  fi
  echo "hardened the API server of $NODE_NAME from the cluster's configuration" >&2
}

# After the last failed attempt (its reset took the keys): the policies go too, as on a new machine.
after_failed_join() {
  rm -f "$AUDIT_POLICY_FILE" "$ADMISSION_CONFIG_FILE" "$SECRETS_WRITE_KEY_FILE"
}

main() {
  # Not local: the EXIT trap runs after main has returned.
  keys_dir=$(mktemp -d)
  trap 'rm -rf "$keys_dir"; rm -f "$CONFIG_FILE"' EXIT
  install -d -m 0700 "$(dirname "$LOG_FILE")"
  unpack_pki_bundle "$keys_dir"
  take_join_config "$keys_dir"
  local state
  state=$(join_state "$KUBELET_KUBECONFIG" "$CONFIG_FILE") || return 1
  # A join that stopped after the kubelet registered the Node but before etcd's member (an SSH session
  # lost) has a Node and no etcd: it is done again.
  if [[ "$state" == joined && ! -f "$ETCD_MANIFEST" ]]; then
    echo "$NODE_NAME is registered but runs no etcd member: its join stopped halfway"
    state=stale
  fi
  case "$state" in
    joined)
      echo "$NODE_NAME has already joined this cluster as a control plane"
      refresh_api_server_files "$keys_dir"
      take_stored_hardening
      return 0
      ;;
    stale)
      echo "$NODE_NAME belongs to another cluster or was removed from this one; resetting it to join again"
      reset_node
      ;;
  esac
  join_with_retries
  give_kubectl_to "$LOGIN_USER"
}

main "$@"
