#!/usr/bin/env bash
# Selects the stack, or creates it with the passphrase secrets provider (set PULUMI_CONFIG_PASSPHRASE
# to skip the prompt). A new stack writes its encryption salt, and make up your address, into its stack
# file; when that file is the tracked sample, git is told to leave your copy out of commits.
# Usage: select-stack.sh STACK
set -euo pipefail

keep_tracked_sample_clean() {
  local stack_file="$1"
  if git ls-files --error-unmatch "$stack_file" >/dev/null 2>&1; then
    git update-index --skip-worktree "$stack_file"
    echo "$stack_file keeps your stack's salt and address locally; git leaves them out of commits" \
      "(git update-index --no-skip-worktree $stack_file to commit them)"
  fi
}

main() {
  local stack="${1:?usage: select-stack.sh STACK}"
  if ! pulumi stack select "$stack" 2>/dev/null; then
    pulumi stack init "$stack" --secrets-provider passphrase
  fi
  keep_tracked_sample_clean "Pulumi.$stack.yaml"
}

main "$@"
