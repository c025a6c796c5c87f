"""Removing a worker's Node: the token step clears the Node a replaced machine left, and the scale-down
hook drains and deletes the Node, then resets the machine only if it answers within a short wait. Run
by bash with stand-ins for kubectl and ssh, which cannot reach a cluster or a machine here."""

import time
from pathlib import Path

import pytest

from tests.shell import run_function, stand_in


def kubectl_at(tmp_path: Path, registered_address: str | None) -> str:
    """A kubectl whose cluster has the worker at `registered_address` (None: not registered)."""
    lookup = f"echo {registered_address}" if registered_address else "exit 1"
    return stand_in(tmp_path / "bin", "kubectl", f'case "$1" in get) {lookup} ;; esac')


TOKEN_STEP = {"NODE_NAME": "lab-worker-1", "NODE_IP": "10.0.0.9", "TOKEN_TTL": "4h", "ADMIN_KUBECONFIG": "k",
              "JOIN_TOKEN_DESCRIPTION": "kubeadm-aws join of lab-worker-1", "ETCD_MEMBER": "none",
              "ETCD_ENDPOINT": "https://127.0.0.1:2379", "KUBERNETES_PKI_DIR": "/nonexistent",
              "NODE_HOST_KEY": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBK", "LOGIN_USER": "ubuntu",
              "RESET_SCRIPT": "#!/usr/bin/env bash\nkubeadm reset --force\n"}  # fmt: skip


@pytest.mark.parametrize(
    "registered, removed", [("10.0.0.5", True), ("10.0.0.9", False), (None, False)], ids=["replaced", "same", "new"]
)
def test_the_token_step_removes_only_a_node_left_by_a_replaced_machine(tmp_path, registered, removed):
    path = kubectl_at(tmp_path, registered)
    stand_in(tmp_path / "bin", "ssh", 'cat >/dev/null; echo "[reset] done"')
    result = run_function(
        "bootstrap/create-join-token.sh",
        f"remove_node_of_a_replaced_machine {tmp_path}/key",
        **TOKEN_STEP,
        PATH=path,
        CALLS=str(tmp_path / "calls.log"),
    )
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines() if (tmp_path / "calls.log").exists() else []
    assert ("kubectl delete node lab-worker-1 --ignore-not-found" in calls) is removed
    assert any(c.startswith("kubectl drain lab-worker-1") for c in calls) is removed
    assert result.stdout == ""  # stdout is the token, and nothing else
    if removed:
        # The old machine is reset (its kubelet stops, its credentials go) after the drain, before the
        # Node is deleted: it cannot go on under the name the new machine joins with.
        drain = next(i for i, c in enumerate(calls) if c.startswith("kubectl drain"))
        ssh = next(i for i, c in enumerate(calls) if c.startswith("ssh "))
        assert drain < ssh < calls.index("kubectl delete node lab-worker-1 --ignore-not-found")
        assert calls[ssh].endswith("ubuntu@10.0.0.5 sudo bash -s") and "StrictHostKeyChecking=yes" in calls[ssh]


