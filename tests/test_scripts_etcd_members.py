"""The etcd membership checks of the readiness gate and of a control plane's removal, against a real
etcd (Debian's etcd-server and etcd-client) with TLS client authentication, as kubeadm runs it."""

import pytest

from tests.etcd import Etcd, make_etcd_pki, tool_path
from tests.shell import run_function

pytestmark = pytest.mark.slow  # needs Debian's etcd packages (a download)


@pytest.fixture
def etcd(tmp_path):
    make_etcd_pki(tmp_path / "pki")
    member = Etcd(tmp_path / "data", tmp_path / "pki", name="lab-control-plane")
    yield member
    member.stop()


def gate_env(tmp_path, etcd, members: str) -> dict:
    return {
        "NODE_NAMES": "lab-control-plane",
        "TIMEOUT_SECONDS": "5",
        "ADMIN_KUBECONFIG": "k",
        "ETCD_MEMBERS": members,
        "ETCD_ENDPOINT": etcd.endpoint,
        "KUBERNETES_PKI_DIR": str(tmp_path / "pki"),
        "PATH": tool_path(),
    }


@pytest.mark.parametrize(
    "members, whole", [("lab-control-plane", True), ("lab-control-plane lab-control-plane-2", False), ("x", False)]
)
def test_the_gate_accepts_exactly_the_control_planes_as_healthy_members(tmp_path, etcd, members, whole):
    result = run_function(
        "bootstrap/wait-for-cluster.sh", "etcd_is_whole_and_healthy", **gate_env(tmp_path, etcd, members)
    )
    assert (result.returncode == 0) is whole, result.stderr


def test_a_member_that_is_not_there_is_not_removed(tmp_path, etcd):
    result = run_function(
        "bootstrap/wait-for-cluster.sh",
        "remove_etcd_member lab-control-plane-9 && etcd_member_names",
        **gate_env(tmp_path, etcd, "lab-control-plane"),
    )
    assert result.returncode == 0, result.stderr
    assert "etcd has no member lab-control-plane-9" in result.stderr
    assert result.stdout.split() == ["lab-control-plane"]


def test_the_member_of_the_machine_that_stays_is_kept(tmp_path, etcd):
    result = run_function(
        "bootstrap/wait-for-cluster.sh",
        "remove_etcd_member lab-control-plane 127.0.0.1 && etcd_member_names",
        **gate_env(tmp_path, etcd, "lab-control-plane"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["lab-control-plane"]
