#!/usr/bin/env bash
# Initialises the control plane with the keys the program keeps in its stack (cluster CA, front-proxy
# CA, etcd CA, service-account key pair), which arrive on standard input, never on a command line.
# A new control plane first restores etcd from the newest snapshot in the stack's bucket, if there is
# one: the cluster's objects survive and its workers come back; without one it builds a new cluster.
#
# Whether the node is already done is decided by the cluster's identity, not by a file existing: a node
# running a cluster of the stack's CA is left as it is (a changed pod or service range is refused;
# a new minor is the upgrade step's); a node of another CA is refused; leftovers of a failed attempt are
# reset first. A failed kubeadm init resets the node before failing, so the next pulumi up retries.
# A first control plane replaced in a highly available cluster joins the other control planes instead,
# and never builds a cluster beside them (lib/rejoin-control-plane.sh decides, on evidence).
#
# The API server is hardened (Secrets encrypted with the stack's keys, an audit log, Pod Security
# Admission): a new cluster starts so, and a live one built without it is brought there in place (the
# kubeadm-config and kubelet-config ConfigMaps, then the API server's manifest). kubeadm init's own
# bootstrap token is deleted once init is done.
# Prints one line on standard output, cluster-id=<UID of kube-system>, which names this cluster.
set -euo pipefail

: "${NODE_NAME:?Kubernetes name of this node}"
: "${LOGIN_USER:?OS user that gets a kubeconfig for kubectl}"
: "${KUBEADM_CONFIG:?kubeadm configuration (YAML)}"
: "${POD_CIDR:?pod range the cluster must have}"
: "${SERVICE_CIDR:?service range the cluster must have}"
: "${CLOUD_PROVIDER:?external (the AWS cloud controller) or none}"
: "${ADMIN_KUBECONFIG:?admin kubeconfig kubeadm init writes}"
: "${KUBERNETES_PKI_DIR:?where kubeadm keeps the cluster certificates}"
: "${NODE_IP:?private address of this node}"
: "${BUCKET:?S3 bucket of the etcd snapshots}"
: "${PREFIX:?key prefix of the snapshots in the bucket}"
: "${AWS_REGION:?region of the bucket}"
: "${ETCD_DATA_DIR:?data directory of the local etcd}"
: "${ETCD_PEER_PORT:?peer port of etcd}"
: "${ETCD_TOOLS_IMAGE:?image etcdctl and etcdutl are copied from}"
: "${ETCD_TOOLS_VERSION:?version they must report}"
: "${AWS_CLI_CHANNEL:?snap channel of the AWS CLI}"
: "${AUDIT_POLICY:?audit policy of the API server (YAML)}"
: "${ADMISSION_CONFIG:?admission configuration of the API server (YAML)}"
: "${HARDENING_FLAGS:?NAME=VALUE of each API server flag a hardened control plane runs with, space-separated}"
: "${INIT_TOKEN_DESCRIPTION:?description of the bootstrap token kubeadm init makes}"
: "${ENCRYPTION_CONFIG_FILE:?EncryptionConfiguration of Secrets, in the PKI directory}"
: "${SECRETS_WRITE_KEY_FILE:?where this control plane records the key its API server writes Secrets with}"
: "${AUDIT_POLICY_FILE:?where the API server reads its audit policy}"
: "${ADMISSION_CONFIG_FILE:?where the API server reads its admission configuration}"
: "${AUDIT_LOG_DIR:?where the API server writes its audit log}"
: "${CRI_SOCKET:?socket of containerd, for crictl}"
: "${API_SERVER_PORT:?port of the API server on every control plane}"
: "${OTHER_CONTROL_PLANE_IPS:?private addresses of the other control planes, space-separated, or none}"
: "${ETCD_CLIENT_PORT:?client port of etcd}"
: "${REJOIN_CONFIG:?JoinConfiguration to join the other control planes with, its token a placeholder}"
: "${REJOIN_TOKEN_DESCRIPTION:?description of the token a replaced first control plane joins with}"

readonly STATE_DIR="${STATE_DIR:-/etc/kubeadm-aws}"
readonly CONFIG_FILE="$STATE_DIR/kubeadm-config.yaml"
readonly LOG_FILE="${LOG_FILE:-/var/log/kubeadm-aws/init.log}"
readonly TOOLS_BIN_DIR="${TOOLS_BIN_DIR:-/usr/local/bin}"
# The key all Secrets were last rewritten with (encrypt-secrets.sh writes it).
readonly SECRETS_KEY_FILE="${SECRETS_KEY_FILE:-$STATE_DIR/secrets-key}"

