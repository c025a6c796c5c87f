"""The failure matrix: each node step, exactly as the program renders it with its stdin, run on a new
machine (tests/fresh_node.py) in each case a real node meets: new, re-run after success, first attempt
failing halfway, a half-done earlier run, the API server away for a while or for long. Every cell ends
with the step complete, or failed with the node's own message and every file on the node as it was:
never a reset of a healthy node, never an etcd member removed without its replacement joining."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.fresh_node import Cluster, Node
from tests.graph import cluster as program_run
from tests.harness import run_program, stack_config
from tests.mocks import join_token_for
from tests.remote import script_of

# How long the join steps wait for an API server that does not answer before they give up, and the
# backoff between join attempts (scripts/lib/join.sh), on the stand-ins' clock.
API_WAIT_SECONDS = 300
SHORT_OUTAGE, LONG_OUTAGE = 40, 3600


@functools.cache
def ha_run():
    return run_program(stack_config(controlPlaneCount=3, allowedCidrs=["203.0.113.7/32"]))


@dataclass(frozen=True)
class StepUnderTest:
    """A node step as the program renders it: where it runs and what says it is done."""

    name: str  # the command resource
    node: str
    program: Callable
    control_plane: bool = False

    def command(self):
        return self.program().named(self.name)

    def cluster(self, tmp_path) -> Cluster:
        """The cluster it joins: the stack's CA, the node's token, the first control plane registered."""
        run = self.program()
        ca = run.named("pki-ca").state["certPem"]
        found = Cluster(tmp_path / "cluster", ca, tokens=(join_token_for(f"{self.node}-join-token"),))
        found.save("nodes", [{"metadata": {"name": "kubeadm-lab-control-plane"}}])
        found.save("etcd-members", [{"name": "kubeadm-lab-control-plane"}])
        return found

    def run(self, node: Node):
        command = self.command()
        return node.run(script_of(command.inputs["create"]), command.inputs["stdin"])

    def done(self, cluster: Cluster, node: Node) -> bool:
        joined = self.node in cluster.nodes() and node.has("/etc/kubernetes/kubelet.conf")
        if self.control_plane:
            joined = joined and self.node in cluster.etcd_members() and node.has("/home/ubuntu/.kube/config")
        return joined


STEPS = [
    StepUnderTest("kubeadm-lab-worker-1-join", "kubeadm-lab-worker-1", program_run),
    StepUnderTest("kubeadm-lab-control-plane-2-join", "kubeadm-lab-control-plane-2", ha_run, control_plane=True),
]


def files(node: Node) -> dict[str, str]:
    return {path: state for path, state in node.disk().items() if not state.startswith("dir")}


def new_node(step, cluster, node):
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.done(cluster, node)


def rerun_after_success(step, cluster, node):
    assert step.run(node).returncode == 0
    before, calls = files(node), len(cluster.calls("kubeadm"))
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "already joined" in result.stdout
    assert files(node) == before and cluster.calls("kubeadm")[calls:] == []


def first_attempt_fails_halfway(step, cluster, node):
    # kubeadm writes the kubelet's kubeconfigs, then times out waiting for its TLS bootstrap.
    cluster.fault("kubeadm", "kubelet-bootstrap")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert "failed (attempt 1 of 3)" in result.stderr and "joined the cluster (attempt 2)" in result.stdout
    assert step.done(cluster, node)


def half_done_earlier_run(step, cluster, node):
    # An earlier run stopped after kubeadm wrote the kubelet's kubeconfig, before any reset (the SSH
    # session dropped): the cluster does not know the node.
    cluster.fault("kubeadm", "connection-lost")
    interrupted = step.run(node)
    assert interrupted.returncode != 0 and node.has("/etc/kubernetes/kubelet.conf")
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.done(cluster, node)


def api_away_briefly_on_a_new_node(step, cluster, node):
    cluster.away(SHORT_OUTAGE)
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert step.done(cluster, node)


def api_away_briefly_on_a_joined_node(step, cluster, node):
    assert step.run(node).returncode == 0
    before = files(node)
    cluster.away(SHORT_OUTAGE)
    result = step.run(node)
    assert result.returncode == 0, result.stderr
    assert files(node) == before and "already joined" in result.stdout


def api_away_long_on_a_joined_node(step, cluster, node):
    # The node is healthy; only its API server is away: the step fails and touches nothing.
    assert step.run(node).returncode == 0
    before, members = files(node), cluster.etcd_members()
    cluster.away(LONG_OUTAGE)
    result = step.run(node)
    assert result.returncode != 0
    assert f"did not answer within {API_WAIT_SECONDS}s" in result.stderr
    assert files(node) == before and cluster.etcd_members() == members
    assert cluster.calls("kubeadm reset") == [] and cluster.calls("kubeadm join")[1:] == []


def api_away_long_on_a_new_node(step, cluster, node):
    # Every attempt fails; the node is left as new, for the next pulumi up to retry.
    before = files(node)
    cluster.away(LONG_OUTAGE)
    result = step.run(node)
    assert result.returncode != 0 and "connection refused" in result.stderr
    assert files(node) == before
    assert step.node not in cluster.etcd_members()


CASES = [
    new_node,
    rerun_after_success,
    first_attempt_fails_halfway,
    half_done_earlier_run,
    api_away_briefly_on_a_new_node,
    api_away_briefly_on_a_joined_node,
    api_away_long_on_a_joined_node,
    api_away_long_on_a_new_node,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.replace("_", "-") for c in CASES])
@pytest.mark.parametrize("step", STEPS, ids=[s.name.removeprefix("kubeadm-lab-") for s in STEPS])
def test_node_step(tmp_path, step, case):
    cluster = step.cluster(tmp_path)
    node = Node(tmp_path, cluster, step.node)
    case(step, cluster, node)
