#!/usr/bin/env bash
# Extracts Debian's cloud-init package (current release) into a folder, without installing it or
# touching the system's apt state, so the tests can validate user data with cloud-init's own schema.
# Usage: .ci/fetch-cloud-init.sh DEST   (DEST/usr/lib/python3/dist-packages then holds cloudinit/)
set -euo pipefail

readonly SUITE="trixie"
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
dest="${1:?usage: $0 DEST}"

main() {
  if [[ -d "$dest/usr/lib/python3/dist-packages/cloudinit" ]]; then
    echo "cloud-init already extracted in $dest"
    return 0
  fi
  if [[ ! -f "$KEYRING" ]]; then
    echo "$KEYRING is missing: install the debian-archive-keyring package" >&2
    return 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$dest"
  echo "deb [signed-by=$KEYRING] $(bash "$(dirname "$0")/debian-mirror.sh") $SUITE main" >"$work/sources.list"
  local apt_opts=(
    -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=$(id -un)" -o "Debug::NoLocking=1"
  )
  apt-get "${apt_opts[@]}" -qq update
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download cloud-init)
  dpkg-deb -x "$work"/cloud-init_*.deb "$dest"
  echo "extracted $(basename "$work"/cloud-init_*.deb) into $dest"
}

main
