# shellcheck shell=bash
# A first control plane replaced in a highly available cluster: the other control planes keep the
# cluster, so the new machine joins them instead of starting one (which would be a second etcd). With
# the stack's CAs, already in its PKI directory, it makes itself a short-lived admin credential and an
# etcd client certificate, removes its old machine's Node and etcd member, mints a token and joins as a
# control plane. Needs the init script's variables and libraries (pki, etcd members, tokens, reset).
#
# Whether to join them or to build the cluster is decided on evidence: each other control plane is
# asked directly, at its private address, on the API server's port and on etcd's, again and again for
# minutes while any says nothing; never through a load balancer, whose one failed probe once started a
# second etcd beside a running cluster.

readonly REJOIN_TOKEN_PLACEHOLDER=REJOIN-TOKEN
readonly PROBE_SECONDS="${PROBE_SECONDS:-300}"
readonly PROBE_INTERVAL_SECONDS=15

# What one other control plane says: answers (something serves its API server's or etcd's port: an
# HTTP answer, or a TLS alert from etcd, which wants a client certificate), refused (the machine is up
# and serves neither: a connection refused) or silent (no answer in time, or no route to it: starting,
# stopped or gone). curl's exit 7 covers both refused and unreachable: its trace tells them apart.
probe_control_plane() {
  local ip="$1" port said=silent status trace
  for port in "$API_SERVER_PORT" "$ETCD_CLIENT_PORT"; do
    status=0
    trace=$(curl --silent --verbose --insecure --output /dev/null --connect-timeout 5 --max-time 10 \
      "https://$ip:$port/" 2>&1) || status=$?
    case "$status" in
      7) [[ "$said" == answers || "$trace" != *"failed: Connection refused"* ]] || said=refused ;;
      28) ;;
      *) said=answers ;;
    esac
  done
  echo "$said"
}

# "ADDRESS:SAID ..." of every other control plane, asked until one answers or none is silent, for
# PROBE_SECONDS at most.
probe_others_until_told() {
  local waited=0 ip told
  while true; do
    told=""
    for ip in $OTHER_CONTROL_PLANE_IPS; do
      told+="$ip:$(probe_control_plane "$ip") "
    done
    if [[ "$told" == *:answers* || "$told" != *:silent* ]] || ((waited >= PROBE_SECONDS)); then
      echo "${told% }"
      return 0
    fi
    sleep "$PROBE_INTERVAL_SECONDS"
    waited=$((waited + PROBE_INTERVAL_SECONDS))
  done
}

# rejoin or init, from what the other control planes said (TOLD) and whether the bucket holds a
# snapshot of this cluster (SNAPSHOT: present, none or unknown): join them if any answers; build the
# cluster only if every one is up and serves nothing and no snapshot shows that the cluster ever ran
# (its first build: the others join afterwards). Anything else could be a cluster that is down, beside
# which a new etcd would be a second cluster: refused, saying why.
first_control_plane_decision() {
  local told="$1" snapshot="$2"
  if [[ "$told" == *:answers* ]]; then
    echo rejoin
  elif [[ "$told" != *:silent* && "$snapshot" == none ]]; then
    echo init
  elif [[ "$told" == *:silent* ]]; then
    echo "the other control planes did not all answer within ${PROBE_SECONDS}s ($told): they may be starting," \
      "stopped or gone, and a new cluster beside them would be a second etcd. Nothing was changed; run" \
      "pulumi up again once they run (make resume), or see docs/ha.md." >&2
    return 1
  else
    echo "the other control planes are up but serve neither the API nor etcd ($told), and" \
      "s3://$BUCKET/$PREFIX/latest.db shows that this cluster ran: building a new one would lose it." \
      "Nothing was changed; see docs/ha.md (When every control plane is lost)." >&2
    return 1
  fi
}

rejoin_other_control_planes() {
  local work="$1" token first_other="${OTHER_CONTROL_PLANE_IPS%% *}"
  echo "other control planes answer: $NODE_NAME joins them" >&2
  install -d -m 0700 "$work" "$(dirname "$LOG_FILE")"
  write_config "$CONFIG_FILE"
  kubeadm init phase kubeconfig admin --config "$CONFIG_FILE" --kubeconfig-dir "$work" >&2
  kubeadm init phase certs etcd-healthcheck-client --config "$CONFIG_FILE" >&2
  ensure_etcd_tools "$ETCD_TOOLS_IMAGE" "$ETCD_TOOLS_VERSION" "$TOOLS_BIN_DIR"
  KUBECONFIG="$work/admin.conf" kubectl delete node "$NODE_NAME" --ignore-not-found >&2
  ETCD_ENDPOINT="https://$first_other:$ETCD_CLIENT_PORT" remove_etcd_member "$NODE_NAME" "$NODE_IP"
  token=$(kubeadm token create --kubeconfig "$work/admin.conf" --ttl 15m --description "$REJOIN_TOKEN_DESCRIPTION")
  install -m 0600 /dev/null "$work/join.yaml"
  # printf is a builtin: the token is on no program's command line, where any local user could read it.
  printf '%s\n' "${REJOIN_CONFIG//"$REJOIN_TOKEN_PLACEHOLDER"/"$token"}" >"$work/join.yaml"
  if ! kubeadm join --config "$work/join.yaml" >"$LOG_FILE" 2>&1; then
    {
      echo "kubeadm join of $NODE_NAME to the other control planes failed; the node was reset so that the next" \
        "pulumi up retries. The end of $LOG_FILE:"
      tail -n 40 "$LOG_FILE" | redact_tokens
    } >&2
    reset_node
    return 1
  fi
  KUBECONFIG="$work/admin.conf" delete_bootstrap_tokens_described "$REJOIN_TOKEN_DESCRIPTION"
  echo "$NODE_NAME joined the other control planes" >&2
}

# What this new first control plane does: rejoin the others (lib/rejoin-control-plane.sh decides, on
# evidence), restore the cluster from the newest snapshot, or build a new one. Fails, having changed
# nothing, when the others cannot be told from a cluster that is down, or the bucket cannot be asked.
# It runs in a command substitution, where `set -e` does not hold: every failure returns explicitly.
first_control_plane_path() {
  local told snapshot=unknown decided
  if [[ "$OTHER_CONTROL_PLANE_IPS" == none ]]; then
    snapshot=$(snapshot_in_bucket) || return 1
    if [[ "$snapshot" == present ]]; then echo restore; else echo new; fi
    return 0
  fi
  told=$(probe_others_until_told) || return 1
  if [[ "$told" != *:answers* && "$told" != *:silent* ]]; then
    snapshot=$(snapshot_in_bucket) || return 1
  fi
  decided=$(first_control_plane_decision "$told" "$snapshot") || return 1
  if [[ "$decided" == rejoin ]]; then echo rejoin; else echo new; fi
}