source "$(dirname "${BASH_SOURCE[0]}")/../lib/redact-tokens.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-reset.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/pki-bundle.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node-tools.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/s3.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-snapshot.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/restore.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/bootstrap-tokens.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/api-server-policies.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/secrets-encryption.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/etcd-members.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/rejoin-control-plane.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kubectl-access.sh"

# fresh, ours (a cluster of the stack's CA), foreign (another CA) or leftovers (a failed attempt).
# NODE_ROOT, empty on a node, lets a test point the look for manifests at a folder of its own.
cluster_state() {
  local admin_kubeconfig="$1" pki_dir="$2" desired_ca="$3" root="${NODE_ROOT:-}"
  if [[ -f "$admin_kubeconfig" ]]; then
    if cmp -s "$pki_dir/ca.crt" "$desired_ca"; then echo ours; else echo foreign; fi
  elif compgen -G "$root/etc/kubernetes/manifests/*.yaml" >/dev/null || [[ -d "$ETCD_DATA_DIR/member" ]]; then
    echo leftovers
  else
    echo fresh
  fi
}

# The configuration pinned to the exact version of the kubeadm installed on this node, so the control
# plane never runs a newer patch than its kubelet.
write_config() {
  local file="$1"
  install -d -m 0700 "$(dirname "$file")"
  printf '%s\n' "$KUBEADM_CONFIG" |
    sed -E "s/^kubernetesVersion: .*/kubernetesVersion: $(kubeadm version -o short)/" >"$file"
}

run_kubeadm_init() {
  local path="$1" extra=()
  if [[ "$path" == restore ]]; then
    # The data directory holds the restored cluster, which kubeadm's preflight would refuse; the
    # restored Node keeps the role and taints it had (register_this_machine_anew gives them back).
    extra=(--ignore-preflight-errors=DirAvailable--var-lib-etcd --skip-phases=mark-control-plane)
  fi
  install -d -m 0700 "$(dirname "$LOG_FILE")"
  if ! kubeadm init --config "$CONFIG_FILE" "${extra[@]}" >"$LOG_FILE" 2>&1; then
    {
      echo "kubeadm init failed on $NODE_NAME; the node was reset so that the next pulumi up retries."
      echo "The end of $LOG_FILE:"
      tail -n 40 "$LOG_FILE" | redact_tokens
    } >&2
    # The machine as it was: what kubeadm wrote, then what this step wrote for it.
    reset_node
    rm -f "$CONFIG_FILE" "$SECRETS_WRITE_KEY_FILE" "$AUDIT_POLICY_FILE" "$ADMISSION_CONFIG_FILE"
    return 1
  fi
  echo "kubeadm init finished on $NODE_NAME" >&2
}

# The value of one field of the live ClusterConfiguration, e.g. podSubnet.
live_setting() {
  kubectl --kubeconfig "$ADMIN_KUBECONFIG" -n kube-system get configmap kubeadm-config \
    -o jsonpath='{.data.ClusterConfiguration}' | sed -nE "s/^[[:space:]]*$1:[[:space:]]*\"?([^\"]*)\"?$/\1/p"
}

# How this node's kubelet was started: external (the AWS cloud controller) or none.
node_cloud_provider() {
  if grep -q -- "--cloud-provider=external" "${KUBELET_FLAGS_FILE:-/var/lib/kubelet/kubeadm-flags.env}" 2>/dev/null; then
    echo external
  else
    echo none
  fi
}

# kubeadm cannot change a live cluster's pod and service ranges, nor hand its nodes to a cloud
# controller or take them back.
refuse_what_kubeadm_cannot_change() {
  local pods services cloud_provider
  pods=$(live_setting podSubnet)
  services=$(live_setting serviceSubnet)
  cloud_provider=$(node_cloud_provider)
  if [[ "$pods" != "$POD_CIDR" || "$services" != "$SERVICE_CIDR" ]]; then
    echo "the cluster runs pod range $pods and service range $services; kubeadm cannot change them to" \
      "podCidr $POD_CIDR and serviceCidr $SERVICE_CIDR. Set them back, or build a new cluster (another stack)." >&2
    return 1
  fi
  if [[ "$cloud_provider" != "$CLOUD_PROVIDER" ]]; then
    local built_with=false
    [[ "$cloud_provider" == external ]] && built_with=true
    echo "the cluster's kubelets were started with awsIntegration $built_with (a cluster built by an earlier" \
      "version of this program has false); it cannot change on a live cluster. Set awsIntegration $built_with," \
      "or build a new cluster (another stack)." >&2
    return 1
  fi
}

