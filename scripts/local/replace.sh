#!/usr/bin/env bash
# Replaces one resource of the stack by name, with pulumi up --replace: a remote step (it runs again,
# and the steps after it too) or a node (a new instance with the current image and user data; its
# steps follow it). Before a single control plane is replaced, a fresh etcd snapshot is taken if it
# still answers, since the new one restores the newest snapshot; a first control plane among others
# joins them instead.
# Usage: replace.sh STACK step|node NAME   (NAME as pulumi up shows it, e.g. kubeadm-lab-worker-1)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/pulumi-stack.sh"

# The URNs of the stack's resources of one type, one per line.
urns_of_type() {
  local stack="$1" type="$2"
  TYPE="$type" read_state "$stack" '
import json, os
for resource in json.load(open(os.environ["STATE"]))["deployment"].get("resources") or []:
    if resource["type"] == os.environ["TYPE"]:
        print(resource["urn"])
'
}

readonly BACKUP_SERVICE=kubeadm-aws-etcd-backup.service

control_plane_of() {
  local stack="$1" names
  names=$(stack_output "$stack" nodeNames --json) || return 1
  NAMES="$names" python3 -c 'import json, os; print(json.loads(os.environ["NAMES"])[0])'
}

# 1 for a stack built before the output existed.
control_plane_count() {
  local stack="$1" count
  count=$(pulumi stack output controlPlaneCount --stack "$stack" 2>/dev/null || true)
  echo "${count:-1}"
}

snapshot_before_replacing() {
  local stack="$1"
  echo "taking a fresh etcd snapshot on the control plane before it is replaced"
  if ! bash "$(dirname "$0")/ssh-node.sh" "$stack" "$(control_plane_of "$stack")" sudo systemctl start "$BACKUP_SERVICE"; then
    echo "could not take a fresh snapshot (the control plane does not answer?): the new control plane restores" \
      "the newest one in the bucket, up to etcdBackupIntervalHours old" >&2
  fi
}

main() {
  local stack="${1:?usage: replace.sh STACK step|node NAME}" kind="${2:-}" name="${3:-}" type variable urns urn
  case "$kind" in
    step) type=command:remote:Command variable=STEP ;;
    node) type=aws:ec2/instance:Instance variable=NODE ;;
    *)
      echo "usage: replace.sh STACK step|node NAME" >&2
      return 2
      ;;
  esac
  if [[ "$kind" == step && "$name" == *-aws-cleanup ]]; then
    echo "$name has nothing to run again: it acts only when it is deleted, and replacing it would delete" \
      "every LoadBalancer Service and PersistentVolumeClaim of the cluster" >&2
    return 1
  fi
  urns=$(urns_of_type "$stack" "$type")
  if [[ -z "$urns" ]]; then
    echo "stack $stack has no ${kind}s yet: run make up STACK=$stack" >&2
    return 1
  fi
  urn=$(grep -E -- "::${name//./\\.}\$" <<<"$urns" || true)
  if [[ -z "$name" || -z "$urn" ]]; then
    echo "name a $kind of stack $stack: $variable=<name>, one of:" >&2
    sed 's/.*:://' <<<"$urns" | sort >&2
    return 1
  fi
  if [[ "$(pulumi config get paused --stack "$stack" 2>/dev/null || echo false)" == true ]]; then
    echo "stack $stack is paused: its nodes are stopped, and the steps that follow a replacement reach them" \
      "over SSH. Run make resume first." >&2
    return 1
  fi
  if [[ "$kind" == node && "$name" == "$(control_plane_of "$stack")" ]]; then
    # With other control planes, the new machine joins them; alone, it restores the newest snapshot.
    if [[ "$(control_plane_count "$stack")" == 1 ]]; then
      snapshot_before_replacing "$stack"
    fi
  fi
  # The node's new instance takes the program's image, user data, type and market, not the state's
  # (which Pulumi would copy for the properties a running node ignores).
  if [[ "$kind" == node ]]; then
    KUBEADM_AWS_REPLACING="$name" pulumi up --stack "$stack" --replace "$urn"
  else
    pulumi up --stack "$stack" --replace "$urn"
  fi
}

main "$@"
