#!/usr/bin/env bash
# Makes this node's kubelet serve with a certificate of the cluster CA, so that the API server (started
# with --kubelet-certificate-authority) can verify it: a kubelet configured before serverTLSBootstrap
# existed here takes the cluster's kubelet configuration and restarts; then this waits until its
# certificate is signed by the CA (the control plane's approver approves the request within seconds).
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${TIMEOUT_SECONDS:?how long to wait for the certificate}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the cluster CA certificate}"
# Named here so that a replaced instance or a rebuilt cluster runs this step again.
: "${NODE_INSTANCE_ID:?EC2 instance of this node}"
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"

readonly KUBELET_CONFIG="${KUBELET_CONFIG:-/var/lib/kubelet/config.yaml}"
readonly SERVING_CERT="${SERVING_CERT:-/var/lib/kubelet/pki/kubelet-server-current.pem}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"

asks_for_serving_certificate() {
  grep -qE '^serverTLSBootstrap:[[:space:]]*true[[:space:]]*$' "$KUBELET_CONFIG"
}

serves_with_cluster_certificate() {
  [[ -s "$SERVING_CERT" ]] && openssl verify -CAfile "$KUBERNETES_PKI_DIR/ca.crt" "$SERVING_CERT" >/dev/null 2>&1
}

take_cluster_kubelet_configuration() {
  kubeadm upgrade node phase kubelet-config >&2
  if ! asks_for_serving_certificate; then
    echo "the cluster's kubelet configuration has no serverTLSBootstrap: true; the control plane's init step" \
      "uploads it" >&2
    return 1
  fi
  systemctl restart kubelet
  echo "$NODE_NAME now asks for a serving certificate from the cluster CA" >&2
}

wait_for_serving_certificate() {
  wait_until "$TIMEOUT_SECONDS" 5 "the kubelet of $NODE_NAME got no serving certificate of the cluster CA" \
    serves_with_cluster_certificate || {
    echo "on the control plane: kubectl get csr; journalctl -u kubeadm-aws-kubelet-serving" >&2
    return 1
  }
}

main() {
  asks_for_serving_certificate || take_cluster_kubelet_configuration
  wait_for_serving_certificate
  echo "the kubelet of $NODE_NAME serves with a certificate of the cluster CA"
}

main "$@"