# A configuration without the key every Secret is stored with would leave them unreadable.
refuse_losing_the_secrets_key() {
  local new_config="$1" in_use
  [[ -f "$SECRETS_KEY_FILE" ]] || return 0
  in_use=$(<"$SECRETS_KEY_FILE")
  if ! encryption_key_names "$new_config" | grep -qxF "$in_use"; then
    echo "the cluster's Secrets are encrypted with $in_use, which the new configuration no longer holds" \
      "(it has $(encryption_key_names "$new_config" | paste -sd, -)). secretsKeyGeneration goes up by one at a" \
      "time: set it to ${in_use#key-} or $((${in_use#key-} + 1))." >&2
    return 1
  fi
}

# A cluster built before the hardening: the stored ClusterConfiguration and KubeletConfiguration get it
# (so upgrades keep it), then the API server's manifest is written anew and the kubelet restarts it. A
# changed policy or encryption configuration restarts the API server, which then runs with it at once
# (during a rotation, the one that only reads the new key: lib/secrets-encryption.sh).
harden_live_api_server() {
  local policies encryption before
  refuse_losing_the_secrets_key "$keys_dir/encryption-config.yaml"
  encryption=$(install_encryption_config "$keys_dir" auto)
  policies=$(write_api_server_policies)
  before=$(api_server_pid)
  if api_server_lacks_hardening; then
    write_config "$CONFIG_FILE"
    kubeadm init phase upload-config kubeadm --config "$CONFIG_FILE" >&2
    kubeadm init phase upload-config kubelet --config "$CONFIG_FILE" >&2
    kubeadm init phase control-plane apiserver --config "$CONFIG_FILE" >&2
    echo "hardened the API server of $NODE_NAME (encryption at rest, audit log, pod security)" >&2
  elif [[ "$policies" == changed || "$encryption" == changed ]]; then
    restart_api_server
    echo "restarted the API server of $NODE_NAME for its new policies or encryption configuration" >&2
  else
    return 0
  fi
  wait_for_new_api_server "$before"
}

print_cluster_id() {
  echo "cluster-id=$(kubectl --kubeconfig "$ADMIN_KUBECONFIG" get namespace kube-system -o jsonpath='{.metadata.uid}')"
}

main() {
  local path
  # Not local: the EXIT trap runs after main has returned.
  keys_dir=$(mktemp -d)
  trap 'rm -rf "$keys_dir"' EXIT
  unpack_pki_bundle "$keys_dir"
  case "$(cluster_state "$ADMIN_KUBECONFIG" "$KUBERNETES_PKI_DIR" "$keys_dir/ca.crt")" in
    ours)
      echo "$NODE_NAME already runs this cluster" >&2
      wait_for_api_server
      refuse_what_kubeadm_cannot_change
      harden_live_api_server
      ;;
    foreign)
      echo "$NODE_NAME runs a cluster of another CA than the stack's; refusing to touch it." \
        "Replace the node (make replace-node NODE=$NODE_NAME) to build it anew." >&2
      return 1
      ;;
    leftovers)
      echo "$NODE_NAME holds leftovers of a failed kubeadm init; resetting it first" >&2
      reset_node
      ;&
    fresh)
      path=$(first_control_plane_path) || return 1
      install_pki "$keys_dir" "$KUBERNETES_PKI_DIR"
      write_api_server_policies >/dev/null
      if [[ "$path" == rejoin ]]; then
        # Joining the others, it reads the newest Secrets key first, as they did.
        install_encryption_config "$keys_dir" auto >/dev/null
        rejoin_other_control_planes "$keys_dir/rejoin"
        # The others stored the cluster's configuration, perhaps before the stack's newest flags: this
        # step is the one that stores them, as for a control plane that runs already.
        wait_for_api_server
        harden_live_api_server
      else
        # Alone, it writes with the newest key at once.
        install_encryption_config "$keys_dir" write >/dev/null
        write_config "$CONFIG_FILE"
        if [[ "$path" == restore ]]; then
          restore_newest_snapshot "$keys_dir"
        else
          echo "no etcd snapshot in s3://$BUCKET/$PREFIX/: building a new cluster" >&2
        fi
        run_kubeadm_init "$path"
        if [[ "$path" == restore ]]; then
          register_this_machine_anew
        fi
        KUBECONFIG="$ADMIN_KUBECONFIG" delete_bootstrap_tokens_described "$INIT_TOKEN_DESCRIPTION"
      fi
      ;;
  esac
  give_kubectl_to "$LOGIN_USER"
  print_cluster_id
}

main "$@"
