#!/usr/bin/env bash
# Runs before pulumi destroy (make destroy):
# - refuses to destroy a paused cluster with AWS integration: the destroy's first step removes the
#   cluster's load balancers and volumes from the running control plane, which a paused cluster lacks;
# - brings into the state what pulumi destroy reads from there and not from the program, with a
#   targeted pulumi up: the current keepBackupsOnDestroy (retain-on-delete and the bucket's
#   force-destroy), and, for a stack last updated by an earlier version of this program, the AWS
#   cleanup's dependencies (everything it needs is deleted after it) and its delete script.
# Usage: before-destroy.sh STACK
set -euo pipefail

readonly BACKUPS_COMPONENT=kubeadm-aws:index:EtcdBackups

source "$(dirname "${BASH_SOURCE[0]}")/pulumi-stack.sh"

# A setting's value in the stack, or its default.
setting() {
  local stack="$1" key="$2" default="$3"
  pulumi config get "$key" --stack "$stack" 2>/dev/null || echo "$default"
}

# "URN reason" of each resource whose state pulumi destroy would act on differently from the program:
# the snapshot bucket's resources whose retain-on-delete is not what keepBackupsOnDestroy ($2, true or
# false) asks for (the bucket and its settings are kept with it, the access policy never), and an AWS
# cleanup step that does not depend on every instance.
out_of_date() {
  local stack="$1" keep="$2"
  KEEP="$keep" COMPONENT="$BACKUPS_COMPONENT" read_state "$stack" '
import json, os
resources = json.load(open(os.environ["STATE"]))["deployment"].get("resources") or []
keep = os.environ["KEEP"] == "true"
instances = {r["urn"] for r in resources if r["type"] == "aws:ec2/instance:Instance"}
for resource in resources:
    parent = resource.get("parent") or "::::"
    if parent.split("::")[2].endswith(os.environ["COMPONENT"]):
        wanted = keep and resource["type"].startswith("aws:s3/")
        if bool(resource.get("retainOnDelete")) != wanted:
            print(resource["urn"], "keepBackupsOnDestroy")
    if resource["type"] == "command:remote:Command" and resource["urn"].endswith("-aws-cleanup"):
        if not instances <= set(resource.get("dependencies") or []):
            print(resource["urn"], "the-cleanup-order")
'
}

refuse_paused() {
  local stack="$1"
  if [[ "$(setting "$stack" paused false)" == true && "$(setting "$stack" awsIntegration true)" == true ]]; then
    echo "stack $stack is paused: the destroy first removes the cluster's load balancers and volumes from" \
      "AWS through the running control plane. Run make resume, then make destroy." >&2
    return 1
  fi
}

apply_to_state() {
  local stack="$1" keep lines urn reason targets=() reasons=()
  keep=$(setting "$stack" keepBackupsOnDestroy false)
  lines=$(out_of_date "$stack" "$keep")
  [[ -n "$lines" ]] || return 0
  while read -r urn reason; do
    targets+=(--target "$urn")
    [[ " ${reasons[*]} " == *" $reason "* ]] || reasons+=("$reason")
  done <<<"$lines"
  echo "the stack's state does not hold ${reasons[*]//-/ } as this program has it (pulumi destroy reads it" \
    "from there): updating those resources first"
  if ! pulumi up --stack "$stack" "${targets[@]}"; then
    echo "the state was not updated, so nothing was destroyed. Update it with" \
      "pulumi up --stack $stack ${targets[*]}, then run make destroy again." >&2
    return 1
  fi
}

main() {
  local stack="${1:?usage: before-destroy.sh STACK}"
  refuse_paused "$stack"
  apply_to_state "$stack"
}

main "$@"
