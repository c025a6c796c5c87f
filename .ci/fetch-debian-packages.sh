#!/usr/bin/env bash
# Extracts packages of Debian's current release into a folder, without installing them or touching the
# system's apt state, so the tests can run real programs: cloud-init's own schema validator, and etcd
# (etcd, etcdctl, etcdutl) for the backup and restore scripts.
# Usage: .ci/fetch-debian-packages.sh DEST PACKAGE...   (DEST/.packages lists what is extracted)
set -euo pipefail

readonly SUITE="trixie"
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
dest="${1:?usage: $0 DEST PACKAGE...}"
shift
packages=("${@:?usage: $0 DEST PACKAGE...}")

main() {
  if [[ "$(cat "$dest/.packages" 2>/dev/null)" == "${packages[*]}" ]]; then
    echo "${packages[*]} already extracted in $dest"
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
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}")
  local deb
  for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$dest"
    echo "extracted $(basename "$deb") into $dest"
  done
  echo "${packages[*]}" >"$dest/.packages"
}

main
