"""Upgrades by one Kubernetes minor, in place: the control plane first (an etcd snapshot, then
`kubeadm upgrade apply`), then the other nodes one at a time (drain, `kubeadm upgrade node`, uncordon,
Ready). Every step is keyed by the target minor, so a new `kubernetesVersion` runs them again; at the
target minor they change nothing, so a node created at the new minor passes straight through.

Where they sit in the chain. The first control plane's upgrade comes before anything joins (a node
created at a new minor joins a control plane already there), and the readiness gate waits for it. The
walk over the other nodes comes after the gate and the smoke test, off the path to Ready:

- At creation, and when a node is replaced, every node reaches Ready through its own join, so the gate
  and the kubeconfig come as soon with 20 workers as with 2; the walk then passes each node in a few
  seconds, as it finds nothing to do.
- On a version change the gate and the smoke test do not run again (their triggers are the nodes and
  the cluster, not the minor), and the walk keeps the upgrade's order: snapshot and control plane,
  then one node at a time, each drain honouring PodDisruptionBudgets, each node Ready before the next.
- The walk never runs beside the smoke test, whose pods a drain would evict.

One rolling step on the first control plane would take the walk to a single step, but it would reach
every node over SSH from there and re-run the whole walk for any new node; per-node steps keep each
node's upgrade its own retryable task, run on the node it changes."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render
from components.facts import BACKUP_UNIT

UPGRADE_TIMEOUT = "40m"


def upgrade_control_plane(
    run: StepRunner, node: NodeInfo, *, target_minor: str, after: Sequence[pulumi.Resource]
) -> remote.Command:
    script = render(
        "bootstrap/upgrade-control-plane.sh", NODE_NAME=node.name, TARGET_MINOR=target_minor, BACKUP_UNIT=BACKUP_UNIT
    )
    return run.run(
        Step(
            f"{node.name}-upgrade",
            node,
            script,
            triggers=[node.instance.id, target_minor],
            after=after,
            timeout=UPGRADE_TIMEOUT,
        )
    )


def upgrade_node(
    run: StepRunner, node: NodeInfo, *, control_plane: NodeInfo, target_minor: str, after: Sequence[pulumi.Resource]
) -> remote.Command:
    """Drain on the first control plane, `kubeadm upgrade node` on the node (a worker, or a control plane
    after the first), uncordon on the first control plane; returns the last."""
    triggers = [node.instance.id, target_minor]
    variables = {"NODE_NAME": node.name, "TARGET_MINOR": target_minor}
    drain = run.run(
        Step(
            f"{node.name}-drain-for-upgrade",
            control_plane,
            render("bootstrap/drain-for-upgrade.sh", **variables),
            triggers=triggers,
            after=after,
        )
    )
    upgrade = run.run(
        Step(
            f"{node.name}-upgrade",
            node,
            render("bootstrap/upgrade-node.sh", **variables),
            triggers=triggers,
            after=[drain],
            timeout=UPGRADE_TIMEOUT,
        )
    )
    return run.run(
        Step(
            f"{node.name}-uncordon-after-upgrade",
            control_plane,
            render("bootstrap/uncordon-after-upgrade.sh", **variables),
            triggers=triggers,
            after=[upgrade],
        )
    )


def upgrade_nodes_in_turn(
    run: StepRunner,
    nodes: Sequence[NodeInfo],
    *,
    control_plane: NodeInfo,
    target_minor: str,
    joined: Sequence[pulumi.Resource],
    after: Sequence[pulumi.Resource],
) -> list[remote.Command]:
    """Node n+1 waits for node n to be back; each waits for its own join."""
    done: list[remote.Command] = []
    for node, node_joined in zip(nodes, joined, strict=True):
        previous = done[-1:] or list(after)
        done.append(
            upgrade_node(
                run, node, control_plane=control_plane, target_minor=target_minor, after=[*previous, node_joined]
            )
        )
    return done
