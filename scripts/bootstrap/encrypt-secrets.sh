#!/usr/bin/env bash
# Proves that every API server (one per control plane, each asked at its own address) encrypts Secrets
# with the stack's current key, by writing a probe Secret through it and reading it back from etcd, then
# rewrites every Secret with that key: those stored in plain text before encryption was on, or under
# the key before a rotation (secrets-write-key.sh has given every control plane the key by then). The
# key's name goes to SECRETS_KEY_FILE,
# so the next run (and the init script's check of a rotation) knows all Secrets use it.
set -euo pipefail

: "${KEY_NAME:?name of the key new Secrets must be written with, e.g. key-1}"
: "${API_SERVERS:?private addresses of the control planes, space-separated}"
: "${API_SERVER_PORT:?port of each API server}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the cluster certificates}"
: "${ETCD_ENDPOINT:?client endpoint of the local etcd}"
: "${ETCD_TOOLS_IMAGE:?image etcdctl is copied from}"
: "${ETCD_TOOLS_VERSION:?version it must report}"
# Named here so that a cluster built anew runs this step again.
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"

readonly PROBE_SECRET=kubeadm-aws-encryption-probe
readonly SECRETS_KEY_FILE="${SECRETS_KEY_FILE:-/etc/kubeadm-aws/secrets-key}"
# The API server rereads its encryption configuration about once a minute.
readonly RELOAD_TIMEOUT_SECONDS="${RELOAD_TIMEOUT_SECONDS:-180}"
readonly TOOLS_BIN_DIR="${TOOLS_BIN_DIR:-/usr/local/bin}"

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-tools.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"

# How etcd holds a Secret: the prefix of its value, k8s:enc:<provider>:v1:<key name>; empty when it is
# stored in plain text (a protobuf that starts "k8s" and a NUL byte).
stored_prefix() {
  local namespace="$1" name="$2" value
  value=$(mktemp)
  etcdctl --endpoints="$ETCD_ENDPOINT" --dial-timeout=10s --command-timeout=30s \
    --cacert="$KUBERNETES_PKI_DIR/etcd/ca.crt" \
    --cert="$KUBERNETES_PKI_DIR/etcd/healthcheck-client.crt" \
    --key="$KUBERNETES_PKI_DIR/etcd/healthcheck-client.key" \
    get "/registry/secrets/$namespace/$name" --print-value-only >"$value"
  head -c 64 "$value" | LC_ALL=C grep -aoE '^k8s:enc:[a-z0-9]+:v1:[A-Za-z0-9_-]+' | head -n 1 || true
  rm -f "$value"
}

write_probe_through() {
  local server="$1"
  kubectl -n kube-system create secret generic "$PROBE_SECRET" --from-literal=written="$(date +%s%N)" \
    --dry-run=client -o yaml | kubectl --server "https://$server:$API_SERVER_PORT" apply -f - >/dev/null
}

# Not local: read after wait_until gives up.
last_prefix=""

written_with_key() {
  local server="$1"
  # Not through this server, not proven: the probe in etcd may be another server's.
  write_probe_through "$server" || return 1
  last_prefix=$(stored_prefix kube-system "$PROBE_SECRET")
  [[ "$last_prefix" == "k8s:enc:secretbox:v1:$KEY_NAME" ]]
}

wait_until_written_with_key() {
  local server="$1"
  wait_until "$RELOAD_TIMEOUT_SECONDS" 10 "the API server at $server did not store Secrets with $KEY_NAME" \
    written_with_key "$server" || {
    echo "it stores them ${last_prefix:+with }${last_prefix:-in plain text}; see its encryption configuration in" \
      "$KUBERNETES_PKI_DIR" >&2
    return 1
  }
}

rewrite_every_secret() {
  local count
  # Every API server writes with the key now, so it does not matter which one takes the rewrite.
  count=$(kubectl get secrets -A -o name | wc -l)
  kubectl get secrets -A -o json | kubectl replace -f - >/dev/null
  install -d -m 0700 "$(dirname "$SECRETS_KEY_FILE")"
  printf '%s\n' "$KEY_NAME" >"$SECRETS_KEY_FILE"
  echo "rewrote $count Secrets with $KEY_NAME"
}

main() {
  local server
  ensure_etcd_tools "$ETCD_TOOLS_IMAGE" "$ETCD_TOOLS_VERSION" "$TOOLS_BIN_DIR"
  for server in $API_SERVERS; do
    wait_until_written_with_key "$server"
  done
  # Every time the step runs (a new key, a new control plane, a cluster built anew): a control plane
  # that joined wrote with the key before until it was given the newest.
  rewrite_every_secret
}

main "$@"
