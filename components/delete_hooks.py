"""What a remote step does when it is deleted: the script that undoes it, and when that is skipped.

A step with a delete hook undoes its work before a replacement is created (`delete_before_replace`),
and its hook is skipped when the control-plane instance goes too (`deleted_with`): `pulumi destroy`
removes the whole cluster, so it need not reach hosts that may already be gone. On scale-down the
hooks run, newest step first: the control plane drains and deletes the Node, then the node resets.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.script_rendering import render


@dataclass(frozen=True)
class DeleteHook:
    script: str  # rendered, runs as root on the step's node


def reset_node() -> DeleteHook:
    """kubeadm reset and the CNI's leftovers, on the node itself."""
    return DeleteHook(render("bootstrap/kubeadm-reset.sh"))


def remove_node(node_name: str) -> DeleteHook:
    """Drain and delete a Node object, on the control plane."""
    return DeleteHook(render("bootstrap/remove-node.sh", NODE_NAME=node_name))


def restore_control_plane_taint(node_name: str) -> DeleteHook:
    return DeleteHook(render("bootstrap/control-plane-taint.sh", NODE_NAME=node_name, TAINT_ACTION="restore"))


def options(hook: DeleteHook | None, cluster_lifetime: pulumi.Resource) -> dict:
    """The resource options that give a delete hook the behaviour described above."""
    if hook is None:
        return {}
    return {"delete_before_replace": True, "deleted_with": cluster_lifetime}
