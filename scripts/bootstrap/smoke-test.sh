#!/usr/bin/env bash
# After the readiness gate, on the control plane: proves in about a minute that the cluster works. A
# pod runs on every node, a pod resolves kubernetes.default through cluster DNS, each pod reaches the
# pod on the next node over the pod network, and (with AWS integration) a PersistentVolumeClaim binds
# and mounts. It removes what it created, and fails naming each check that did not pass.
set -euo pipefail

: "${NAMESPACE:?namespace the test creates and removes}"
: "${WORKLOAD:?Namespace and DaemonSet (YAML) that put a web server pod on every node}"
: "${VOLUME_CHECK:?PersistentVolumeClaim and pod (YAML) that write and read a volume, or none}"
: "${NODE_NAMES:?space-separated names of every node}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig on the control plane}"

readonly ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-180s}"
readonly VOLUME_TIMEOUT="${VOLUME_TIMEOUT:-240s}"
readonly REMOVE_TIMEOUT="${REMOVE_TIMEOUT:-180s}"
readonly DAEMON_SET=smoke-test
readonly HTTP_PORT=8080
readonly VOLUME_POD=volume-check
readonly VOLUME_CLAIM=volume-check
# The kubeadm default cluster domain; busybox's nslookup wants the full name.
readonly API_SERVICE_NAME=kubernetes.default.svc.cluster.local

export KUBECONFIG="$ADMIN_KUBECONFIG"

failures=()
passed=()

remove_test_objects() {
  kubectl delete namespace "$NAMESPACE" --ignore-not-found --timeout="$REMOVE_TIMEOUT" >/dev/null ||
    echo "namespace $NAMESPACE is still being removed; Kubernetes finishes it on its own" >&2
}

# "node pod-name pod-ip" of each test pod that is ready.
ready_pods() {
  kubectl -n "$NAMESPACE" get pods -l "app=$DAEMON_SET" \
    -o jsonpath='{range .items[*]}{.spec.nodeName} {.metadata.name} {.status.podIP} {.status.containerStatuses[0].ready}{"\n"}{end}' |
    awk '$4 == "true" {print $1, $2, $3}'
}

check_a_pod_runs_on_every_node() {
  local pods="$1" node missing=()
  for node in $NODE_NAMES; do
    grep -q "^$node " <<<"$pods" || missing+=("$node")
  done
  if ((${#missing[@]} > 0)); then
    failures+=("no test pod became ready within $ROLLOUT_TIMEOUT on node(s): ${missing[*]}")
  else
    passed+=("a pod on each of $(wc -w <<<"$NODE_NAMES") node(s)")
  fi
}

check_cluster_dns() {
  local node="$1" pod="$2"
  if kubectl -n "$NAMESPACE" exec "$pod" -- nslookup "$API_SERVICE_NAME" >/dev/null 2>&1; then
    passed+=("cluster DNS")
  else
    failures+=("a pod on $node could not resolve kubernetes.default through cluster DNS (CoreDNS, kube-proxy)")
  fi
}

# Each pod fetches the page of the pod on the next node, which answers with its node's name.
check_pod_to_pod_across_nodes() {
  local pods="$1" count from_node from_pod to_node to_ip answer i reached=0
  count=$(wc -l <<<"$pods")
  if ((count < 2)); then
    echo "one node: no pod on another node to reach"
    return 0
  fi
  for ((i = 1; i <= count; i++)); do
    read -r from_node from_pod _ < <(sed -n "${i}p" <<<"$pods")
    read -r to_node _ to_ip < <(sed -n "$((i % count + 1))p" <<<"$pods")
    answer=$(kubectl -n "$NAMESPACE" exec "$from_pod" -- wget -qO- -T 5 "http://$to_ip:$HTTP_PORT/" 2>/dev/null || true)
    if [[ "$answer" == "$to_node" ]]; then
      reached=$((reached + 1))
    else
      failures+=("a pod on $from_node could not reach the pod on $to_node ($to_ip) over the pod network (the CNI)")
    fi
  done
  ((reached < count)) || passed+=("pod to pod across nodes")
}

check_volume() {
  [[ "$VOLUME_CHECK" == none ]] && return 0
  if kubectl -n "$NAMESPACE" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$VOLUME_POD" \
    --timeout="$VOLUME_TIMEOUT" >/dev/null 2>&1; then
    passed+=("a volume bound and mounted")
    return 0
  fi
  local phase
  phase=$(kubectl -n "$NAMESPACE" get persistentvolumeclaim "$VOLUME_CLAIM" -o jsonpath='{.status.phase}' || true)
  if [[ "$phase" != Bound ]]; then
    failures+=("the PersistentVolumeClaim did not bind within $VOLUME_TIMEOUT (phase ${phase:-unknown}: the default StorageClass, the EBS CSI driver)")
  else
    failures+=("the PersistentVolumeClaim bound, but a pod could not mount, write and read it within $VOLUME_TIMEOUT")
  fi
  kubectl -n "$NAMESPACE" get events --sort-by=.lastTimestamp 2>&1 | tail -n 15 >&2 || true
}

main() {
  remove_test_objects # what an interrupted run left
  trap remove_test_objects EXIT
  printf '%s\n' "$WORKLOAD" | kubectl apply -f - >/dev/null
  [[ "$VOLUME_CHECK" == none ]] || printf '%s\n' "$VOLUME_CHECK" | kubectl apply -f - >/dev/null
  kubectl -n "$NAMESPACE" rollout status "daemonset/$DAEMON_SET" --timeout="$ROLLOUT_TIMEOUT" >/dev/null || true

  local pods first_node first_pod
  pods=$(ready_pods)
  check_a_pod_runs_on_every_node "$pods"
  if [[ -n "$pods" ]]; then
    read -r first_node first_pod _ <<<"$pods"
    check_cluster_dns "$first_node" "$first_pod"
    check_pod_to_pod_across_nodes "$pods"
  fi
  check_volume

  if ((${#failures[@]} > 0)); then
    printf 'smoke test failed: %s\n' "${failures[@]}" >&2
    return 1
  fi
  local IFS=,
  echo "smoke test passed: ${passed[*]}" | sed 's/,/, /g'

}

main "$@"
