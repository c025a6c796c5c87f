"""etcd backups against a real etcd (Debian's etcd-server and etcd-client) with TLS client
authentication, as kubeadm runs it: write keys, snapshot them with scripts/bootstrap/etcd-backup.sh into
a stand-in S3 (a folder; the AWS CLI is the only stand-in), restore the newest into a fresh data
directory, start etcd on it and read the keys back."""

from pathlib import Path

import pytest

from tests.etcd import Etcd, free_port, make_etcd_pki, tool_path
from tests.shell import run_function, stand_in

pytestmark = pytest.mark.slow  # needs Debian's etcd packages (a download)

SCRIPT = "bootstrap/etcd-backup.sh"

# `aws s3 cp SRC DST`, where s3://BUCKET/KEY is the file $S3_ROOT/BUCKET/KEY.
STAND_IN_AWS = r"""
[ "$1 $2" = "s3 cp" ] || exit 2
to_path() { case "$1" in s3://*) echo "$S3_ROOT/${1#s3://}" ;; *) echo "$1" ;; esac; }
from=$(to_path "$3"); to=$(to_path "$4")
if [ ! -f "$from" ]; then
  echo "fatal error: An error occurred (404) when calling the HeadObject operation: Not Found" >&2
  exit 1
fi
mkdir -p "$(dirname "$to")" && cp "$from" "$to"
"""

KEYS = {"/registry/namespaces/kube-system": "uid-3f1c2a9e", "/registry/configmaps/default/page": "hello"}


@pytest.fixture
def pki(tmp_path):
    make_etcd_pki(tmp_path / "pki")
    return tmp_path / "pki"


def variables(tmp_path: Path, pki: Path, endpoint: str, aws_body: str = STAND_IN_AWS, **extra) -> dict:
    path = tool_path(Path(stand_in(tmp_path / "bin", "aws", aws_body).split(":")[0]))
    return {
        "NODE_NAME": "lab-control-plane",
        "BUCKET": "lab-etcd-backups",
        "PREFIX": "etcd",
        "AWS_REGION": "ap-south-1",
        "ETCD_ENDPOINT": endpoint,
        "KUBERNETES_PKI_DIR": str(pki),
        "S3_ROOT": str(tmp_path / "s3"),
        "CALLS": str(tmp_path / "calls.log"),
        "TMPDIR": str(tmp_path),
        "PATH": path,
        **extra,
    }


def backup(tmp_path: Path, pki: Path, endpoint: str, **options):
    env = variables(tmp_path, pki, endpoint, **options)
    return run_function(SCRIPT, "main", **env), env


def test_a_snapshot_round_trips_through_the_bucket_into_a_new_member(tmp_path, pki):
    etcd = Etcd(tmp_path / "data", pki)
    try:
        for key, value in KEYS.items():
            etcd.ctl("put", key, value)
        result, env = backup(tmp_path, pki, etcd.endpoint)
    finally:
        etcd.stop()
    assert result.returncode == 0, result.stderr

    bucket = tmp_path / "s3" / "lab-etcd-backups" / "etcd"
    (snapshot,) = (bucket / "snapshots").glob("*-lab-control-plane.db")
    latest = bucket / "latest.db"
    assert latest.read_bytes() == snapshot.read_bytes()
    assert f"etcd snapshot s3://lab-etcd-backups/etcd/snapshots/{snapshot.name} is also etcd/latest.db" in result.stdout
    assert not list(tmp_path.glob("tmp.*")), "the snapshot stayed on the node"

    # Restore as a replaced control plane does: a fresh data directory for one member, then etcd on it.
    peer_port = free_port()
    restored = tmp_path / "restored"
    restore = run_function(
        SCRIPT, f'restore_snapshot "{latest}" "{restored}" lab-control-plane http://127.0.0.1:{peer_port}', **env
    )
    assert restore.returncode == 0, restore.stderr
    member = Etcd(restored, pki, name="lab-control-plane", peer_port=peer_port)
    try:
        for key, value in KEYS.items():
            assert member.ctl("get", key, "--print-value-only").strip() == value
        assert "lab-control-plane" in member.ctl("member", "list")
    finally:
        member.stop()


def test_a_snapshot_that_cannot_be_uploaded_fails_and_does_not_stay_on_the_node(tmp_path, pki):
    etcd = Etcd(tmp_path / "data", pki)
    try:
        etcd.ctl("put", "k", "v")
        result, _ = backup(
            tmp_path, pki, etcd.endpoint, aws_body="echo 'upload failed: AccessDenied' >&2; exit 1", UPLOAD_ATTEMPTS="2"
        )
    finally:
        etcd.stop()
    assert result.returncode != 0
    assert result.stderr.count("uploading the snapshot failed") == 2
    assert not list(tmp_path.glob("tmp.*"))


def test_without_etcds_client_certificate_no_snapshot_is_taken(tmp_path, pki):
    etcd = Etcd(tmp_path / "data", pki)
    try:
        (pki / "etcd" / "healthcheck-client.key").write_text("not a key\n")
        result, _ = backup(tmp_path, pki, etcd.endpoint)
    finally:
        etcd.stop()
    assert result.returncode != 0
    assert not (tmp_path / "s3").exists()


def test_an_etcd_that_does_not_answer_fails_the_backup_in_bounded_time(tmp_path, pki):
    result, _ = backup(tmp_path, pki, f"https://127.0.0.1:{free_port()}", SNAPSHOT_TIMEOUT_SECONDS="3")
    assert result.returncode != 0 and "deadline exceeded" in result.stderr
    assert not (tmp_path / "s3").exists()


def test_etcdutl_checks_what_it_restores(tmp_path, pki):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a bolt database")
    env = variables(tmp_path, pki, "https://127.0.0.1:1")
    result = run_function(SCRIPT, f'restore_snapshot "{broken}" "{tmp_path}/r" n http://127.0.0.1:2380', **env)
    assert result.returncode != 0 and not (tmp_path / "r" / "member").exists()
