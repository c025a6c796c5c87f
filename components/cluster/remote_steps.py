"""A remote step is data: the node it runs on, its script, what it waits for, what makes it run again,
and how it is undone. `StepRunner.run` turns every step into a pulumi-command resource the same way.

Each step's output feeds the next, so `pulumi up` stops at the first failure with the node's own
message. A step that carries a token or a key takes it on stdin, logs nothing and keeps its output
secret: pulumi-command puts the command text and its output in an error message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster import delete_hooks
from components.cluster.connection import ssh_to
from components.cluster.delete_hooks import DeleteHook
from components.cluster.script_rendering import as_root, render

DELETE_TIMEOUT = "10m"


@dataclass(frozen=True)
class Step:
    name: str
    node: NodeInfo  # where the script runs
    script: pulumi.Input[str]  # rendered (components/cluster/script_rendering.py)
    stdin: pulumi.Input[str] | None = None  # secrets go here, never into the script
    triggers: Sequence[pulumi.Input] = ()  # any change replaces the step, so it runs again
    after: Sequence[pulumi.Resource] = ()  # the steps and resources it waits for
    delete: DeleteHook | None = None
    secret_output: bool = False
    booting_node: bool = False  # the node's first step, or one that may find it starting: dial until it answers
    timeout: str = "15m"


def render_following(
    name: str, node: NodeInfo, cluster_id: pulumi.Input[str], **variables: object
) -> pulumi.Output[str]:
    """Script `name` rendered with `node`'s instance id and the cluster's identity (NODE_INSTANCE_ID,
    CLUSTER_ID): a new machine or a cluster built anew changes the script, so the step runs again in
    place, without the replacement that would run its delete hook first."""
    return pulumi.Output.all(node.instance.id, cluster_id).apply(
        lambda ids: render(name, NODE_INSTANCE_ID=ids[0], CLUSTER_ID=ids[1], **variables)
    )


class StepRunner:
    """Builds the remote command of each step, as a child of the bootstrap component."""

    def __init__(self, parent: pulumi.Resource, ssh_private_key: pulumi.Input[str], control_plane: NodeInfo):
        self._parent = parent
        self._ssh_private_key = ssh_private_key
        self._control_plane = control_plane  # workers are reached through it
        self._cluster_lifetime = control_plane.instance  # delete hooks are skipped when this goes

    def run(self, step: Step) -> remote.Command:
        hook = step.delete
        through = None if step.node is self._control_plane else self._control_plane
        return remote.Command(
            step.name,
            connection=ssh_to(step.node, self._ssh_private_key, booting=step.booting_node, through=through),
            create=pulumi.Output.from_input(step.script).apply(as_root),
            delete=pulumi.Output.from_input(hook.script).apply(as_root) if hook else None,
            stdin=step.stdin,
            triggers=list(step.triggers) or None,
            logging=remote.Logging.NONE if step.secret_output else remote.Logging.STDOUT_AND_STDERR,
            add_previous_output_in_env=False,
            opts=pulumi.ResourceOptions(
                parent=self._parent,
                depends_on=list(step.after),
                custom_timeouts=pulumi.CustomTimeouts(create=step.timeout, update=step.timeout, delete=DELETE_TIMEOUT),
                additional_secret_outputs=["stdout", "stderr"] if step.secret_output else None,
                **delete_hooks.options(hook, self._cluster_lifetime),
            ),
        )
