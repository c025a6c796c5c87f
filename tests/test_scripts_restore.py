"""A new control plane restores etcd from the newest snapshot before kubeadm init
(scripts/bootstrap/kubeadm-init.sh): against Debian's real etcd, a snapshot in a stand-in bucket (the
AWS CLI is the only stand-in) is restored, and etcd started on it holds the cluster's keys. Without a
snapshot it builds a new cluster; when the bucket cannot be asked it builds nothing."""

import json
from pathlib import Path

import pytest

from tests.etcd import ETCD_BIN, Etcd, free_port, make_etcd_pki
from tests.shell import run_function, stand_in
from tests.test_scripts_kubeadm_init import variables

SCRIPT = "bootstrap/kubeadm-init.sh"

# The two calls the scripts make: `aws s3api list-objects-v2 --bucket B --prefix P --query … --output
# text …` and `aws s3 cp SRC DST …`, where s3://B/KEY is the file $S3_ROOT/B/KEY.
STAND_IN_AWS = r"""
if [ "$1 $2" = "s3api list-objects-v2" ]; then
  [ -n "$S3_DOWN" ] && { echo "Could not connect to the endpoint URL" >&2; exit 255; }
  keys=$(cd "$S3_ROOT/$4" 2>/dev/null && find . -type f -path "./$6*" | sed 's|^\./||' | tr '\n' '\t')
  echo "${keys:-None}"
  exit 0
fi
[ "$1 $2" = "s3 cp" ] || exit 2
src="$S3_ROOT/${3#s3://}"; [ -f "$src" ] || exit 1
cp "$src" "$4"
"""


def restore_env(tmp_path: Path, **overrides) -> dict:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "aws", STAND_IN_AWS)
    stand_in(bin_dir, "kubeadm", "exit 0")
    return variables(
        tmp_path,
        PATH=f"{bin_dir}:{ETCD_BIN}:/usr/bin:/bin",
        S3_ROOT=str(tmp_path / "s3"),
        SNAPSHOT_CHECK_ATTEMPTS="2",
        SNAPSHOT_RETRY_SECONDS="0",
        TOOLS_BIN_DIR=str(tmp_path / "tools"),
        **overrides,
    )


def tools_of_the_pinned_version(tmp_path: Path) -> None:
    """Debian's etcdutl, where the node would have the pinned one: it answers for the pinned version."""
    tools = tmp_path / "tools"
    tools.mkdir()
    pinned = '[ "$1" = version ] && { echo "etcdutl version: 3.6.14"; exit 0; }'
    (tools / "etcdutl").write_text(f'#!/bin/sh\n{pinned}\nexec {ETCD_BIN}/etcdutl "$@"\n')
    (tools / "etcdutl").chmod(0o755)


# What a new single control plane decides, then the restore it runs for "restore".
DECIDE = 'path=$(first_control_plane_path) && echo "path=$path"'
RESTORE = f'{DECIDE} && restore_newest_snapshot "$(mktemp -d)"'


@pytest.mark.slow  # needs Debian's etcd packages (a download)
def test_a_new_control_plane_restores_the_cluster_from_the_newest_snapshot(tmp_path):
    make_etcd_pki(tmp_path / "pki")
    old = Etcd(tmp_path / "old-data", tmp_path / "pki")
    try:
        old.ctl("put", "/registry/namespaces/kube-system", "uid-3f1c2a9e")
        revision = json.loads(old.ctl("get", "/registry/namespaces/kube-system", "-w", "json"))["header"]["revision"]
        snapshot = tmp_path / "s3" / "lab-etcd-backups" / "etcd" / "latest.db"
        snapshot.parent.mkdir(parents=True)
        old.ctl("snapshot", "save", str(snapshot))
    finally:
        old.stop()
    tools_of_the_pinned_version(tmp_path)
    peer_port = free_port()
    env = restore_env(tmp_path, NODE_IP="127.0.0.1", ETCD_PEER_PORT=str(peer_port))
    result = run_function(SCRIPT, RESTORE, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "path=restore"
    assert "restored etcd from s3://lab-etcd-backups/etcd/latest.db" in result.stderr

    data_dir = Path(env["ETCD_DATA_DIR"])
    member = Etcd(data_dir, tmp_path / "pki", name="lab-control-plane", peer_port=peer_port)
    try:
        assert member.ctl("get", "/registry/namespaces/kube-system", "--print-value-only").strip() == "uid-3f1c2a9e"
        assert "https://127.0.0.1:" in member.ctl("member", "list")
        # Revisions go on far past the snapshot's, and what came before is compacted: a watch that
        # survived the restore is told to list again, instead of seeing revisions go backwards.
        restored = json.loads(member.ctl("get", "/registry/namespaces/kube-system", "-w", "json"))["header"]["revision"]
        assert restored >= revision + 1_000_000_000
        with pytest.raises(AssertionError, match="required revision has been compacted"):
            member.ctl("get", "/registry/namespaces/kube-system", f"--rev={revision}")
    finally:
        member.stop()


def test_without_a_snapshot_a_new_cluster_is_built(tmp_path):
    (tmp_path / "s3" / "lab-etcd-backups").mkdir(parents=True)
    result = run_function(SCRIPT, DECIDE, **restore_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "path=new"


def test_a_bucket_that_cannot_be_asked_builds_nothing(tmp_path):
    result = run_function(SCRIPT, DECIDE, **restore_env(tmp_path, S3_DOWN="1"))
    assert result.returncode != 0 and "path=" not in result.stdout
    assert result.stderr.count("could not ask s3://lab-etcd-backups for snapshots") == 2
    assert "not building a new cluster" in result.stderr


@pytest.mark.parametrize("path, ignored", [("restore", True), ("new", False)])
def test_kubeadm_init_accepts_the_restored_data_directory_only_after_a_restore(tmp_path, path, ignored):
    env = restore_env(tmp_path, CALLS=str(tmp_path / "calls.log"))
    result = run_function(SCRIPT, f"run_kubeadm_init {path}", **env)
    assert result.returncode == 0, result.stderr
    (init,) = [c for c in (tmp_path / "calls.log").read_text().splitlines() if c.startswith("kubeadm init")]
    assert ("--ignore-preflight-errors=DirAvailable--var-lib-etcd" in init) is ignored
