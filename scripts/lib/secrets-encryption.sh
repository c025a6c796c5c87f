# shellcheck shell=bash
# Which EncryptionConfiguration of Secrets a control plane's API server runs with. During a rotation
# the key bundle holds two: encryption-config.yaml, where the newest key writes, and
# encryption-config-read.yaml, where it only reads and the key before writes. Every control plane takes
# the reading one first; once all of them run with it, a step gives each the writing one and records
# it in SECRETS_WRITE_KEY_FILE; then the Secrets are rewritten (Kubernetes, "Encrypting Confidential
# Data at Rest": rotating a decryption key). So no API server ever writes with a key another cannot
# read. Needs ENCRYPTION_CONFIG_FILE and SECRETS_WRITE_KEY_FILE, and api-server-policies.sh sourced.

readonly ENCRYPTION_READ_CONFIG=encryption-config-read.yaml

# The key names an EncryptionConfiguration holds, in its order (the first writes), one per line.
encryption_key_names() {
  sed -nE 's/^[[:space:]]*-?[[:space:]]*name:[[:space:]]*(key-[0-9]+)[[:space:]]*$/\1/p' "$1"
}

# write or read: which of the bundle's configurations this control plane takes. WANTED is write where
# the node itself is the whole cluster (kubeadm init) and auto elsewhere: write once this control plane
# has been given the newest key (WRITING_WITH, from SECRETS_WRITE_KEY_FILE), or when there is no
# rotation (no reading configuration); read otherwise.
encryption_config_phase() {
  local wanted="$1" newest="$2" writing_with="$3" rotating="$4"
  if [[ "$wanted" == write || "$rotating" == no || "$writing_with" == "$newest" ]]; then
    echo write
  else
    echo read
  fi
}

# Installs the configuration this control plane takes from the unpacked bundle KEYS into
# ENCRYPTION_CONFIG_FILE (install_pki leaves both out), records the key it writes with, and prints
# changed or unchanged.
install_encryption_config() {
  local keys="$1" wanted="$2" newest rotating=no writing_with="" phase chosen changed
  newest=$(encryption_key_names "$keys/encryption-config.yaml" | head -n 1)
  [[ -s "$keys/$ENCRYPTION_READ_CONFIG" ]] && rotating=yes
  # The key this API server writes with: as recorded, or (a control plane set up before the record
  # existed) the first of the configuration it runs with.
  if [[ -f "$SECRETS_WRITE_KEY_FILE" ]]; then
    writing_with=$(<"$SECRETS_WRITE_KEY_FILE")
  elif [[ -f "$ENCRYPTION_CONFIG_FILE" ]]; then
    writing_with=$(encryption_key_names "$ENCRYPTION_CONFIG_FILE" | head -n 1)
  fi
  phase=$(encryption_config_phase "$wanted" "$newest" "$writing_with" "$rotating")
  chosen="$keys/encryption-config.yaml"
  [[ "$phase" == read ]] && chosen="$keys/$ENCRYPTION_READ_CONFIG"
  changed=$(install_content "$ENCRYPTION_CONFIG_FILE" 0600 <"$chosen")
  install -d -m 0700 "$(dirname "$SECRETS_WRITE_KEY_FILE")"
  encryption_key_names "$chosen" | head -n 1 >"$SECRETS_WRITE_KEY_FILE"
  echo "$changed"
}
