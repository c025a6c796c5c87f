"""The readiness gate: every node Ready, every control plane a healthy etcd member, and CoreDNS
available, checked on the first control plane."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render
from components.facts import CONTROL_PLANE, ETCD_LOCAL_ENDPOINT

READINESS_TIMEOUT_SECONDS = 900


def _wait_for_every_node(nodes: Sequence[NodeInfo]) -> str:
    names = " ".join(node.name for node in nodes)
    members = " ".join(node.name for node in nodes if node.role == CONTROL_PLANE)
    return render(
        "bootstrap/wait-for-cluster.sh",
        NODE_NAMES=names,
        TIMEOUT_SECONDS=READINESS_TIMEOUT_SECONDS,
        ETCD_MEMBERS=members,
        ETCD_ENDPOINT=ETCD_LOCAL_ENDPOINT,
    )


def readiness_gate(
    run: StepRunner,
    control_plane: NodeInfo,
    *,
    cluster_name: str,
    nodes: Sequence[NodeInfo],
    cluster_id: pulumi.Input[str],
    after: Sequence[pulumi.Resource],
) -> remote.Command:
    """Runs again whenever a node is replaced or the cluster is built anew."""
    return run.run(
        Step(
            f"{cluster_name}-ready",
            control_plane,
            _wait_for_every_node(nodes),
            triggers=[*(node.instance.id for node in nodes), cluster_id],
            after=after,
            timeout="20m",
        )
    )


def running_again(
    run: StepRunner,
    control_plane: NodeInfo,
    *,
    cluster_name: str,
    nodes: Sequence[NodeInfo],
    after: Sequence[pulumi.Resource],
) -> remote.Command:
    """Every node Ready on a running cluster. It is left out while the cluster is paused, so turning
    `paused` off creates it again: the nodes are started, and this waits for them (no other step runs)."""
    return run.run(
        Step(
            f"{cluster_name}-running",
            control_plane,
            _wait_for_every_node(nodes),
            after=after,
            booting_node=True,  # the control plane may be starting
            timeout="20m",
        )
    )
