#!/usr/bin/env bash
# Runs before pulumi destroy (make destroy):
# - refuses to destroy a paused cluster with AWS integration: the destroy's first step removes the
#   cluster's load balancers and volumes from the running control plane, which a paused cluster lacks;
# - applies the current keepBackupsOnDestroy first: pulumi destroy reads retain-on-delete (and the
#   bucket's force-destroy) from the state, not from the config, so a value set just before the destroy
#   needs a targeted pulumi up to count.
# Usage: before-destroy.sh STACK
set -euo pipefail

readonly BACKUPS_COMPONENT=kubeadm-aws:index:EtcdBackups

# A setting's value in the stack, or its default.
setting() {
  local stack="$1" key="$2" default="$3"
  pulumi config get "$key" --stack "$stack" 2>/dev/null || echo "$default"
}

# The URNs of the snapshot bucket's resources whose retain-on-delete in the state is not what
# keepBackupsOnDestroy ($1, true or false) asks for: the bucket and its settings are kept with it,
# anything else (the control plane's access policy) never is.
backups_out_of_date() {
  local stack="$1" keep="$2"
  pulumi stack export --stack "$stack" | KEEP="$keep" COMPONENT="$BACKUPS_COMPONENT" python3 -c '
import json, os, sys
resources = json.load(sys.stdin)["deployment"].get("resources") or []
keep = os.environ["KEEP"] == "true"
for resource in resources:
    if resource.get("parent", "").split("::")[2].endswith(os.environ["COMPONENT"]) if resource.get("parent") else False:
        wanted = keep and resource["type"].startswith("aws:s3/")
        if bool(resource.get("retainOnDelete")) != wanted:
            print(resource["urn"])
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

apply_keep_backups() {
  local stack="$1" keep urns
  keep=$(setting "$stack" keepBackupsOnDestroy false)
  urns=$(backups_out_of_date "$stack" "$keep")
  [[ -n "$urns" ]] || return 0
  echo "keepBackupsOnDestroy is $keep, which the stack's state does not hold yet (pulumi destroy reads it" \
    "from there): updating the snapshot bucket's resources first"
  local targets=()
  while read -r urn; do
    targets+=(--target "$urn")
  done <<<"$urns"
  if ! pulumi up --stack "$stack" "${targets[@]}"; then
    echo "keepBackupsOnDestroy was not applied, so nothing was destroyed. Apply it with" \
      "pulumi up --stack $stack ${targets[*]}, then run make destroy again." >&2
    return 1
  fi
}

main() {
  local stack="${1:?usage: before-destroy.sh STACK}"
  refuse_paused "$stack"
  apply_keep_backups "$stack"
}

main "$@"
