"""scripts/bootstrap/kubeadm-join.sh, run by bash: whether a node has joined is decided by the CA its
kubelet trusts and whether the cluster knows its Node, and a failed join resets the node. The CA pins
are real (openssl against the program's own hash); kubeadm and kubectl are stand-ins."""

import base64
import subprocess
from pathlib import Path

import pytest

from components.cluster import pki
from tests.shell import run_function, stand_in

pytestmark = pytest.mark.needs("openssl")

SCRIPT = "bootstrap/kubeadm-join.sh"


def make_ca(tmp_path: Path, name: str) -> str:
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", f"/CN={name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert.read_text()


def env(tmp_path: Path, **overrides) -> dict:
    return {
        "NODE_NAME": "lab-worker-1",
        "ATTEMPTS": "1",
        "KUBELET_KUBECONFIG": str(tmp_path / "kubelet.conf"),
        "NODE_INSTANCE_ID": "i-0abc",
        "CLUSTER_ID": "3f1c2a9e",
        "LOG_FILE": str(tmp_path / "join.log"),
        "CALLS": str(tmp_path / "calls.log"),
        "NODE_ROOT": str(tmp_path / "root"),
        **overrides,
    }


@pytest.fixture
def cluster_ca(tmp_path):
    return make_ca(tmp_path, "kubernetes")


def write_kubelet_conf(tmp_path: Path, ca_pem: str) -> None:
    data = base64.b64encode(ca_pem.encode()).decode()
    (tmp_path / "kubelet.conf").write_text(
        f"apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {data}\n    server: https://cp:6443\n"
    )


def write_join_config(tmp_path: Path, ca_pem: str) -> Path:
    config = tmp_path / "join.yaml"
    config.write_text(f"discovery:\n  bootstrapToken:\n    caCertHashes:\n    - {pki.discovery_hash(ca_pem)}\n")
    return config


def join_state(tmp_path: Path, kubectl: str, **overrides) -> subprocess.CompletedProcess:
    config = tmp_path / "join.yaml"
    path = stand_in(tmp_path / "bin", "kubectl", kubectl)
    variables = env(tmp_path, PATH=path, **overrides)
    return run_function(SCRIPT, f'join_state "{variables["KUBELET_KUBECONFIG"]}" "{config}"', **variables)


def test_the_kubelets_ca_pin_is_kubeadms(tmp_path, cluster_ca):
    write_kubelet_conf(tmp_path, cluster_ca)
    result = run_function(SCRIPT, f'kubelet_ca_pin "{tmp_path}/kubelet.conf"', **env(tmp_path))
    assert result.stdout.strip() == pki.discovery_hash(cluster_ca)


def test_a_node_without_a_kubelet_kubeconfig_is_fresh(tmp_path, cluster_ca):
    write_join_config(tmp_path, cluster_ca)
    assert join_state(tmp_path, "exit 1").stdout.strip() == "fresh"


def test_a_node_of_this_ca_that_the_cluster_knows_has_joined(tmp_path, cluster_ca):
    write_kubelet_conf(tmp_path, cluster_ca)
    write_join_config(tmp_path, cluster_ca)
    assert join_state(tmp_path, "echo node/lab-worker-1").stdout.strip() == "joined"


def test_a_node_of_another_ca_is_stale(tmp_path, cluster_ca):
    write_kubelet_conf(tmp_path, make_ca(tmp_path, "another"))
    write_join_config(tmp_path, cluster_ca)
    assert join_state(tmp_path, "echo node/lab-worker-1").stdout.strip() == "stale"


def test_a_node_the_cluster_no_longer_knows_is_stale(tmp_path, cluster_ca):
    # A cluster built anew from the same CA, or one that removed the node.
    write_kubelet_conf(tmp_path, cluster_ca)
    write_join_config(tmp_path, cluster_ca)
    kubectl = 'echo "Error from server (NotFound): nodes \\"lab-worker-1\\" not found" >&2; exit 1'
    assert join_state(tmp_path, kubectl).stdout.strip() == "stale"


def test_an_unreachable_api_server_leaves_the_node_alone(tmp_path, cluster_ca):
    write_kubelet_conf(tmp_path, cluster_ca)
    write_join_config(tmp_path, cluster_ca)
    kubectl = 'echo "The connection to the server cp:6443 was refused" >&2; exit 1'
    result = join_state(tmp_path, kubectl, API_WAIT_SECONDS="0")
    assert result.returncode == 1 and "leaving lab-worker-1 as it is" in result.stderr
    assert "kubeadm reset" not in (tmp_path / "calls.log").read_text()


def test_a_join_that_fails_every_attempt_resets_the_node(tmp_path):
    (tmp_path / "root" / "etc" / "cni" / "net.d").mkdir(parents=True)
    kubeadm = 'case "$1" in join) echo "token 7f3k2a.0123456789abcdef rejected"; exit 1 ;; esac'
    variables = env(tmp_path, PATH=stand_in(tmp_path / "bin", "kubeadm", kubeadm))
    result = run_function(SCRIPT, "join_with_retries", **variables)
    assert result.returncode == 1
    assert "was reset so that the next pulumi up retries the join" in result.stderr
    assert "0123456789abcdef" not in result.stderr and "<redacted-token>" in result.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[0].startswith("kubeadm join --config") and "kubeadm reset --force" in calls
    assert not (tmp_path / "root" / "etc" / "cni" / "net.d").exists()
