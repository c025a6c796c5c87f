"""scripts/bootstrap/remove-aws-resources.sh, run by bash against a stand-in API server
(tests/kubectl_stand_in.py) whose controllers remove a deleted Service's load balancer and a deleted
claim's volume, unless told that AWS is slow; the script's jsonpath runs in the real kubectl."""

from __future__ import annotations

from pathlib import Path

from components.cluster.script_rendering import render
from tests.kubectl_stand_in import FakeCluster


def service(namespace, name, type_):
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"type": type_}}


def claim(namespace, name):
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {}}


def pod(namespace, name, claims=()):
    volumes = [{"name": "tmp", "emptyDir": {}}] + [
        {"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims
    ]
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"containers": [], "volumes": volumes}}


def volume(name, claim_name, policy="Delete", driver="ebs.csi.aws.com"):
    return {
        "metadata": {"name": name},
        "spec": {
            "persistentVolumeReclaimPolicy": policy,
            "claimRef": {"name": claim_name},
            "csi": {"driver": driver, "volumeHandle": f"vol-{name}"},
        },
    }


CLUSTER = {
    "services": [
        service("default", "kubernetes", "ClusterIP"),
        service("shop", "web", "LoadBalancer"),
        service("shop", "admin", "NodePort"),
        service("kube-system", "kube-dns", "ClusterIP"),
    ],
    "persistentvolumeclaims": [claim("shop", "pages"), claim("shop", "archive")],
    "pods": [pod("shop", "web-0", ["pages"]), pod("shop", "cache-1"), pod("kube-system", "coredns-1")],
    "persistentvolumes": [volume("pv-pages", "pages"), volume("pv-archive", "archive", policy="Retain")],
    "nodes": [{"metadata": {"name": "lab-control-plane"}}, {"metadata": {"name": "lab-worker-1"}}],
}


# admin.conf of an HA cluster: its endpoint is the internal load balancer, which destroy may be removing.
ADMIN_CONF = """apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://internal-api-0123.elb.ap-south-1.amazonaws.com:6443
  name: lab
"""
OWN_API_SERVER = "https://10.0.0.5:6443"


def cleanup_script(tmp_path: Path, mode: str) -> str:
    admin = tmp_path / "admin.conf"
    admin.write_text(ADMIN_CONF)
    admin.chmod(0o600)
    return render(
        "bootstrap/remove-aws-resources.sh", MODE=mode, API_SERVER=OWN_API_SERVER, ADMIN_KUBECONFIG=str(admin)
    )


def run_cleanup(tmp_path: Path, mode: str = "remove", answers=(), slow=(), **env) -> tuple:
    cluster = FakeCluster(tmp_path, CLUSTER, answers, slow)
    return cluster.run(cleanup_script(tmp_path, mode), POLL_SECONDS="0", **env), cluster


def test_every_call_goes_to_the_nodes_own_api_server_not_to_the_clusters_endpoint(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result, cluster = run_cleanup(tmp_path, TMPDIR=str(scratch))
    assert result.returncode == 0, result.stderr
    assert cluster.servers() and set(cluster.servers()) == {f"server: {OWN_API_SERVER}"}
    assert len(cluster.servers()) == len(cluster.calls())
    # The copy it made of admin.conf (the admin's key) is gone, and admin.conf is as it was.
    assert list(scratch.iterdir()) == []
    assert (tmp_path / "admin.conf").read_text() == ADMIN_CONF


def test_load_balancers_and_claims_go_and_the_cluster_waits_until_aws_removed_them(tmp_path):
    result, cluster = run_cleanup(tmp_path)
    assert result.returncode == 0, result.stderr
    assert cluster.calls("kubectl delete") == [
        "kubectl delete service -n shop web --wait=false --ignore-not-found",
        "kubectl delete persistentvolumeclaim -n shop pages --wait=false --ignore-not-found",
        "kubectl delete persistentvolumeclaim -n shop archive --wait=false --ignore-not-found",
        "kubectl delete pod -n shop web-0 --wait=false --ignore-not-found",
    ]
    assert cluster.names("services") == ["kubernetes", "admin", "kube-dns"]
    assert cluster.names("persistentvolumes") == ["pv-archive"]
    assert "kept (reclaim policy Retain): PersistentVolume pv-archive, EBS volume vol-pv-archive" in result.stdout
    assert result.stdout.strip().endswith("no load balancer or volume of the cluster is left in AWS")


def test_every_node_is_cordoned_before_anything_is_deleted(tmp_path):
    _, cluster = run_cleanup(tmp_path)
    log = cluster.calls()
    cordon = log.index("kubectl cordon node/lab-control-plane node/lab-worker-1")
    assert cordon < min(i for i, c in enumerate(log) if c.startswith("kubectl delete"))


def test_what_aws_has_not_removed_in_time_fails_the_destroy_by_name(tmp_path):
    slow = ["services/web", "persistentvolumes/pv-pages"]
    result, _ = run_cleanup(tmp_path, slow=slow, WAIT_SECONDS="0")
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "AWS has not yet removed, after 0s: Service shop/web (its load balancer)" in message
    assert "PersistentVolume pv-pages (EBS volume vol-pv-pages)" in message
    assert "Run pulumi destroy again to wait longer" in message


def test_an_api_server_that_does_not_answer_is_reported_and_not_waited_for(tmp_path):
    result, cluster = run_cleanup(tmp_path, answers=[("^get --raw /readyz", 1, "")])
    assert result.returncode == 0
    assert "the API server does not answer" in result.stderr
    assert cluster.calls("kubectl delete") == []


def test_a_second_run_finds_nothing_to_delete(tmp_path):
    result, cluster = run_cleanup(tmp_path)
    assert result.returncode == 0
    again = cluster.run(cleanup_script(tmp_path, "remove"), POLL_SECONDS="0")
    assert again.returncode == 0, again.stderr
    assert cluster.calls("kubectl delete") == []


def test_creating_the_step_changes_nothing(tmp_path):
    result, cluster = run_cleanup(tmp_path, mode="announce")
    assert result.returncode == 0 and "at pulumi destroy, this step deletes" in result.stdout
    assert cluster.calls() == []
