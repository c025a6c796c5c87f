"""What a remote step does when it is deleted: the script that undoes it, and when that is skipped.

A step with a delete hook undoes its work before a replacement is created (`delete_before_replace`),
and its hook is skipped when the control-plane instance goes too (`deleted_with`): `pulumi destroy`
removes the whole cluster, so it need not reach hosts that may already be gone. On scale-down the
hooks run on the control plane, which is there: the worker is drained and its Node deleted, then the
machine is reset over SSH if it answers within a short wait, and skipped with a message if not.

A change of a step's `triggers` replaces it, and a replacement runs the old delete hook first. So a
step whose hook undoes work (removing a node, restoring a taint) names the instances and the cluster
it depends on in its script instead: a change runs the step again without undoing it.

One hook runs at `pulumi destroy` as well: the AWS cleanup, which removes the load balancers and
volumes the cluster's controllers created in AWS while those controllers still run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cluster.script_rendering import render
from components.facts import ETCD_LOCAL_ENDPOINT, LOGIN_USER


@dataclass(frozen=True)
class DeleteHook:
    script: pulumi.Input[str]  # rendered, runs as root on the step's node
    # Runs at `pulumi destroy` too: for what AWS created on the cluster's behalf outside the stack. Such
    # a step has no triggers, so nothing but a destroy (or a replacement asked for by hand) deletes it.
    at_destroy: bool = False


def reset_node_script() -> str:
    """kubeadm reset and the CNI's leftovers, run on the node itself."""
    return render("bootstrap/kubeadm-reset.sh")


def remove_node(
    node_name: str, node_ip: pulumi.Input[str], host_key: pulumi.Input[str], etcd_member: bool = False
) -> DeleteHook:
    """On the first control plane: drain and delete the Node, then reset the machine if it still answers
    (the step's stdin carries the SSH key for that), checking the machine's host key when it has one. For
    a control plane (`etcd_member`) the reset removes its etcd member; if the machine did not answer, the
    member is removed from the first control plane."""
    script = pulumi.Output.all(node_ip, host_key).apply(
        lambda values: render(
            "bootstrap/remove-node.sh",
            NODE_NAME=node_name,
            NODE_IP=values[0],
            NODE_HOST_KEY=values[1],
            LOGIN_USER=LOGIN_USER,
            RESET_SCRIPT=reset_node_script(),
            ETCD_MEMBER=node_name if etcd_member else "none",
            ETCD_ENDPOINT=ETCD_LOCAL_ENDPOINT,
        )
    )
    return DeleteHook(script)


def restore_control_plane_taint(node_name: str, cluster_id: pulumi.Input[str]) -> DeleteHook:
    script = pulumi.Output.from_input(cluster_id).apply(
        lambda identity: render(
            "bootstrap/control-plane-taint.sh", NODE_NAME=node_name, TAINT_ACTION="restore", CLUSTER_ID=identity
        )
    )
    return DeleteHook(script)


def remove_aws_resources(api_server: pulumi.Input[str]) -> DeleteHook:
    """On the control plane, through its own API server (`https://<private address>:6443`): the
    cluster's LoadBalancer Services and PersistentVolumeClaims, and a wait until AWS has removed their
    load balancers and volumes."""
    script = pulumi.Output.from_input(api_server).apply(
        lambda server: render("bootstrap/remove-aws-resources.sh", MODE="remove", API_SERVER=server)
    )
    return DeleteHook(script, at_destroy=True)


def options(hook: DeleteHook | None, cluster_lifetime: pulumi.Resource) -> dict:
    """The resource options that give a delete hook the behaviour described above."""
    if hook is None or hook.at_destroy:
        return {}
    return {"delete_before_replace": True, "deleted_with": cluster_lifetime}
