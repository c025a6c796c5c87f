#!/usr/bin/env bash
# Runs inside the test VM once cloud-init has finished with the real user data: reports, on the serial
# console, what the node preparation did, runs it a second time to show it changes nothing, and runs
# the bootstrap's first command (wait-for-cloud-init.sh). Then powers the VM off.
set -uo pipefail

readonly SCRIPTS=/usr/local/lib/kubeadm-aws

report() { printf 'PROBE %s=%s\n' "$1" "$2"; }

snapshot() {
  {
    cat /etc/fstab /etc/modules-load.d/kubernetes.conf /etc/sysctl.d/99-kubernetes.conf
    swapon --noheadings --show
    lsmod | awk '{print $1}' | sort
    sysctl net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward
  } | sha256sum | cut -d' ' -f1
}

# The ed25519 key sshd serves (it starts at boot, after cloud-init has written the keys), or nothing.
served_host_key() {
  local served
  for _ in $(seq 30); do
    served=$(timeout 5 ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null | grep -v '^#' | cut -d' ' -f2,3)
    [[ -n "$served" ]] && break
    sleep 2
  done
  printf '%s' "$served"
}

main() {
  report swap_activated_at_boot "$(journalctl -b --no-pager | grep -c 'Activated swap')"
  report swap "$(swapon --noheadings --show | wc -l)"
  report fstab_swap_active "$(grep -Ec '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab)"
  report fstab_swap_disabled "$(grep -c '^# disabled for kubelet: ' /etc/fstab)"
  report module_overlay "$(lsmod | grep -c '^overlay ')"
  report module_br_netfilter "$(lsmod | grep -c '^br_netfilter ')"
  local key
  for key in net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward; do
    report "$key" "$(sysctl -n "$key")"
  done
  # The host key cloud-init installed, the key files there are, and the key sshd serves.
  report host_key "$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"
  report host_key_files "$(find /etc/ssh -name 'ssh_host_*_key' | wc -l)"
  report served_host_key "$(served_host_key)"
  local before after
  before=$(snapshot)
  "$SCRIPTS/prepare-node.sh" >/dev/null 2>&1
  report prepare_again_exit "$?"
  after=$(snapshot)
  report prepare_again_changed "$([[ "$before" == "$after" ]] && echo no || echo yes)"
  local output status
  output=$(bash /usr/local/sbin/wait-for-cloud-init.sh 2>&1)
  status=$?
  report wait_exit "$status"
  report wait_output "$(printf '%s' "$output" | tr '\n' '|' | cut -c1-3000)"
  report finished 1
}

main
systemctl poweroff
