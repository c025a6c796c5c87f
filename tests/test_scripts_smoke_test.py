"""scripts/bootstrap/smoke-test.sh, run by bash against a stand-in API server (tests/kubectl_stand_in.py):
what it checks, the message that names each check that failed, and that it removes what it created."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.cluster.phases import smoke_test
from components.cluster.script_rendering import render
from tests.kubectl_stand_in import FakeCluster

NODES = ["lab-control-plane", "lab-worker-1", "lab-worker-2"]
NAMESPACE = smoke_test.NAMESPACE


def a_test_pod(node: str, ip: str, ready: bool = True) -> dict:
    return {
        "metadata": {"name": f"smoke-test-{node[-1]}", "namespace": NAMESPACE, "labels": {"app": "smoke-test"}},
        "spec": {"nodeName": node},
        "status": {"podIP": ip, "containerStatuses": [{"ready": ready}]},
    }


PODS = [a_test_pod(node, f"10.244.{i}.5") for i, node in enumerate(NODES)]
BOUND = {"metadata": {"name": "volume-check", "namespace": NAMESPACE}, "status": {"phase": "Bound"}}


def web_answers(pods: list[dict], unreachable: str | None = None) -> list:
    """Each pod's page answers with its node's name, but the pod on `unreachable`."""
    answers = []
    for pod in pods:
        node, address = pod["spec"]["nodeName"], pod["status"]["podIP"]
        page = "" if node == unreachable else node + "\n"
        answers.append((re.escape(f"http://{address}:8080/"), 1 if node == unreachable else 0, page))
    return answers


def smoke(tmp_path: Path, pods=PODS, claim=BOUND, answers=(), nodes=NODES, with_volume=True) -> tuple:
    cluster = FakeCluster(
        tmp_path,
        {"pods": pods, "persistentvolumeclaims": [claim]},
        [*answers, *web_answers(pods)],
    )
    script = render(
        "bootstrap/smoke-test.sh",
        NAMESPACE=NAMESPACE,
        WORKLOAD=smoke_test.workload(),
        VOLUME_CHECK=smoke_test.volume_check() if with_volume else "none",
        NODE_NAMES=" ".join(nodes),
    )
    result = cluster.run(script)
    return result, cluster, " ".join(result.stderr.split())


def test_a_working_cluster_passes_every_check(tmp_path):
    result, cluster, _ = smoke(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "smoke test passed: a pod on each of 3 node(s), cluster DNS, pod to pod across nodes, "
        "a volume bound and mounted"
    )
    calls = cluster.calls()
    assert f"kubectl -n {NAMESPACE} exec smoke-test-e -- nslookup kubernetes.default.svc.cluster.local" in calls
    # A ring: every node's pod fetches the next node's page.
    fetched = [c.split()[4] + " -> " + c.split()[-1] for c in calls if " wget " in c]
    assert fetched == [
        "smoke-test-e -> http://10.244.1.5:8080/",
        "smoke-test-1 -> http://10.244.2.5:8080/",
        "smoke-test-2 -> http://10.244.0.5:8080/",
    ]


def test_what_it_created_is_removed_before_and_after(tmp_path):
    _, cluster, _ = smoke(tmp_path)
    calls = cluster.calls()
    removals = [i for i, c in enumerate(calls) if c.startswith(f"kubectl delete namespace {NAMESPACE}")]
    applies = [i for i, c in enumerate(calls) if c.startswith("kubectl apply")]
    assert len(removals) == 2 and removals[0] < min(applies) and removals[1] == len(calls) - 1


def test_a_node_without_a_ready_pod_is_named(tmp_path):
    pods = [PODS[0], PODS[1], a_test_pod(NODES[2], "10.244.2.5", ready=False)]
    result, _, message = smoke(tmp_path, pods=pods)
    assert result.returncode == 1
    assert "smoke test failed: no test pod became ready within 180s on node(s): lab-worker-2" in message


def test_cluster_dns_that_does_not_answer_is_named(tmp_path):
    result, _, message = smoke(tmp_path, answers=[("exec .* nslookup ", 1, "")])
    assert result.returncode == 1
    assert "a pod on lab-control-plane could not resolve kubernetes.default through cluster DNS" in message


def test_a_pod_network_that_does_not_cross_nodes_is_named(tmp_path):
    answers = web_answers(PODS, unreachable="lab-worker-2")
    result, _, message = smoke(tmp_path, answers=answers)
    assert result.returncode == 1
    assert "a pod on lab-worker-1 could not reach the pod on lab-worker-2 (10.244.2.5) over the pod network" in message
    assert "could not reach the pod on lab-worker-1" not in message


@pytest.mark.parametrize(
    "phase, said",
    [
        ("Pending", "the PersistentVolumeClaim did not bind within 240s (phase Pending"),
        ("Bound", "the PersistentVolumeClaim bound, but a pod could not mount, write and read it"),
    ],
)
def test_a_volume_that_does_not_bind_or_mount_is_named(tmp_path, phase, said):
    claim = {**BOUND, "status": {"phase": phase}}
    result, _, message = smoke(tmp_path, claim=claim, answers=[("^-n \\S+ wait .*pod/volume-check", 1, "")])
    assert result.returncode == 1
    assert said in message


def test_every_failure_is_reported_at_once(tmp_path):
    answers = [("exec .* nslookup ", 1, ""), ("^-n \\S+ wait .*pod/volume-check", 1, "")]
    result, _, message = smoke(tmp_path, answers=answers)
    assert result.returncode == 1
    assert message.count("smoke test failed:") == 2


def test_one_node_skips_pod_to_pod_and_without_aws_there_is_no_volume(tmp_path):
    result, cluster, _ = smoke(tmp_path, pods=PODS[:1], nodes=NODES[:1], with_volume=False)
    assert result.returncode == 0, result.stderr
    assert "one node: no pod on another node to reach" in result.stdout
    assert result.stdout.strip().endswith("smoke test passed: a pod on each of 1 node(s), cluster DNS")
    assert not [c for c in cluster.calls() if "volume-check" in c]
