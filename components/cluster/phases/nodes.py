"""The first step on every node: wait until cloud-init has prepared it."""

from __future__ import annotations

from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render


def wait_for_cloud_init(run: StepRunner, node: NodeInfo) -> remote.Command:
    """Retries SSH while the node boots; fails with cloud-init's own report when preparation failed."""
    return run.run(
        Step(
            f"{node.name}-cloud-init",
            node,
            render("bootstrap/wait-for-cloud-init.sh"),
            triggers=[node.instance.id],
            booting_node=True,
            timeout="30m",
        )
    )
