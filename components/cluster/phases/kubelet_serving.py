"""Kubelet serving certificates from the cluster CA: an approver on the control plane, and on every node
a step that sees its kubelet serve with one (the API server verifies them)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner, render_following
from components.cluster.script_rendering import render
from components.facts import KUBELET_SERVING_UNIT, NODE_PREP_DIR

SERVING_CERTIFICATE_TIMEOUT_SECONDS = 300


def install_approver(
    run: StepRunner, control_plane: NodeInfo, *, service_cidr: str, pod_cidr: str, after: remote.Command
) -> remote.Command:
    """No node asks for an address in the service or pod range: the approver refuses those."""
    script = render(
        "bootstrap/install-kubelet-serving-approver.sh",
        APPROVER_SCRIPT=render("bootstrap/approve-kubelet-serving.sh", SERVICE_CIDR=service_cidr, POD_CIDR=pod_cidr),
        UNIT=KUBELET_SERVING_UNIT,
        TOOLS_DIR=NODE_PREP_DIR,
    )
    return run.run(
        Step(
            f"{control_plane.name}-kubelet-serving-approver",
            control_plane,
            script,
            triggers=[control_plane.instance.id],
            after=[after],
        )
    )


def serving_certificate(
    run: StepRunner, node: NodeInfo, *, cluster_id: pulumi.Input[str], after: Sequence[pulumi.Resource]
) -> remote.Command:
    """Runs again for a new machine or a cluster built anew."""
    script = render_following(
        "bootstrap/kubelet-serving-certificate.sh",
        node,
        cluster_id,
        NODE_NAME=node.name,
        TIMEOUT_SECONDS=SERVING_CERTIFICATE_TIMEOUT_SECONDS,
    )
    return run.run(Step(f"{node.name}-serving-certificate", node, script, after=after))
