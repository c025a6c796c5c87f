# shellcheck shell=bash
# Refuses a downloaded file whose bytes are not the pinned ones, naming what changed.
# Usage: verify_sha256 FILE EXPECTED_SHA256 WHERE_IT_CAME_FROM
verify_sha256() {
  local file="$1" expected="$2" source="$3" actual
  actual=$(sha256sum "$file" | cut -d' ' -f1)
  if [[ "$actual" != "$expected" ]]; then
    echo "refusing $source: its sha256 is $actual, not the pinned $expected (it changed upstream," \
      "or the download was tampered with); nothing was applied" >&2
    return 1
  fi
}

# Refuses an apt signing key file unless the one key it holds is the pinned one (by the fingerprint of
# its primary key; subkeys are that key's own).
# Usage: verify_key_fingerprint FILE EXPECTED_FINGERPRINT WHERE_IT_CAME_FROM
verify_key_fingerprint() {
  local file="$1" expected="$2" source="$3" primaries
  # gpg fails on a download that holds no key; that is refused below like any other.
  primaries=$(gpg --batch --show-keys --with-colons "$file" 2>/dev/null |
    awk -F: '$1 == "pub" {primary = 1; next} $1 == "fpr" && primary {print $10; primary = 0}' | paste -sd' ' ||
    true)
  if [[ "$primaries" != "$expected" ]]; then
    echo "refusing the apt key from $source: it holds ${primaries:-no key} (fingerprint), not the pinned" \
      "$expected (the repository rotated its key, or the download was tampered with); nothing was installed" >&2
    return 1
  fi
}
