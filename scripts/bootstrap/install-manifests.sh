#!/usr/bin/env bash
# Applies an add-on from manifests pinned by tag and sha256: downloads each file, refuses one whose
# bytes changed, and applies them with the program's kustomization (image tags, patches), then waits
# until what it names is rolled out. Applying the same again changes nothing.
set -euo pipefail

: "${NAME:?add-on name, for messages}"
: "${BASE_URL:?where the files are}"
: "${FILES:?lines of file name and sha256}"
: "${KUSTOMIZATION:?kustomization.yaml over those files}"
: "${ROLLOUTS:?space-separated namespace/kind/name to wait for, or none}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

readonly ROLLOUT_TIMEOUT=10m

export KUBECONFIG="$ADMIN_KUBECONFIG"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/verify.sh"

download_pinned_files() {
  local dir="$1" file sha256
  while read -r file sha256; do
    [[ -n "$file" ]] || continue
    curl -fsSL --retry 5 "$BASE_URL$file" -o "$dir/$file"
    verify_sha256 "$dir/$file" "$sha256" "$BASE_URL$file"
  done <<<"$FILES"
}

wait_for_rollouts() {
  local rollout
  for rollout in $ROLLOUTS; do
    [[ "$rollout" == none ]] && continue
    kubectl -n "${rollout%%/*}" rollout status "${rollout#*/}" --timeout="$ROLLOUT_TIMEOUT"
  done
}

main() {
  # Not local: the EXIT trap runs after main has returned.
  manifests_dir=$(mktemp -d)
  trap 'rm -rf "$manifests_dir"' EXIT
  download_pinned_files "$manifests_dir"
  printf '%s\n' "$KUSTOMIZATION" >"$manifests_dir/kustomization.yaml"
  kubectl apply -k "$manifests_dir"
  wait_for_rollouts
  echo "$NAME is applied"
}

main "$@"
