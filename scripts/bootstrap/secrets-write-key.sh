#!/usr/bin/env bash
# On one control plane, once every control plane's API server reads the stack's newest Secrets key
# (their init and join steps restarted them with the configuration that only reads it): gives this one
# the EncryptionConfiguration in which that key writes (it arrives on standard input) and records the
# key (lib/secrets-encryption.sh). The API server reloads the file on its own; the step that rewrites
# the Secrets proves that each one writes with the key before it does. Nothing changes when it already
# has it.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this control plane}"
: "${KEY_NAME:?the key that writes in the configuration on standard input, e.g. key-2}"
: "${ENCRYPTION_CONFIG_FILE:?EncryptionConfiguration of Secrets, in the PKI directory}"
: "${SECRETS_WRITE_KEY_FILE:?where this control plane records the key its API server writes Secrets with}"
# Named here so that a replaced control plane runs this step again.
: "${NODE_INSTANCE_ID:?EC2 instance of this node}"
: "${CLUSTER_ID:?UID of the kube-system namespace of the cluster}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/api-server-policies.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/secrets-encryption.sh"

main() {
  # Not local: the EXIT trap runs after main has returned.
  keys=$(mktemp -d)
  trap 'rm -rf "$keys"' EXIT
  install -m 0600 /dev/null "$keys/encryption-config.yaml"
  cat >"$keys/encryption-config.yaml"
  if [[ "$(encryption_key_names "$keys/encryption-config.yaml" | head -n 1)" != "$KEY_NAME" ]]; then
    echo "the configuration on standard input does not write with $KEY_NAME" >&2
    return 1
  fi
  if [[ "$(install_encryption_config "$keys" write)" == changed ]]; then
    echo "the API server of $NODE_NAME writes Secrets with $KEY_NAME once it reloads its configuration"
  else
    echo "the API server of $NODE_NAME already writes Secrets with $KEY_NAME"
  fi
}

main "$@"
