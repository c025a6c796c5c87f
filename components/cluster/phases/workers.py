"""A worker's steps: a token of its own from the first control plane, the join on the worker, and the
first control plane seeing it registered (whose delete hook removes the worker on scale-down). The
token and the registered step serve the other control planes' joins too."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster import delete_hooks, kubeadm_config
from components.cluster.phases.nodes import wait_for_cloud_init
from components.cluster.pki import ClusterCredentials
from components.cluster.remote_steps import Step, StepRunner, render_following
from components.cluster.script_rendering import render
from components.facts import API_SERVER_PORT, CONTROL_PLANE, ETCD_LOCAL_ENDPOINT, LOGIN_USER

JOIN_TOKEN_TTL = "4h"
JOIN_ATTEMPTS = 3
NODE_REGISTRATION_TIMEOUT_SECONDS = 300


def join_token_description(node_name: str) -> str:
    """What a worker's join token says it is for; the registered step deletes the token by it."""
    return f"kubeadm-aws join of {node_name}"


def join_token(
    run: StepRunner,
    node: NodeInfo,
    *,
    first: NodeInfo,
    cluster_id: pulumi.Input[str],
    ssh_private_key: pulumi.Input[str],
    after: Sequence[pulumi.Resource],
) -> remote.Command:
    """A bootstrap token for `node`, minted on the first control plane (secret output). A replaced
    machine's Node goes first, and the machine itself is reset over SSH (the key on stdin) so that its
    kubelet does not go on under the name the new machine joins with."""
    return run.run(
        Step(
            f"{node.name}-join-token",
            first,
            pulumi.Output.all(node.private_ip, node.host_key).apply(
                lambda values: render(
                    "bootstrap/create-join-token.sh",
                    NODE_NAME=node.name,
                    NODE_IP=values[0],
                    TOKEN_TTL=JOIN_TOKEN_TTL,
                    JOIN_TOKEN_DESCRIPTION=join_token_description(node.name),
                    # A replaced control plane's old etcd member goes with its old Node.
                    ETCD_MEMBER=node.name if node.role == CONTROL_PLANE else "none",
                    ETCD_ENDPOINT=ETCD_LOCAL_ENDPOINT,
                    # A node keeps its host key when its machine is replaced: the old one serves it too.
                    NODE_HOST_KEY=values[1],
                    LOGIN_USER=LOGIN_USER,
                    RESET_SCRIPT=delete_hooks.reset_node_script(),
                )
            ),
            stdin=ssh_private_key,
            # A new machine, or a cluster built anew, gets a new token.
            triggers=[node.instance.id, cluster_id],
            secret_output=True,
            after=list(after),
        )
    )


def join_configuration(
    node: NodeInfo,
    token: remote.Command,
    *,
    endpoint: pulumi.Input[str],
    credentials: ClusterCredentials,
    aws_integration: bool,
    control_plane: bool = False,
) -> pulumi.Output[str]:
    """The node's JoinConfiguration with its token, through `endpoint` (a secret)."""
    return pulumi.Output.secret(
        pulumi.Output.all(token.stdout, node.private_ip, endpoint, credentials.discovery_hash, node.provider_id).apply(
            lambda args: kubeadm_config.join_configuration(
                node_name=node.name,
                node_ip=args[1],
                api_endpoint=f"{args[2]}:{API_SERVER_PORT}",
                token=args[0].strip(),
                ca_cert_hash=args[3],
                provider_id=args[4] if aws_integration else None,
                control_plane=control_plane,
            )
        )
    )


def registered(
    run: StepRunner,
    node: NodeInfo,
    *,
    first: NodeInfo,
    cluster_id: pulumi.Input[str],
    ssh_private_key: pulumi.Input[str],
    joined: remote.Command,
) -> remote.Command:
    """The first control plane sees the node registered and deletes its join token. Created after the join,
    so deleted before it: on scale-down the first control plane drains and deletes the Node, resets the
    machine if it answers (a control plane's etcd member goes with it), then the instance goes."""
    return run.run(
        Step(
            f"{node.name}-registered",
            first,
            render_following(
                "bootstrap/wait-for-node.sh",
                node,
                cluster_id,
                NODE_NAME=node.name,
                TIMEOUT_SECONDS=NODE_REGISTRATION_TIMEOUT_SECONDS,
                JOIN_TOKEN_DESCRIPTION=join_token_description(node.name),
            ),
            stdin=ssh_private_key,  # for the delete hook's reset over SSH
            secret_output=True,
            delete=delete_hooks.remove_node(
                node.name, node.private_ip, node.host_key, etcd_member=node.role == CONTROL_PLANE
            ),
            after=[joined],
        )
    )


def join(
    run: StepRunner,
    worker: NodeInfo,
    *,
    control_plane: NodeInfo,
    credentials: ClusterCredentials,
    cluster_id: pulumi.Input[str],
    ssh_private_key: pulumi.Input[str],
    aws_integration: bool,
    endpoint: pulumi.Input[str],
    after: pulumi.Resource,
) -> remote.Command:
    """Joins one worker through `endpoint`; returns the step that sees it registered."""
    token = join_token(
        run, worker, first=control_plane, cluster_id=cluster_id, ssh_private_key=ssh_private_key, after=[after]
    )
    joined = run.run(
        Step(
            f"{worker.name}-join",
            worker,
            render_following(
                "bootstrap/kubeadm-join.sh", worker, cluster_id, NODE_NAME=worker.name, ATTEMPTS=JOIN_ATTEMPTS
            ),
            stdin=join_configuration(
                worker, token, endpoint=endpoint, credentials=credentials, aws_integration=aws_integration
            ),
            secret_output=True,
            after=[wait_for_cloud_init(run, worker), token],
        )
    )
    return registered(
        run, worker, first=control_plane, cluster_id=cluster_id, ssh_private_key=ssh_private_key, joined=joined
    )
