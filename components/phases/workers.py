"""A worker's steps: a token of its own from the control plane, the join on the worker, and the
control plane seeing it registered (whose delete hook removes the worker on scale-down)."""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components import delete_hooks, kubeadm_config
from components.facts import API_SERVER_PORT
from components.nodes import NodeInfo
from components.phases.nodes import wait_for_cloud_init
from components.pki import ClusterCredentials
from components.remote_steps import Step, StepRunner
from components.script_rendering import render

JOIN_TOKEN_TTL = "4h"
JOIN_ATTEMPTS = 3
NODE_REGISTRATION_TIMEOUT_SECONDS = 300


def join_token_description(node_name: str) -> str:
    """What a worker's join token says it is for; the registered step deletes the token by it."""
    return f"kubeadm-aws join of {node_name}"


def join(
    run: StepRunner,
    worker: NodeInfo,
    *,
    control_plane: NodeInfo,
    credentials: ClusterCredentials,
    cluster_id: pulumi.Input[str],
    ssh_private_key: pulumi.Input[str],
    aws_integration: bool,
    after: pulumi.Resource,
) -> remote.Command:
    """Joins one worker; returns the step that sees it registered."""
    token = run.run(
        Step(
            f"{worker.name}-join-token",
            control_plane,
            worker.private_ip.apply(
                lambda ip: render(
                    "bootstrap/create-join-token.sh",
                    NODE_NAME=worker.name,
                    NODE_IP=ip,
                    TOKEN_TTL=JOIN_TOKEN_TTL,
                    JOIN_TOKEN_DESCRIPTION=join_token_description(worker.name),
                )
            ),
            # A new machine, or a cluster built anew, gets a new token.
            triggers=[worker.instance.id, cluster_id],
            secret_output=True,
            after=[after],
        )
    )
    join_config = pulumi.Output.secret(
        pulumi.Output.all(
            token.stdout, worker.private_ip, control_plane.public_dns, credentials.discovery_hash, worker.provider_id
        ).apply(
            lambda args: kubeadm_config.join_configuration(
                node_name=worker.name,
                node_ip=args[1],
                api_endpoint=f"{args[2]}:{API_SERVER_PORT}",
                token=args[0].strip(),
                ca_cert_hash=args[3],
                provider_id=args[4] if aws_integration else None,
            )
        )
    )
    identity = pulumi.Output.all(worker.instance.id, cluster_id)
    joined = run.run(
        Step(
            f"{worker.name}-join",
            worker,
            identity.apply(
                lambda ids: render(
                    "bootstrap/kubeadm-join.sh",
                    NODE_NAME=worker.name,
                    ATTEMPTS=JOIN_ATTEMPTS,
                    NODE_INSTANCE_ID=ids[0],
                    CLUSTER_ID=ids[1],
                )
            ),
            stdin=join_config,
            secret_output=True,
            after=[wait_for_cloud_init(run, worker), token],
        )
    )
    # Created after the join, so deleted before it: on scale-down the control plane drains and deletes
    # the Node, resets the machine if it answers, then the instance goes.
    return run.run(
        Step(
            f"{worker.name}-registered",
            control_plane,
            identity.apply(
                lambda ids: render(
                    "bootstrap/wait-for-node.sh",
                    NODE_NAME=worker.name,
                    TIMEOUT_SECONDS=NODE_REGISTRATION_TIMEOUT_SECONDS,
                    NODE_INSTANCE_ID=ids[0],
                    CLUSTER_ID=ids[1],
                    JOIN_TOKEN_DESCRIPTION=join_token_description(worker.name),
                )
            ),
            stdin=ssh_private_key,  # for the delete hook's reset over SSH
            secret_output=True,
            delete=delete_hooks.remove_node(worker.name, worker.private_ip, worker.host_key),
            after=[joined],
        )
    )