def test_an_old_machine_that_serves_another_host_key_is_named_so(tmp_path):
    path = kubectl_at(tmp_path, "10.0.0.5")
    stand_in(tmp_path / "bin", "ssh", 'echo "Host key verification failed." >&2; exit 255')
    result = run_function(
        "bootstrap/create-join-token.sh", f"remove_node_of_a_replaced_machine {tmp_path}/key", **TOKEN_STEP,
        PATH=path, CALLS=str(tmp_path / "calls.log"),
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout == ""
    assert "it does not serve the node's host key" in " ".join(result.stderr.split())
    assert "kubectl delete node lab-worker-1 --ignore-not-found" in (tmp_path / "calls.log").read_text()


def test_an_old_machine_that_is_gone_is_skipped_in_time_and_its_node_still_goes(tmp_path):
    path = kubectl_at(tmp_path, "10.0.0.5")
    stand_in(tmp_path / "bin", "ssh", "sleep 30")
    started = time.monotonic()
    result = run_function(
        "bootstrap/create-join-token.sh",
        f"remove_node_of_a_replaced_machine {tmp_path}/key",
        **TOKEN_STEP,
        RESET_TIMEOUT_SECONDS="2",
        PATH=path,
        CALLS=str(tmp_path / "calls.log"),
    )
    assert result.returncode == 0 and time.monotonic() - started < 15
    assert "skipped resetting the old lab-worker-1 at 10.0.0.5" in " ".join(result.stderr.split())
    assert "kubectl delete node lab-worker-1 --ignore-not-found" in (tmp_path / "calls.log").read_text()


HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBKPynm0PXtYbkkPlcIbZqfbEqWDbO7bPsqnIFabT2v"


def remove(
    tmp_path: Path, ssh_body: str, timeout: str = "60", host_key: str = HOST_KEY, etcd_member: str = "none",
    node: str = "lab-worker-1",
) -> tuple:  # fmt: skip
    path = kubectl_at(tmp_path, "10.0.0.9")
    stand_in(tmp_path / "bin", "ssh", ssh_body)
    # etcdctl's `member list -w simple`, with the members in $ETCD_LISTED.
    stand_in(
        tmp_path / "bin",
        "etcdctl",
        'case "$*" in *"member list"*) for m in $ETCD_LISTED; do\n'
        '  echo "id-$m, started, $m, https://p, https://c, false"\ndone ;; esac',
    )
    variables = {
        "NODE_NAME": node,
        "ETCD_MEMBER": etcd_member,
        "ETCD_ENDPOINT": "https://127.0.0.1:2379",
        "KUBERNETES_PKI_DIR": str(tmp_path / "pki"),
        "ETCD_LISTED": "lab-control-plane lab-control-plane-2 lab-control-plane-3",
        "NODE_IP": "10.0.0.9",
        "NODE_HOST_KEY": host_key,
        "LOGIN_USER": "ubuntu",
        "RESET_SCRIPT": "#!/usr/bin/env bash\nkubeadm reset --force\n",
        "ADMIN_KUBECONFIG": "k",
        "RESET_TIMEOUT_SECONDS": timeout,
        "CALLS": str(tmp_path / "calls.log"),
        "PATH": path,
    }
    started = time.monotonic()
    result = run_function("bootstrap/remove-node.sh", "main <<<'-----BEGIN OPENSSH PRIVATE KEY-----'", **variables)
    return result, time.monotonic() - started, (tmp_path / "calls.log").read_text()


def test_a_reachable_worker_is_drained_deleted_and_reset(tmp_path):
    result, _, calls = remove(tmp_path, 'cat >"$(dirname "$CALLS")/reset-received"')
    assert result.returncode == 0, result.stderr
    lines = calls.splitlines()
    drain = next(i for i, line in enumerate(lines) if line.startswith("kubectl drain lab-worker-1"))
    delete = next(i for i, line in enumerate(lines) if line.startswith("kubectl delete node lab-worker-1"))
    ssh = next(i for i, line in enumerate(lines) if line.startswith("ssh "))
    assert drain < delete < ssh and "--timeout=120s" in lines[drain]
    assert lines[ssh].endswith("ubuntu@10.0.0.9 sudo bash -s") and "ConnectTimeout=10" in lines[ssh]
    assert (tmp_path / "reset-received").read_text().rstrip() == "#!/usr/bin/env bash\nkubeadm reset --force"
    assert "skipped" not in result.stdout


def test_a_worker_that_is_gone_is_still_removed_and_the_reset_is_skipped_in_time(tmp_path):
    result, seconds, calls = remove(tmp_path, "sleep 30", timeout="2")
    assert result.returncode == 0, result.stderr
    assert "kubectl delete node lab-worker-1" in calls
    assert "skipped resetting lab-worker-1 at 10.0.0.9: it did not answer within 2s" in " ".join(result.stdout.split())
    assert seconds < 15


def test_the_ssh_key_never_outlives_the_hook(tmp_path):
    result, _, calls = remove(tmp_path, 'cp "${@: -4:1}" "$(dirname "$CALLS")/key-seen" 2>/dev/null; exit 1')
    ssh_call = next(line for line in calls.splitlines() if line.startswith("ssh "))
    key_path = ssh_call.split(" -i ", 1)[1].split(" ", 1)[0]
    assert not Path(key_path).exists()


# ssh as the hook calls it, which records the known_hosts file it was told to trust.
RECORD_KNOWN_HOSTS = (
    'for a; do case "$a" in UserKnownHostsFile=*) f="${a#UserKnownHostsFile=}"; '
    '[ -f "$f" ] && cp "$f" "$(dirname "$CALLS")/known-hosts-seen" ;; esac; done'
)


def test_the_machine_is_reset_only_if_it_serves_its_host_key_from_the_stack(tmp_path):
    result, _, calls = remove(tmp_path, RECORD_KNOWN_HOSTS)
    assert result.returncode == 0, result.stderr
    ssh_call = next(line for line in calls.splitlines() if line.startswith("ssh "))
    assert "StrictHostKeyChecking=yes" in ssh_call and "StrictHostKeyChecking=no" not in ssh_call
    assert (tmp_path / "known-hosts-seen").read_text() == f"10.0.0.9 {HOST_KEY}\n"


def test_no_machine_is_reached_without_the_host_key_check(tmp_path):
    # Whatever the key the step was given, ssh checks it: there is no unchecked way.
    result, _, calls = remove(tmp_path, RECORD_KNOWN_HOSTS, host_key="none")
    assert result.returncode == 0, result.stderr
    ssh_call = next(line for line in calls.splitlines() if line.startswith("ssh "))
    assert "StrictHostKeyChecking=yes" in ssh_call and "StrictHostKeyChecking=no" not in ssh_call


def test_a_removed_control_plane_that_did_not_answer_loses_its_etcd_member_from_the_first(tmp_path):
    result, _, calls = remove(tmp_path, "exit 255", etcd_member="lab-control-plane-3", node="lab-control-plane-3")
    assert result.returncode == 0, result.stderr
    removals = [line for line in calls.splitlines() if "member remove" in line]
    assert len(removals) == 1 and removals[0].endswith("member remove id-lab-control-plane-3")
    assert "removed etcd member lab-control-plane-3" in result.stderr


def test_a_control_plane_whose_reset_removed_its_member_needs_no_more(tmp_path):
    result, _, calls = remove(tmp_path, "exit 0", etcd_member="lab-control-plane-4", node="lab-control-plane-4")
    assert result.returncode == 0, result.stderr
    assert "member remove" not in calls and "etcd has no member lab-control-plane-4" in result.stderr


def test_a_worker_touches_no_etcd_member(tmp_path):
    result, _, calls = remove(tmp_path, "exit 0")
    assert result.returncode == 0 and "etcdctl" not in calls


@pytest.mark.parametrize("member_address, removed", [("10.0.1.7", True), ("10.0.1.9", False)], ids=["old", "new"])
def test_a_replaced_control_planes_token_step_removes_the_old_machines_etcd_member(tmp_path, member_address, removed):
    path = kubectl_at(tmp_path, None)
    stand_in(
        tmp_path / "bin",
        "etcdctl",
        f'case "$*" in *"member list"*) echo "abc, started, lab-control-plane-2, https://{member_address}:2380, '
        f'https://{member_address}:2379, false" ;; *"member remove"*) echo removed ;; esac',
    )
    variables = {**TOKEN_STEP, "NODE_NAME": "lab-control-plane-2", "NODE_IP": "10.0.1.9",
                 "JOIN_TOKEN_DESCRIPTION": "d", "ETCD_MEMBER": "lab-control-plane-2"}  # fmt: skip
    stand_in(tmp_path / "bin", "kubeadm", "echo abcdef.0123456789abcdef")
    result = run_function(
        "bootstrap/create-join-token.sh", "main </dev/null", **variables, PATH=path, CALLS=str(tmp_path / "calls.log")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "abcdef.0123456789abcdef\n"  # the token, and nothing else
    assert (
        "etcdctl" in (tmp_path / "calls.log").read_text()
        and "member remove abc" in (tmp_path / "calls.log").read_text()
    ) is removed
