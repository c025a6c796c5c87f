#!/usr/bin/env bash
# At pulumi destroy, on the control plane, before the AWS add-ons and the instances go: deletes every
# Service of type LoadBalancer and every PersistentVolumeClaim, and waits (bounded) until AWS has
# removed their load balancers and volumes. Kubernetes keeps such a Service until the cloud controller
# has deleted its load balancer, and an EBS PersistentVolume until the CSI driver has deleted its
# volume, so gone from the API means gone from AWS. The controllers delete only what they created for
# this cluster; volumes whose reclaim policy is Retain are kept, and named.
# It talks to this node's own API server at its private address: admin.conf names the cluster's
# endpoint, with several control planes the internal load balancer, which must not be needed at destroy.
# MODE=announce (when the step is created) only says what the step will do.
set -euo pipefail

: "${MODE:?announce or remove}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"
: "${API_SERVER:?this control plane own API server, https://private-address:6443}"

readonly WAIT_SECONDS="${WAIT_SECONDS:-480}"
readonly POLL_SECONDS="${POLL_SECONDS:-10}"
readonly API_TIMEOUT="${API_TIMEOUT:-60s}"

# A copy of admin.conf (mode 600, removed on exit) that points at API_SERVER.
use_own_api_server() {
  KUBECONFIG=$(mktemp)
  export KUBECONFIG
  trap 'rm -f "$KUBECONFIG"' EXIT
  sed -E "s#^( *server: ).*#\1${API_SERVER}#" "$ADMIN_KUBECONFIG" >"$KUBECONFIG"
}

# "namespace name" of each Service of type LoadBalancer.
load_balancer_services() {
  kubectl get services -A \
    -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace} {.metadata.name}{"\n"}{end}'
}

# "namespace name" of each PersistentVolumeClaim.
claims() {
  kubectl get persistentvolumeclaims -A -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name}{"\n"}{end}'
}

# "namespace name" of each pod that mounts a claim: the claim stays until the pod is gone.
pods_with_claims() {
  kubectl get pods -A \
    -o jsonpath='{range .items[*]}{.metadata.namespace} {.metadata.name} {range .spec.volumes[*]}{.persistentVolumeClaim.claimName}{end}{"\n"}{end}' |
    awk 'NF > 2 {print $1, $2}'
}

# "name reclaim-policy volume-id" of each EBS PersistentVolume.
ebs_volumes() {
  kubectl get persistentvolumes \
    -o jsonpath='{range .items[?(@.spec.csi.driver=="ebs.csi.aws.com")]}{.metadata.name} {.spec.persistentVolumeReclaimPolicy} {.spec.csi.volumeHandle}{"\n"}{end}'
}

volumes_to_delete() {
  ebs_volumes | awk '$2 == "Delete" {print $1, $3}'
}

delete_each() {
  local kind="$1" namespace name
  while read -r namespace name; do
    [[ -n "$name" ]] || continue
    kubectl delete "$kind" -n "$namespace" "$name" --wait=false --ignore-not-found
  done
}

# Whatever still holds a load balancer or a volume, one per line; nothing when all is gone. Fails when
# the API server does not answer.
still_in_aws() {
  local services volumes
  services=$(load_balancer_services) || return 1
  volumes=$(volumes_to_delete) || return 1
  awk 'NF {print "Service " $1 "/" $2 " (its load balancer)"}' <<<"$services"
  awk 'NF {print "PersistentVolume " $1 " (EBS volume " $2 ")"}' <<<"$volumes"
}

wait_until_gone() {
  local waited=0 left
  while true; do
    if left=$(still_in_aws) && [[ -z "$left" ]]; then
      return 0
    fi
    if ((waited >= WAIT_SECONDS)); then
      echo "AWS has not yet removed, after ${WAIT_SECONDS}s:" >&2
      echo "${left:-(the API server stopped answering)}" >&2
      echo "Run pulumi destroy again to wait longer, or delete them in the EC2 console (they are tagged" \
        "with the cluster) and run it again." >&2
      return 1
    fi
    sleep "$POLL_SECONDS"
    waited=$((waited + POLL_SECONDS))
  done
}

remove() {
  use_own_api_server
  if ! kubectl get --raw /readyz --request-timeout="$API_TIMEOUT" >/dev/null; then
    echo "the API server does not answer: load balancers and volumes the cluster created may remain in AWS" \
      "(tagged kubernetes.io/cluster/<clusterName>); check the EC2 console once the stack is gone" >&2
    return 0
  fi
  # Nothing may start again and take a volume while the claims go.
  kubectl get nodes -o name | xargs -r kubectl cordon
  load_balancer_services | delete_each service
  claims | delete_each persistentvolumeclaim
  pods_with_claims | delete_each pod
  wait_until_gone
  ebs_volumes | awk '$2 == "Retain" {print "kept (reclaim policy Retain): PersistentVolume " $1 ", EBS volume " $3}'
  echo "no load balancer or volume of the cluster is left in AWS"
}

main() {
  case "$MODE" in
    announce) echo "at pulumi destroy, this step deletes the cluster's LoadBalancer Services and PersistentVolumeClaims first" ;;
    remove) remove ;;
    *)
      echo "MODE must be announce or remove, not $MODE" >&2
      return 2
      ;;
  esac
}

main "$@"
