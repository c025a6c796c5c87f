# shellcheck shell=bash
# The cluster's keys and certificates arrive on standard input as lines "PATH MODE BASE64", PATH
# relative to the PKI directory. They are unpacked into a private directory, then installed with their
# modes (600 for keys and the encryption configuration of Secrets); nothing else is accepted.
readonly PKI_BUNDLE_PATHS='^(ca|front-proxy-ca|etcd/ca)\.(crt|key)$|^sa\.(key|pub)$|^encryption-config(-read)?\.yaml$|^kubeadm-join\.yaml$'

unpack_pki_bundle() {
  local dir="$1" path mode data
  chmod 0700 "$dir"
  while read -r path mode data; do
    if [[ ! "$path" =~ $PKI_BUNDLE_PATHS || ! "$mode" =~ ^0[46]00$|^0644$ ]]; then
      echo "unexpected entry in the key bundle: ${path:-<empty>} ${mode:-}" >&2
      return 1
    fi
    install -d -m 0700 "$(dirname "$dir/$path")"
    install -m "$mode" /dev/null "$dir/$path"
    base64 -d <<<"$data" >"$dir/$path"
  done
  if [[ ! -s "$dir/ca.crt" || ! -s "$dir/ca.key" ]]; then
    echo "the key bundle on standard input holds no cluster CA" >&2
    return 1
  fi
}

# The keys and certificates only: which EncryptionConfiguration an API server runs with is chosen apart
# (lib/secrets-encryption.sh), and a copy here would stand for the one it runs with.
install_pki() {
  local from="$1" to="$2" file
  install -d -m 0755 "$to" "$to/etcd"
  while IFS= read -r file; do
    install -m "$(stat -c %a "$from/$file")" "$from/$file" "$to/$file"
  done < <(cd "$from" && find . -type f ! -name 'encryption-config*.yaml' -printf '%P\n')
}
